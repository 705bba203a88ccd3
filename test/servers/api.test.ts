import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { BACKGROUND_MARKER } from '../../sql/queries.js';
import { generateUser } from '../../fixtures/generator.js';
import { ROLES } from '../../fixtures/rbac.js';
import { parseMetrics, sumFamily } from '../../servers/metrics.js';
import type { RunningServer } from '../../servers/server.js';
import { WRITE_UP_STRATEGIES, type WriteUpStrategy } from '../../servers/strategies/index.js';
import { createTestDatabase, request, seedUrl, serviceUrls, startBoth, tokenFor } from '../helpers.js';

const SPEC = { seed: 42, users: 400 };

/** The first seeded users that hold exactly one role, per role: the matrix's subjects. */
function usersByRole(): Record<string, number[]> {
  const out: Record<string, number[]> = { admin: [], editor: [], viewer: [] };
  for (let id = 1; id <= SPEC.users; id++) {
    const u = generateUser(SPEC, id);
    if (u.roleIds.length !== 1) continue;
    const name = ROLES.find((r) => r.id === u.roleIds[0])!.name;
    out[name]!.push(id);
  }
  return out;
}

describe('the API under both strategies', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let servers: Record<WriteUpStrategy, RunningServer>;
  const subjects = usersByRole();

  before(async () => {
    db = await createTestDatabase('api');
    await seedUrl(db.url, SPEC);
    servers = await startBoth(db.url, serviceUrls().redisUrl);
  });
  after(async () => {
    await Promise.all(Object.values(servers ?? {}).map((s) => s.close()));
    await db?.drop();
  });

  test('every role has subjects', () => {
    for (const role of ['admin', 'editor', 'viewer']) assert.ok(subjects[role]!.length >= 4, role);
  });

  test('tokens carry the claims the database holds, whichever server mints them', async () => {
    const id = subjects.editor![0]!;
    const a = await tokenFor(servers['db-lookup'], id);
    const b = await tokenFor(servers['jwt-redis'], id);
    const pa = JSON.parse(Buffer.from(a.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    const pb = JSON.parse(Buffer.from(b.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    assert.deepEqual({ ...pa, iat: 0, exp: 0 }, { ...pb, iat: 0, exp: 0 });
    assert.equal(pa.role, 'editor');
    assert.deepEqual(pa.permissions, [...ROLES[1].permissions].sort());
    assert.ok(Number.isSafeInteger(pa.ver) && (pa.ver as number) >= 1, 'a token version');
  });

  // status per role for each read route; bodies must match byte for byte across strategies
  const reads: Array<{ path: string; expect: Record<string, number> }> = [
    { path: '/api/dashboard', expect: { admin: 200, editor: 200, viewer: 200 } },
    { path: '/api/articles', expect: { admin: 200, editor: 200, viewer: 200 } },
    { path: '/api/articles?page=2', expect: { admin: 200, editor: 200, viewer: 200 } },
  ];
  for (const { path, expect } of reads) {
    test(`GET ${path}: statuses per role and identical bodies`, async () => {
      for (const role of Object.keys(expect)) {
        for (const id of subjects[role]!.slice(0, 3)) {
          const replies = await Promise.all(
            WRITE_UP_STRATEGIES.map(async (s) => {
              const token = await tokenFor(servers[s], id);
              return request(servers[s].url, path, { token });
            }),
          );
          for (const r of replies) assert.equal(r.status, expect[role], `${role} ${id} ${path}: ${r.text}`);
          assert.equal(replies[0]!.text, replies[1]!.text, `bodies differ for ${role} ${id} ${path}`);
        }
      }
    });
  }

  test('the dashboard shows the user as the database knows them', async () => {
    const id = subjects.viewer![0]!;
    const token = await tokenFor(servers['db-lookup'], id);
    const body = (await request(servers['db-lookup'].url, '/api/dashboard', { token })).json() as {
      user: { id: number; role: string; permissions: string[] };
      recent: unknown[];
      stats: { articles: number };
    };
    assert.deepEqual(body.user, {
      id,
      role: 'viewer',
      permissions: ['view_articles', 'view_comments', 'view_dashboard'],
    });
    assert.equal(body.recent.length, 5);
    assert.equal(typeof body.stats.articles, 'number');
  });

  test('writes: statuses per role, the same under both strategies', async () => {
    const expectEdit: Record<string, number> = { admin: 200, editor: 200, viewer: 403 };
    const expectManage: Record<string, number> = { admin: 200, editor: 403, viewer: 403 };
    const expectDelete: Record<string, number> = { admin: 204, editor: 403, viewer: 403 };
    // Targets of role changes and deletions are viewers not used as subjects elsewhere.
    const targets = subjects.viewer!.slice(10);
    let article = 1;
    for (const s of WRITE_UP_STRATEGIES) {
      for (const role of ['admin', 'editor', 'viewer']) {
        const token = await tokenFor(servers[s], subjects[role]![0]!);
        const edit = await request(servers[s].url, `/api/articles/${article}`, {
          method: 'PUT',
          token,
          body: { title: 'T', body: 'B' },
        });
        assert.equal(edit.status, expectEdit[role], `${s} ${role} edit: ${edit.text}`);
        if (edit.status === 200) {
          assert.deepEqual(edit.json(), {
            id: article,
            title: 'T',
            body: 'B',
            authorId: (edit.json() as { authorId: number }).authorId,
            revision: 2,
          });
          article++;
        }
        const target = targets.shift()!;
        const manage = await request(servers[s].url, `/api/users/${target}/roles`, {
          method: 'PUT',
          token,
          body: { roles: ['editor', 'viewer'] },
        });
        assert.equal(manage.status, expectManage[role], `${s} ${role} manage: ${manage.text}`);
        if (manage.status === 200) {
          const body = manage.json() as { id: number; roles: string[]; tokenVersion: number };
          assert.deepEqual(
            { ...body, tokenVersion: 0 },
            { id: target, roles: ['editor', 'viewer'], tokenVersion: 0 },
          );
          const fresh = JSON.parse(
            Buffer.from((await tokenFor(servers[s], target)).split('.')[1]!, 'base64url').toString(),
          ) as { ver: number };
          assert.equal(fresh.ver, body.tokenVersion, 'new tokens carry the version the change produced');
        }
        const victim = targets.shift()!;
        const del = await request(servers[s].url, `/api/users/${victim}`, { method: 'DELETE', token });
        assert.equal(del.status, expectDelete[role], `${s} ${role} delete: ${del.text}`);
      }
    }
  });

  test('bad input to write routes is a 4xx, never a 5xx', async () => {
    const admin = subjects.admin![1]!;
    for (const s of WRITE_UP_STRATEGIES) {
      const token = await tokenFor(servers[s], admin);
      const cases: Array<[string, string, unknown, number]> = [
        ['PUT', '/api/articles/abc', { title: 'x', body: 'y' }, 400],
        ['PUT', '/api/articles/999999999', { title: 'x', body: 'y' }, 404],
        ['PUT', '/api/articles/1', { title: '', body: 'y' }, 400],
        ['PUT', '/api/articles/1', '{"title": ', 400],
        ['PUT', '/api/articles/1', [1, 2], 400],
        ['PUT', '/api/articles/1', { title: 'x', body: 'y'.repeat(20_000) }, 413],
        ['PUT', '/api/articles/1', { title: 'a\u0000b', body: 'y' }, 400],
        ['PUT', `/api/users/${admin}/roles`, { roles: ['a\u0000'] }, 400],
        ['PUT', `/api/users/${admin}/roles`, { roles: ['superuser'] }, 400],
        ['PUT', `/api/users/${admin}/roles`, { roles: [] }, 400],
        ['PUT', `/api/users/${admin}/roles`, { roles: ['viewer', 'viewer'] }, 400],
        ['PUT', '/api/users/99999999/roles', { roles: ['viewer'] }, 404],
        ['DELETE', '/api/users/99999999', undefined, 404],
        ['DELETE', '/api/users/0', undefined, 400],
        ['GET', '/api/articles?page=0', undefined, 400],
        ['GET', '/api/articles?page=x', undefined, 400],
      ];
      for (const [method, path, body, status] of cases) {
        const r = await request(servers[s].url, path, { method, token, body });
        assert.equal(r.status, status, `${s} ${method} ${path}: ${r.text}`);
        assert.doesNotMatch(
          r.text,
          /at .*\.js:\d+|error:.*pg|syntax error/i,
          'no stack traces or driver messages',
        );
      }
      const mint = await request(servers[s].url, '/auth/token', { method: 'POST', body: '{"userId":' });
      assert.equal(mint.status, 400);
      const unknown = await request(servers[s].url, '/auth/token', {
        method: 'POST',
        body: { userId: 99_999_999 },
      });
      assert.equal(unknown.status, 404);
    }
  });

  test('queries and Redis commands per dashboard request: 3 vs 2, 0 vs 1', async () => {
    const n = 20;
    for (const s of WRITE_UP_STRATEGIES) {
      const token = await tokenFor(servers[s], subjects.viewer![0]!);
      const read = async (): Promise<Map<string, number>> =>
        parseMetrics((await request(servers[s].url, '/metrics')).text);
      const before = await read();
      for (let i = 0; i < n; i++)
        assert.equal((await request(servers[s].url, '/api/dashboard', { token })).status, 200);
      const afterwards = await read();
      const delta = (family: string): number => sumFamily(afterwards, family) - sumFamily(before, family);
      const expected = s === 'db-lookup' ? { q: 3, r: 0 } : { q: 2, r: 1 };
      assert.equal(delta('authbench_db_queries_total') / n, expected.q, `${s} queries/request`);
      assert.equal(delta('authbench_redis_commands_total') / n, expected.r, `${s} redis commands/request`);
    }
  });

  test('Postgres counts the same statements as the server (pg_stat_statements)', async (t) => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ ok: boolean }>(
        `SELECT count(*) > 0 AS ok FROM pg_settings WHERE name = 'shared_preload_libraries' AND setting LIKE '%pg_stat_statements%'`,
      );
      if (!rows[0]?.ok) {
        // Throwaway and Docker instances always load it; only a user-supplied server may not.
        assert.ok(!process.env.CI, 'in CI the resolved Postgres must load pg_stat_statements');
        t.skip('the Postgres behind DATABASE_URL does not load pg_stat_statements');
        return;
      }
      await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await client.query('SELECT pg_stat_statements_reset()');
      const token = await tokenFor(servers['db-lookup'], subjects.viewer![0]!);
      await client.query('SELECT pg_stat_statements_reset()');
      for (let i = 0; i < 10; i++) await request(servers['db-lookup'].url, '/api/dashboard', { token });
      const stats = await client.query<{ calls: string }>(
        `SELECT coalesce(sum(calls), 0) AS calls FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
         WHERE d.datname = current_database() AND query NOT ILIKE '%pg_stat_statements%'
           AND query NOT LIKE '%${BACKGROUND_MARKER}%'`,
      );
      assert.equal(Number(stats.rows[0]!.calls), 30);
    } finally {
      await client.end();
    }
  });

  test('/healthz and /metrics need no token; unknown routes are 404 JSON', async () => {
    for (const s of WRITE_UP_STRATEGIES) {
      const h = await request(servers[s].url, '/healthz');
      assert.equal(h.status, 200);
      const { instance, ...rest } = h.json() as { instance: string };
      assert.deepEqual(rest, { status: 'ok', strategy: s });
      assert.match(instance, /^[0-9a-f-]{36}$/, 'the process names itself');
      assert.equal(
        ((await request(servers[s].url, '/healthz')).json() as { instance: string }).instance,
        instance,
        'the same every time',
      );
      const m = await request(servers[s].url, '/metrics');
      assert.equal(m.status, 200);
      assert.match(m.headers.get('content-type') ?? '', /^text\/plain/);
      assert.match(m.text, /# TYPE authbench_db_queries_total counter/);
      const nf = await request(servers[s].url, '/nope');
      assert.equal(nf.status, 404);
      assert.deepEqual(nf.json(), { error: 'not_found', message: 'Not found' });
    }
  });
});

describe('the JWT verification variant (a bench dimension)', () => {
  test('the string-secret form accepts and rejects exactly as the KeyObject form', async () => {
    const db = await createTestDatabase('jwt_variant');
    await seedUrl(db.url, { seed: 1, users: 50 });
    const { startServer } = await import('../../servers/server.js');
    const { serverOptions } = await import('../helpers.js');
    const [a, b] = await Promise.all([
      startServer(serverOptions('jwt-redis', db.url, serviceUrls().redisUrl, { jwtVerify: 'keyobject' })),
      startServer(serverOptions('jwt-redis', db.url, serviceUrls().redisUrl, { jwtVerify: 'string' })),
    ]);
    try {
      const token = await tokenFor(a, 3);
      const forged = `${token.slice(0, -3)}AAA`;
      for (const s of [a, b]) {
        const ok = await request(s.url, '/api/dashboard', { token });
        assert.equal(ok.status, 200);
        assert.equal((await request(s.url, '/api/dashboard', { token: forged })).status, 401);
      }
      assert.equal(
        (await request(a.url, '/api/dashboard', { token })).text,
        (await request(b.url, '/api/dashboard', { token })).text,
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
      await db.drop();
    }
  });
});
