/**
 * docs/security.md rows 20-21 and the revocation guarantees under failure: Redis losing its data,
 * Redis stopped or hung, Postgres stopped. Uses throwaway instances only, never the shared ones.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { generateUser } from '../../fixtures/generator.js';
import {
  startLocalPostgres,
  startLocalRedis,
  type LocalPostgres,
  type LocalRedis,
} from '../../bench/infra/index.js';
import type { RunningServer } from '../../servers/server.js';
import { WRITE_UP_STRATEGIES, type WriteUpStrategy } from '../../servers/strategies/index.js';
import {
  createTestDatabase,
  request,
  seedUrl,
  serviceUrls,
  startBoth,
  tokenFor,
  type Reply,
} from '../helpers.js';
import { eventually } from '../helpers.js';

const SPEC = { seed: 5, users: 200 };
const FAIL_FAST_MS = 1500;

function users(roleId: number, count: number): number[] {
  const out: number[] = [];
  for (let id = 1; id <= SPEC.users && out.length < count; id++) {
    const u = generateUser(SPEC, id);
    if (u.roleIds.length === 1 && u.roleIds[0] === roleId) out.push(id);
  }
  return out;
}

/** The postmaster and its children (backends, background workers), from /proc. */
function clusterPids(postmaster: number): number[] {
  const children = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === postmaster ? [Number(d)] : [];
      } catch {
        return [];
      }
    });
  return [postmaster, ...children];
}

async function timed(fn: () => Promise<Reply>): Promise<{ reply: Reply; ms: number }> {
  const started = performance.now();
  const reply = await fn();
  return { reply, ms: performance.now() - started };
}

describe('Redis faults (throwaway redis-server)', () => {
  let redis: LocalRedis;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let servers: Record<WriteUpStrategy, RunningServer>;
  const [admin] = users(1, 1) as [number];
  const editors = users(2, 4);
  const viewers = users(3, 4);

  before(async () => {
    redis = await startLocalRedis();
    db = await createTestDatabase('faults_redis');
    await seedUrl(db.url, SPEC);
    servers = await startBoth(db.url, redis.url);
  });
  after(async () => {
    await Promise.all(Object.values(servers ?? {}).map((s) => s.close()));
    await db?.drop();
    await redis?.destroy();
  });

  const jr = (): RunningServer => servers['jwt-redis'];
  const healthy = async (): Promise<boolean> => (await request(jr().url, '/healthz')).status === 200;

  test('Redis restarted without its data: revoked tokens stay revoked, valid ones work', async () => {
    const revoked = editors[0]!;
    const kept = viewers[0]!;
    const oldRevoked = await tokenFor(jr(), revoked);
    const keptToken = await tokenFor(jr(), kept);
    const change = await request(jr().url, `/api/users/${revoked}/roles`, {
      method: 'PUT',
      token: await tokenFor(jr(), admin),
      body: { roles: ['viewer'] },
    });
    assert.equal(change.status, 200, change.text);
    assert.equal((await request(jr().url, '/api/dashboard', { token: oldRevoked })).status, 401);

    await redis.stop();
    await redis.start();
    await eventually('jwt-redis reconnects', 10_000, healthy);

    const afterLoss = await request(jr().url, '/api/dashboard', { token: oldRevoked });
    assert.equal(afterLoss.status, 401, 'a missing record means "ask Postgres", never "valid"');
    assert.equal((await request(jr().url, '/api/dashboard', { token: keptToken })).status, 200);
    assert.equal(
      (await request(jr().url, '/api/dashboard', { token: await tokenFor(jr(), revoked) })).status,
      200,
    );
    // And once more from the repopulated record.
    assert.equal((await request(jr().url, '/api/dashboard', { token: oldRevoked })).status, 401);
  });

  test('Redis restored from an older snapshot: revocations made since are not lost', async () => {
    const target = editors[2]!;
    const old = await tokenFor(jr(), target);
    assert.equal(
      (await request(jr().url, '/api/dashboard', { token: old })).status,
      200,
      'the record is in Redis',
    );
    const direct = new Redis(redis.url);
    try {
      const meta = await direct.get(`authbench:{${jr().datasetId}}:meta`);
      assert.ok(meta !== null, 'Redis holds the revocation meta record');
      const key = `authbench:{${jr().datasetId}}:${meta.slice(0, meta.lastIndexOf(':'))}:${target}`;
      const snapshotted = await direct.get(key);
      assert.ok(snapshotted !== null, 'the snapshot holds the pre-revocation record');
      await direct.save();
    } finally {
      direct.disconnect();
    }
    const change = await request(jr().url, `/api/users/${target}/roles`, {
      method: 'PUT',
      token: await tokenFor(jr(), admin),
      body: { roles: ['viewer'] },
    });
    assert.equal(change.status, 200, change.text);
    assert.equal((await request(jr().url, '/api/dashboard', { token: old })).status, 401);

    await redis.stop();
    await redis.start(); // loads dump.rdb: the record as it was before the revocation
    await eventually('jwt-redis reconnects', 10_000, healthy);
    assert.equal(
      (await request(jr().url, '/api/dashboard', { token: old })).status,
      401,
      "a Redis behind Postgres' revocation mark is reconciled before it is trusted",
    );
    assert.equal(
      (await request(jr().url, '/api/dashboard', { token: await tokenFor(jr(), target) })).status,
      200,
    );
  });

  test('row 20: Redis stopped → jwt-redis 503 fast, never 200; recovery when it returns', async () => {
    const token = await tokenFor(jr(), viewers[1]!);
    const dbToken = await tokenFor(servers['db-lookup'], viewers[1]!);
    const adminToken = await tokenFor(jr(), admin);
    await redis.stop();
    try {
      for (let i = 0; i < 5; i++) {
        const { reply, ms } = await timed(() => request(jr().url, '/api/dashboard', { token }));
        assert.equal(reply.status, 503, `attempt ${i}: ${reply.text}`);
        assert.ok(ms < FAIL_FAST_MS, `503 took ${ms.toFixed(0)} ms`);
        assert.deepEqual(reply.json(), {
          error: 'service_unavailable',
          message: 'A dependency (redis) is unavailable',
        });
      }
      assert.equal((await request(jr().url, '/healthz')).status, 503);
      // db-lookup does not need Redis to authorise a request.
      assert.equal(
        (await request(servers['db-lookup'].url, '/api/dashboard', { token: dbToken })).status,
        200,
      );
      // A role change whose revocation cannot reach Redis is not committed.
      for (const s of WRITE_UP_STRATEGIES) {
        const r = await request(servers[s].url, `/api/users/${editors[1]}/roles`, {
          method: 'PUT',
          token: s === 'jwt-redis' ? adminToken : await tokenFor(servers['db-lookup'], admin),
          body: { roles: ['viewer'] },
        });
        assert.equal(r.status, 503, `${s}: ${r.text}`);
      }
    } finally {
      await redis.start();
    }
    await eventually(
      'jwt-redis serves again',
      10_000,
      async () => (await request(jr().url, '/api/dashboard', { token })).status === 200,
    );
    const editorToken = await tokenFor(servers['db-lookup'], editors[1]!);
    const edit = await request(servers['db-lookup'].url, '/api/articles/3', {
      method: 'PUT',
      token: editorToken,
      body: { title: 'a', body: 'b' },
    });
    assert.equal(edit.status, 200, 'the rolled-back role change left the editor an editor');
  });

  test('row 20: Redis hung (SIGSTOP) → jwt-redis 503 within the command timeout', async () => {
    const token = await tokenFor(jr(), viewers[2]!);
    assert.equal((await request(jr().url, '/api/dashboard', { token })).status, 200);
    const pid = redis.pid();
    assert.ok(pid);
    process.kill(pid, 'SIGSTOP');
    try {
      const { reply, ms } = await timed(() => request(jr().url, '/api/dashboard', { token }));
      assert.equal(reply.status, 503, reply.text);
      assert.ok(ms < FAIL_FAST_MS, `503 took ${ms.toFixed(0)} ms`);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await eventually(
      'jwt-redis serves again',
      10_000,
      async () => (await request(jr().url, '/api/dashboard', { token })).status === 200,
    );
  });
});

describe('Postgres faults (throwaway cluster)', () => {
  let pgLocal: LocalPostgres;
  let servers: Record<WriteUpStrategy, RunningServer>;
  const viewer = users(3, 1)[0]!;

  before(async () => {
    pgLocal = await startLocalPostgres();
    await seedUrl(pgLocal.url, SPEC);
    servers = await startBoth(pgLocal.url, serviceUrls().redisUrl);
  });
  after(async () => {
    await Promise.all(Object.values(servers ?? {}).map((s) => s.close()));
    await pgLocal?.destroy();
  });

  test('row 21: Postgres hung (SIGSTOP) → 503 within the query timeout, then recovery', async () => {
    const tokens = Object.fromEntries(
      await Promise.all(WRITE_UP_STRATEGIES.map(async (s) => [s, await tokenFor(servers[s], viewer)])),
    );
    for (const s of WRITE_UP_STRATEGIES)
      assert.equal((await request(servers[s].url, '/api/dashboard', { token: tokens[s] })).status, 200);
    const pids = clusterPids(pgLocal.pid()!);
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    try {
      for (const s of WRITE_UP_STRATEGIES) {
        const { reply, ms } = await timed(() =>
          request(servers[s].url, '/api/dashboard', { token: tokens[s] }),
        );
        assert.equal(reply.status, 503, `${s}: ${reply.text}`);
        assert.ok(ms < 4000, `${s}: 503 took ${ms.toFixed(0)} ms`);
      }
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
    for (const s of WRITE_UP_STRATEGIES) {
      await eventually(
        `${s} serves again`,
        15_000,
        async () => (await request(servers[s].url, '/api/dashboard', { token: tokens[s] })).status === 200,
      );
    }
  });

  test('row 21: Postgres stopped → 503 fast from both; recovery when it returns', async () => {
    const tokens = Object.fromEntries(
      await Promise.all(WRITE_UP_STRATEGIES.map(async (s) => [s, await tokenFor(servers[s], viewer)])),
    );
    for (const s of WRITE_UP_STRATEGIES)
      assert.equal((await request(servers[s].url, '/api/dashboard', { token: tokens[s] })).status, 200);
    await pgLocal.stop();
    try {
      for (const s of WRITE_UP_STRATEGIES) {
        for (let i = 0; i < 3; i++) {
          const { reply, ms } = await timed(() =>
            request(servers[s].url, '/api/dashboard', { token: tokens[s] }),
          );
          assert.equal(reply.status, 503, `${s} attempt ${i}: ${reply.text}`);
          assert.ok(ms < 3000, `${s}: 503 took ${ms.toFixed(0)} ms`);
          assert.deepEqual(reply.json(), {
            error: 'service_unavailable',
            message: 'A dependency (postgres) is unavailable',
          });
        }
        assert.equal((await request(servers[s].url, '/healthz')).status, 503);
        // Bad credentials are still a 401, not a 503: no dependency is needed to reject them.
        assert.equal((await request(servers[s].url, '/api/dashboard', { token: 'garbage' })).status, 401);
      }
    } finally {
      await pgLocal.start();
    }
    for (const s of WRITE_UP_STRATEGIES) {
      await eventually(
        `${s} serves again`,
        15_000,
        async () => (await request(servers[s].url, '/api/dashboard', { token: tokens[s] })).status === 200,
      );
    }
  });
});
