/**
 * jwt-local's in-process revocation map and the no-auth ceiling, against real Postgres and Redis:
 * the map follows plain-SQL revocations within its bound, reloads after a revocation of
 * everyone, fails closed when it cannot confirm, and no-auth really checks nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { DelayProxyServer } from '../../bench/engine/delay-proxy.js';
import { createDb, type Db } from '../../servers/db.js';
import { DependencyError } from '../../servers/errors.js';
import { Metrics } from '../../servers/metrics.js';
import { LocalVersions } from '../../servers/revocation/local.js';
import { LEASE_MS, POLL_MS, SQL_BOUND_MS } from '../../servers/revocation/revocations.js';
import { startServer, type RunningServer } from '../../servers/server.js';
import {
  createTestDatabase,
  eventually,
  proxiedTestDatabase,
  request,
  seedUrl,
  serverOptions,
  serviceUrls,
  tokenFor,
} from '../helpers.js';

describe('jwt-local: the revocation map', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: DelayProxyServer;
  let db: Db;
  let admin: pg.Pool;
  let local: LocalVersions;

  before(async () => {
    let viaProxy: string;
    let datasetId: string;
    ({ database, proxy, viaProxy, datasetId } = await proxiedTestDatabase('jwt_local_map', {
      seed: 5,
      users: 40,
    }));
    const metrics = new Metrics();
    db = createDb({ url: database.url, poolSize: 2, metrics });
    admin = new pg.Pool({ connectionString: database.url, max: 2 });
    // The map's connections (the load and the log) go through the proxy; misses read Postgres directly.
    local = new LocalVersions(db, viaProxy, datasetId, metrics);
    await local.start();
  });
  after(async () => {
    await local?.stop();
    await db?.close();
    await admin?.end();
    proxy?.close();
    await database?.drop();
  });

  const versionOf = async (userId: number): Promise<number> => {
    const { rows } = await admin.query<{ v: string }>('SELECT token_version AS v FROM users WHERE id = $1', [
      userId,
    ]);
    return Number(rows[0]!.v);
  };

  test('every user from one snapshot; a plain-SQL revocation arrives within the bound, from the log', async () => {
    assert.equal((await local.lookup(3))?.version, await versionOf(3), 'loaded, no query needed');
    const started = performance.now();
    await admin.query('DELETE FROM user_roles WHERE user_id = 3');
    const after = await versionOf(3);
    await eventually(
      'the map follows the log',
      SQL_BOUND_MS,
      async () => (await local.lookup(3))?.version === after,
    );
    assert.ok(performance.now() - started < SQL_BOUND_MS);
    assert.equal(await local.lookup(999_999), null, 'no such user: null, after one query');
  });

  test('a deleted user becomes a tombstone; a revocation of everyone reloads the map', async () => {
    await admin.query('DELETE FROM users WHERE id = 7');
    await eventually(
      'the tombstone arrives',
      SQL_BOUND_MS,
      async () => (await local.lookup(7))?.deleted === true,
    );
    const before = await versionOf(5);
    await admin.query('TRUNCATE role_permissions');
    const bumped = await versionOf(5);
    assert.ok(bumped > before, 'TRUNCATE revokes everyone');
    await eventually('reloaded with every new version', 3000, async () => {
      try {
        return (await local.lookup(5))?.version === bumped;
      } catch {
        return false;
      }
    });
  });

  test('no confirmation for longer than the lease: 503, never a guess; then it recovers', async () => {
    proxy.setDelay(5000);
    await new Promise((r) => setTimeout(r, LEASE_MS + 2 * POLL_MS));
    await assert.rejects(local.lookup(5), DependencyError);
    assert.equal(local.isReady, false);
    proxy.setDelay(0);
    await eventually('answers again', 8000, async () => {
      try {
        return (await local.lookup(5)) !== null;
      } catch {
        return false;
      }
    });
  });
});

describe('jwt-local and no-auth servers', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let jwtLocal: RunningServer;
  let noAuth: RunningServer;
  let admin: pg.Pool;

  before(async () => {
    database = await createTestDatabase('jwt_local_server');
    await seedUrl(database.url, { seed: 6, users: 40 });
    const { redisUrl } = serviceUrls();
    [jwtLocal, noAuth] = await Promise.all([
      startServer(serverOptions('jwt-local', database.url, redisUrl)),
      startServer(serverOptions('no-auth', database.url, redisUrl)),
    ]);
    admin = new pg.Pool({ connectionString: database.url, max: 1 });
  });
  after(async () => {
    await Promise.all([jwtLocal?.close(), noAuth?.close()]);
    await admin?.end();
    await database?.drop();
  });

  test('the same answers; jwt-local rejects a stale token within its bound, a fresh one works', async () => {
    const token = await tokenFor(jwtLocal, 2);
    const a = await request(jwtLocal.url, '/api/dashboard', { token });
    const b = await request(noAuth.url, '/api/dashboard', { token });
    assert.equal(a.status, 200, a.text);
    assert.equal(b.text, a.text, 'identical bodies');
    assert.equal((await request(jwtLocal.url, '/healthz')).status, 200);
    await admin.query('DELETE FROM user_roles WHERE user_id = 2');
    await eventually('the old token is rejected', SQL_BOUND_MS + 200, async () => {
      return (await request(jwtLocal.url, '/api/dashboard', { token })).status === 401;
    });
    await admin.query(
      "INSERT INTO user_roles (user_id, role_id) SELECT 2, id FROM roles WHERE name = 'viewer'",
    );
    const fresh = await tokenFor(jwtLocal, 2);
    await eventually('a token minted after both revocations works', SQL_BOUND_MS + 200, async () => {
      return (await request(jwtLocal.url, '/api/dashboard', { token: fresh })).status === 200;
    });
  });

  test('no-auth checks nothing: a forged signature passes there and nowhere else', async () => {
    const token = await tokenFor(noAuth, 4);
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.AAAA`;
    assert.equal((await request(noAuth.url, '/api/dashboard', { token: forged })).status, 200);
    assert.equal((await request(jwtLocal.url, '/api/dashboard', { token: forged })).status, 401);
  });
});
