/**
 * Every row of docs/security.md that needs no fault injection, for both strategies
 * (rows 20 and 21, Redis and Postgres down, are in faults.test.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { generateUser } from '../../fixtures/generator.js';
import type { RunningServer } from '../../servers/server.js';
import { WRITE_UP_STRATEGIES, type WriteUpStrategy } from '../../servers/strategies/index.js';
import {
  TEST_SECRET,
  createTestDatabase,
  request,
  seedUrl,
  serviceUrls,
  startBoth,
  tokenFor,
  type Reply,
} from '../helpers.js';
import { eventually } from '../helpers.js';

const SPEC = { seed: 9, users: 300 };
const CHALLENGE = 'Bearer realm="authbench"';
const INVALID = 'Bearer realm="authbench", error="invalid_token"';

function firstWithRoles(roleIds: number[], skip = 0): number {
  let seen = 0;
  for (let id = 1; id <= SPEC.users; id++) {
    if (JSON.stringify(generateUser(SPEC, id).roleIds) === JSON.stringify(roleIds) && seen++ === skip)
      return id;
  }
  throw new Error(`no user with roles ${roleIds.join(',')}`);
}

const b64 = (v: unknown): string =>
  Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);

function assert401(r: Reply, label: string, challenge = INVALID): void {
  assert.equal(r.status, 401, `${label}: ${r.text}`);
  assert.equal(r.headers.get('www-authenticate'), challenge, `${label}: WWW-Authenticate`);
  const body = r.json() as { error: string; message: string };
  assert.equal(body.error, challenge === INVALID ? 'invalid_token' : 'unauthorized', label);
  assert.doesNotMatch(
    r.text,
    /stack|at \w+ \(|jwt|jsonwebtoken|signature/i,
    `${label}: no internals in the body`,
  );
}

describe('hostile and odd input (docs/security.md)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let servers: Record<WriteUpStrategy, RunningServer>;
  const admin = firstWithRoles([1]);
  const editor = firstWithRoles([2]);
  const viewer = firstWithRoles([3]);

  let viewerVersion = 0;
  let viewerIncarnation = 0;
  let datasetId = '';

  before(async () => {
    db = await createTestDatabase('security');
    await seedUrl(db.url, SPEC);
    servers = await startBoth(db.url, serviceUrls().redisUrl);
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    const row = (await sql.query('SELECT token_version, incarnation FROM users WHERE id = $1', [viewer]))
      .rows[0];
    viewerVersion = Number(row.token_version);
    viewerIncarnation = Number(row.incarnation);
    datasetId = (await sql.query('SELECT dataset_id FROM seed_meta')).rows[0].dataset_id;
    await sql.end();
  });
  after(async () => {
    await Promise.all(Object.values(servers ?? {}).map((s) => s.close()));
    await db?.drop();
  });

  const both = async (
    path: string,
    init: Parameters<typeof request>[2],
  ): Promise<Record<WriteUpStrategy, Reply>> => {
    const [a, b] = await Promise.all(WRITE_UP_STRATEGIES.map((s) => request(servers[s].url, path, init)));
    return { 'db-lookup': a!, 'jwt-redis': b! };
  };

  const claims = (id: number, role: string, permissions: string[]): Record<string, unknown> => ({
    userId: id,
    role,
    permissions,
    ver: viewerVersion,
    inc: viewerIncarnation,
    ds: datasetId,
    exp: now() + 300,
  });
  const viewerClaims = (): Record<string, unknown> =>
    claims(viewer, 'viewer', ['view_articles', 'view_comments', 'view_dashboard']);

  test('rows 1-3: missing, foreign-scheme or empty credentials → 401 with a challenge', async () => {
    for (const [label, headers, challenge] of [
      ['1 no header', {}, CHALLENGE],
      ['2 Basic', { authorization: `Basic ${b64('admin:admin')}` }, CHALLENGE],
      ['3 Bearer alone', { authorization: 'Bearer' }, INVALID],
      ['3 Bearer and spaces', { authorization: 'Bearer    ' }, INVALID],
    ] as const) {
      const r = await both('/api/dashboard', { headers: { ...headers } });
      for (const s of WRITE_UP_STRATEGIES) assert401(r[s], `${s} row ${label}`, challenge);
      assert.equal(r['db-lookup'].text, r['jwt-redis'].text, `row ${label}: identical bodies`);
    }
  });

  test('rows 4-10: malformed, tampered, unsigned or wrongly signed tokens → 401', async () => {
    const good = jwt.sign(viewerClaims(), TEST_SECRET, { algorithm: 'HS256' });
    const [h, p, sig] = good.split('.') as [string, string, string];
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const cases: Record<string, string> = {
      '4 garbage': 'not-a-token',
      '4 two parts': `${h}.${p}`,
      '4 four parts': `${good}.${sig}`,
      '5 header not base64url': `%%%.${p}.${sig}`,
      '5 header not JSON': `${b64('not json')}.${p}.${sig}`,
      '6 viewer promoted to admin, old signature': `${h}.${b64({ ...viewerClaims(), role: 'admin', permissions: ['manage_users'] })}.${sig}`,
      '7 signature altered': `${h}.${p}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`,
      '7 signature truncated': `${h}.${p}.${sig.slice(0, 10)}`,
      '7 another secret': jwt.sign(viewerClaims(), `${TEST_SECRET}-other`, { algorithm: 'HS256' }),
      '8 alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`,
      '9 HS384 same secret': jwt.sign(viewerClaims(), TEST_SECRET, { algorithm: 'HS384' }),
      '9 HS512 same secret': jwt.sign(viewerClaims(), TEST_SECRET, { algorithm: 'HS512' }),
      '10 RS256': jwt.sign(viewerClaims(), rsa.privateKey, { algorithm: 'RS256' }),
      '10 ES256': jwt.sign(viewerClaims(), ec.privateKey, { algorithm: 'ES256' }),
    };
    const control = await both('/api/dashboard', { token: good });
    for (const s of WRITE_UP_STRATEGIES)
      assert.equal(control[s].status, 200, `${s}: the untampered token works`);
    for (const [label, token] of Object.entries(cases)) {
      const r = await both('/api/dashboard', { headers: { authorization: `Bearer ${token}` } });
      for (const s of WRITE_UP_STRATEGIES) assert401(r[s], `${s} row ${label}`);
      assert.equal(r['db-lookup'].text, r['jwt-redis'].text, `row ${label}: identical bodies`);
    }
  });

  test('rows 11-15: expiry, nbf and claim shapes → 401', async () => {
    const sign = (payload: unknown): string =>
      jwt.sign(payload as object, TEST_SECRET, { algorithm: 'HS256' });
    const base = viewerClaims();
    const without = (k: string): Record<string, unknown> =>
      Object.fromEntries(Object.entries(base).filter(([key]) => key !== k));
    const arrayPayload = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64([1, 2])}`;
    const { createHmac } = await import('node:crypto');
    const signedArray = `${arrayPayload}.${createHmac('sha256', TEST_SECRET).update(arrayPayload).digest('base64url')}`;
    const cases: Record<string, string> = {
      '11 expired': sign({ ...base, exp: now() - 60 }),
      '12 nbf in the future': sign({ ...base, nbf: now() + 600 }),
      '13 no exp': sign(without('exp')),
      '14 no userId': sign(without('userId')),
      '14 no role': sign(without('role')),
      '14 no permissions': sign(without('permissions')),
      '14 no version': sign(without('ver')),
      '14 no incarnation': sign(without('inc')),
      '14 no dataset': sign(without('ds')),
      '15 incarnation not a positive integer': sign({ ...base, inc: 0 }),
      '31 minted against another dataset': sign({ ...base, ds: 'another-dataset' }),
      '15 permissions not an array': sign({ ...base, permissions: 'view_dashboard' }),
      '15 role not a string': sign({ ...base, role: ['viewer'] }),
      '15 payload a JSON array': signedArray,
      '15 userId an object': sign({ ...base, userId: { id: viewer } }),
    };
    for (const [label, token] of Object.entries(cases)) {
      const r = await both('/api/dashboard', { token });
      for (const s of WRITE_UP_STRATEGIES) assert401(r[s], `${s} row ${label}`);
    }
    // userId as a string of digits is accepted (docs/security.md: a string or an integer).
    const asString = await both('/api/dashboard', { token: sign({ ...base, userId: String(viewer) }) });
    for (const s of WRITE_UP_STRATEGIES) assert.equal(asString[s].status, 200, `${s}: string userId`);
  });

  test('row 16: a valid token without the permission → 403 insufficient_scope', async () => {
    for (const s of WRITE_UP_STRATEGIES) {
      const token = await tokenFor(servers[s], viewer);
      const r = await request(servers[s].url, '/api/articles/1', {
        method: 'PUT',
        token,
        body: { title: 'x', body: 'y' },
      });
      assert.equal(r.status, 403, `${s}: ${r.text}`);
      assert.equal(
        r.headers.get('www-authenticate'),
        'Bearer realm="authbench", error="insufficient_scope", scope="edit_articles"',
      );
      assert.deepEqual(r.json(), {
        error: 'insufficient_scope',
        message: 'This action requires the edit_articles permission',
      });
    }
  });

  test('rows 17-18: role downgrade, then a new token: db-lookup 403, jwt-redis 401 for the old token', async () => {
    // Change the role through each server in turn: revocation must hold across servers.
    for (const [changer, skip] of [
      ['db-lookup', 1],
      ['jwt-redis', 2],
    ] as const) {
      const target = firstWithRoles([2], skip);
      const old = await tokenFor(servers['jwt-redis'], target);
      const edit = { method: 'PUT', token: old, body: { title: 'x', body: 'y' } };
      const beforeChange = await both('/api/articles/2', edit);
      for (const s of WRITE_UP_STRATEGIES)
        assert.equal(beforeChange[s].status, 200, `${s}: the editor may edit before the change`);

      const adminToken = await tokenFor(servers[changer], admin);
      const change = await request(servers[changer].url, `/api/users/${target}/roles`, {
        method: 'PUT',
        token: adminToken,
        body: { roles: ['viewer'] },
      });
      assert.equal(change.status, 200, change.text);

      const row17 = await both('/api/articles/2', edit);
      assert.equal(row17['db-lookup'].status, 403, `row 17 db-lookup (changed via ${changer})`);
      assert401(row17['jwt-redis'], `row 17 jwt-redis (changed via ${changer})`);
      const readOld = await both('/api/dashboard', { token: old });
      assert.equal(readOld['db-lookup'].status, 200, 'db-lookup: the old token reads with the new role');
      assert401(readOld['jwt-redis'], 'jwt-redis: the stale token is dead for every route');

      const fresh = await tokenFor(servers['jwt-redis'], target);
      const row18 = await both('/api/articles/2', edit);
      assert.equal(row18['db-lookup'].status, 403, 'row 18 db-lookup');
      assert401(row18['jwt-redis'], 'row 18 jwt-redis: a new token does not resurrect the old one');
      const freshEdit = await both('/api/articles/2', { ...edit, token: fresh });
      for (const s of WRITE_UP_STRATEGIES)
        assert.equal(freshEdit[s].status, 403, `${s}: the new token carries the viewer role`);
      const freshRead = await both('/api/dashboard', { token: fresh });
      for (const s of WRITE_UP_STRATEGIES)
        assert.equal(freshRead[s].status, 200, `${s}: the new token works`);
      assert.equal(freshRead['db-lookup'].text, freshRead['jwt-redis'].text, 'and both answer alike again');
    }
  });

  test('row 19: a deleted user → 401, and no new token', async () => {
    const target = firstWithRoles([3], 3);
    const old = await tokenFor(servers['db-lookup'], target);
    const del = await request(servers['jwt-redis'].url, `/api/users/${target}`, {
      method: 'DELETE',
      token: await tokenFor(servers['jwt-redis'], admin),
    });
    assert.equal(del.status, 204, del.text);
    const r = await both('/api/dashboard', { token: old });
    for (const s of WRITE_UP_STRATEGIES) assert401(r[s], `${s} row 19`);
    const mint = await request(servers['db-lookup'].url, '/auth/token', {
      method: 'POST',
      body: { userId: target },
    });
    assert.equal(mint.status, 404);
  });

  test('row 31: a deleted user whose id is reused → the old token is 401, never the new user', async () => {
    const target = firstWithRoles([2], 5);
    const old = await tokenFor(servers['db-lookup'], target);
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    try {
      await sql.query('BEGIN');
      await sql.query('DELETE FROM users WHERE id = $1', [target]);
      // Re-created with the same id and role, and (ignored) the old version and incarnation.
      await sql.query(
        `INSERT INTO users (id, username, email, created_at, token_version, incarnation)
        VALUES ($1, 'reborn', 'reborn@example.test', now(), $2, $3)`,
        [target, viewerVersion, viewerIncarnation],
      );
      await sql.query('INSERT INTO user_roles (user_id, role_id) VALUES ($1, 2)', [target]);
      await sql.query('COMMIT');
    } finally {
      await sql.end();
    }
    await eventually("both servers reject the old incarnation's token", 2000, async () => {
      const r = await both('/api/dashboard', { token: old });
      return WRITE_UP_STRATEGIES.every((s) => r[s].status === 401);
    });
    const fresh = await tokenFor(servers['db-lookup'], target);
    const r = await both('/api/dashboard', { token: fresh });
    for (const s of WRITE_UP_STRATEGIES)
      assert.equal(r[s].status, 200, `${s}: the new user's own token works`);
  });

  test('row 22: a valid token on an unknown route → 404', async () => {
    for (const s of WRITE_UP_STRATEGIES) {
      const token = await tokenFor(servers[s], editor);
      for (const path of ['/api/nope', '/api/articles/1/comments', '/nope']) {
        const r = await request(servers[s].url, path, { token });
        assert.equal(r.status, 404, `${s} ${path}`);
      }
    }
  });

  test('row 23: a ≈9 KB token is handled normally', async () => {
    const pad = 'x'.repeat(6800);
    const big = jwt.sign({ ...viewerClaims(), pad }, TEST_SECRET, { algorithm: 'HS256' });
    assert.ok(big.length > 9000 && big.length < 10_000, `token is ${big.length} bytes`);
    const ok = await both('/api/dashboard', { token: big });
    for (const s of WRITE_UP_STRATEGIES) assert.equal(ok[s].status, 200, `${s}: a big valid token`);
    const forged = await both('/api/dashboard', { token: `${big.slice(0, -4)}AAAA` });
    for (const s of WRITE_UP_STRATEGIES) assert401(forged[s], `${s}: a big forged token`);
    const junk = await both('/api/dashboard', { token: 'a'.repeat(9200) });
    for (const s of WRITE_UP_STRATEGIES) assert401(junk[s], `${s}: 9 KB of junk`);
  });

  test('roles or permissions changed in SQL, outside the API: old tokens die within moments', async () => {
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    try {
      const target = firstWithRoles([2], 4);
      const old = await tokenFor(servers['jwt-redis'], target);
      const edit = { method: 'PUT', token: old, body: { title: 'x', body: 'y' } };
      for (const s of WRITE_UP_STRATEGIES)
        assert.equal((await request(servers[s].url, '/api/articles/4', edit)).status, 200);
      await sql.query('UPDATE user_roles SET role_id = 3 WHERE user_id = $1', [target]);
      assert.equal((await request(servers['db-lookup'].url, '/api/articles/4', edit)).status, 403);
      await eventually(
        'jwt-redis rejects the token after a role change in SQL',
        3000,
        async () => (await request(servers['jwt-redis'].url, '/api/articles/4', edit)).status === 401,
      );

      const reader = firstWithRoles([3], 5);
      const readerToken = await tokenFor(servers['jwt-redis'], reader);
      for (const s of WRITE_UP_STRATEGIES)
        assert.equal((await request(servers[s].url, '/api/articles', { token: readerToken })).status, 200);
      await sql.query(
        `DELETE FROM role_permissions WHERE role_id = 3 AND permission_id = (SELECT id FROM permissions WHERE name = 'view_articles')`,
      );
      assert.equal(
        (await request(servers['db-lookup'].url, '/api/articles', { token: readerToken })).status,
        403,
      );
      await eventually(
        'jwt-redis rejects the token after a permission change in SQL',
        3000,
        async () =>
          (await request(servers['jwt-redis'].url, '/api/articles', { token: readerToken })).status === 401,
      );
    } finally {
      await sql.end();
    }
  });

  test('/auth/token does not exist unless the server is started with --issue-tokens', async () => {
    const { startServer } = await import('../../servers/server.js');
    const { serverOptions } = await import('../helpers.js');
    const closed = await startServer(
      serverOptions('jwt-redis', db.url, serviceUrls().redisUrl, { issueTokens: false }),
    );
    try {
      const r = await request(closed.url, '/auth/token', { method: 'POST', body: { userId: viewer } });
      assert.equal(r.status, 404);
    } finally {
      await closed.close();
    }
  });
});
