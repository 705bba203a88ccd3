/**
 * rbac-cache against real Postgres and Redis: a hit costs no auth query, a revocation makes the
 * cached claims a miss (they are believed only at the version the records hold), and losing the
 * cache costs misses, never wrong answers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { parseMetrics, sumFamily } from '../../servers/metrics.js';
import { SQL_BOUND_MS } from '../../servers/revocation/revocations.js';
import { startServer, type RunningServer } from '../../servers/server.js';
import {
  createTestDatabase,
  eventually,
  request,
  seedUrl,
  serverOptions,
  serviceUrls,
  tokenFor,
} from '../helpers.js';

describe('rbac-cache', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: RunningServer;
  let admin: pg.Pool;

  before(async () => {
    database = await createTestDatabase('rbac_cache');
    await seedUrl(database.url, { seed: 8, users: 40 });
    server = await startServer(serverOptions('rbac-cache', database.url, serviceUrls().redisUrl));
    admin = new pg.Pool({ connectionString: database.url, max: 1 });
  });
  after(async () => {
    await server?.close();
    await admin?.end();
    await database?.drop();
  });

  const fills = async (): Promise<number> => {
    const metrics = parseMetrics(await (await fetch(`${server.url}/metrics`)).text());
    return [...metrics.entries()]
      .filter(([k]) => k.startsWith('authbench_db_queries_total{') && k.includes('rbac_cache_fill'))
      .reduce((a, [, v]) => a + v, 0);
  };

  test('a miss fills the cache; a hit costs no auth query', async () => {
    const token = await tokenFor(server, 3);
    const before = await fills();
    const a = await request(server.url, '/api/dashboard', { token });
    assert.equal(a.status, 200, a.text);
    assert.equal(await fills(), before + 1, 'the first request reads the join');
    const b = await request(server.url, '/api/dashboard', { token });
    assert.equal(b.text, a.text);
    assert.equal(await fills(), before + 1, 'the second is a hit');
    assert.ok(
      sumFamily(
        parseMetrics(await (await fetch(`${server.url}/metrics`)).text()),
        'authbench_redis_commands_total',
      ) > 0,
    );
  });

  test('a plain-SQL revocation turns the cached claims into a miss within the bound', async () => {
    const token = await tokenFor(server, 5);
    assert.equal((await request(server.url, '/api/dashboard', { token })).status, 200);
    // Every role of user 5 goes: the current claims say "no role", so the old token is refused.
    await admin.query('DELETE FROM user_roles WHERE user_id = 5');
    await eventually('the cached claims stop being believed', SQL_BOUND_MS + 200, async () => {
      return (await request(server.url, '/api/dashboard', { token })).status === 401;
    });
  });
});
