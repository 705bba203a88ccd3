/**
 * The revocation rules one at a time, against a real Redis and Postgres: the Lua scripts that
 * keep "Redis reflects the log" (docs/freshness.md, invariant R), and the freshness lease. The
 * freshness checker tests the whole under load and faults; these pin each rule down, so that a
 * rule removed or weakened fails here even when a short randomized run happens not to hit it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { DelayProxyServer } from '../../bench/engine/delay-proxy.js';
import { createDb, type Db } from '../../servers/db.js';
import { DependencyError } from '../../servers/errors.js';
import { Metrics } from '../../servers/metrics.js';
import { RevocationKeys, scripted } from '../../servers/revocation/records.js';
import { LEASE_MS, POLL_MS, Revocations } from '../../servers/revocation/revocations.js';
import { createRedis } from '../../servers/redis.js';
import { type createTestDatabase, eventually, proxiedTestDatabase, serviceUrls } from '../helpers.js';

describe('Redis scripts: records only rise, meta only covers what is applied', () => {
  let redis: Redis;
  const keys = new RevocationKeys(`test-${randomUUID()}`);
  const gen = 'g1';
  const meta = (pos: number): string => `${gen}:${pos}`;
  const apply = (mode: 'log' | 'own', from: number, to: number, updates: Array<[number, string, string]>) =>
    scripted(redis).authbenchApply(
      1 + 2 * updates.length,
      keys.meta,
      ...updates.map(([u]) => keys.record(gen, u)),
      ...updates.map(([u]) => keys.intent(u)),
      gen,
      mode,
      60,
      from,
      to,
      ...updates.flatMap(([, v, x]) => [v, x]),
    );
  const refill = (user: number, readPos: number, version: number) =>
    scripted(redis).authbenchRefill(2, keys.meta, keys.record(gen, user), gen, readPos, String(version), 60);

  before(async () => {
    redis = new Redis(serviceUrls().redisUrl);
  });
  after(async () => {
    const own = await redis.keys(`authbench:{${keys.datasetId}}:*`);
    if (own.length > 0) await redis.del(...own);
    redis.disconnect();
  });

  test('APPLY (log): in order only, raises records, advances meta; a stale key space is refused', async () => {
    await redis.set(keys.meta, meta(5));
    assert.equal(
      await apply('log', 7, 8, [[1, '70', 'x7']]),
      'behind',
      'entry 6 is missing: meta must not jump over it',
    );
    assert.equal(await redis.get(keys.meta), meta(5));
    assert.equal(
      await apply('log', 6, 7, [
        [1, '60', 'x6'],
        [2, '-61', 'x6'],
      ]),
      'ok',
    );
    assert.equal(await redis.get(keys.meta), meta(7));
    assert.equal(await redis.get(keys.record(gen, 1)), '60');
    assert.equal(
      await redis.get(keys.record(gen, 2)),
      '-61',
      'a deletion is a tombstone with a version of its own',
    );
    assert.equal(await apply('log', 6, 7, [[1, '10', 'x6']]), 'ok', 'already applied: nothing happens');
    assert.equal(await redis.get(keys.record(gen, 1)), '60');
    const other = scripted(redis).authbenchApply(
      3,
      keys.meta,
      keys.record('g0', 1),
      keys.intent(1),
      'g0',
      'log',
      60,
      8,
      8,
      '90',
      'x8',
    );
    assert.equal(await other, 'gen', 'a writer of another key space is refused');
  });

  test('APPLY (own) never lowers a record; a tombstone yields only to a higher version (a re-created user)', async () => {
    await redis.set(keys.meta, meta(7));
    await redis.set(keys.record(gen, 3), '50');
    assert.equal(await apply('own', 0, 0, [[3, '40', 'y']]), 'ok');
    assert.equal(await redis.get(keys.record(gen, 3)), '50', 'older version: no change');
    await apply('own', 0, 0, [[3, '-55', 'y']]);
    assert.equal(await redis.get(keys.record(gen, 3)), '-55');
    await apply('own', 0, 0, [[3, '52', 'y']]);
    assert.equal(await redis.get(keys.record(gen, 3)), '-55', 'an old incarnation stays deleted');
    await apply('own', 0, 0, [[3, '58', 'y']]);
    assert.equal(await redis.get(keys.record(gen, 3)), '58', 'the new incarnation is newer');
    assert.equal(await redis.get(keys.meta), meta(7), 'own entries never move meta');
  });

  test('REFILL: an existing record only rises; a missing one is written only if meta has nothing past the read', async () => {
    await redis.set(keys.meta, meta(10));
    await redis.set(keys.record(gen, 4), '100');
    await refill(4, 9, 90);
    assert.equal(
      await redis.get(keys.record(gen, 4)),
      '100',
      'a refill that read before a revocation cannot undo it',
    );
    await redis.del(keys.record(gen, 5));
    await refill(5, 9, 90);
    assert.equal(
      await redis.get(keys.record(gen, 5)),
      null,
      'entry 10 may concern user 5 and have expired: no write',
    );
    await refill(5, 10, 95);
    assert.equal(await redis.get(keys.record(gen, 5)), '95');
    assert.equal(
      await scripted(redis).authbenchRefill(2, keys.meta, keys.record('g0', 5), 'g0', 10, '1', 60),
      'gen',
    );
  });

  test('intents: added per transaction, resolved by the entries they announced or by their end', async () => {
    await redis.set(keys.meta, meta(10));
    await scripted(redis).authbenchIntent(1, keys.intent(6), 'x20');
    await scripted(redis).authbenchIntent(1, keys.intent(6), 'x21');
    assert.equal(await redis.get(keys.intent(6)), 'x20|x21');
    assert.equal(await redis.ttl(keys.intent(6)), -1, 'an intent never expires by itself');
    assert.equal(
      await scripted(redis).authbenchClear(keys.meta, keys.intent(6), 'x20', 12),
      'behind',
      'committed, but meta does not cover its entries yet: kept',
    );
    assert.equal(await redis.get(keys.intent(6)), 'x20|x21');
    await scripted(redis).authbenchClear(keys.meta, keys.intent(6), 'x20', 0);
    assert.equal(await redis.get(keys.intent(6)), 'x21', 'aborted: gone');
    await apply('log', 11, 11, [[6, '110', 'x21']]);
    assert.equal(await redis.get(keys.intent(6)), null, 'applying its entry resolves it');
    assert.equal(await redis.get(keys.record(gen, 6)), '110');
  });
});

describe('the freshness lease (a server whose applier cannot reach Postgres)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: DelayProxyServer;
  let db: Db;
  let redis: ReturnType<typeof createRedis>;
  let revocations: Revocations;

  before(async () => {
    let viaProxy: string;
    let datasetId: string;
    ({ database, proxy, viaProxy, datasetId } = await proxiedTestDatabase('lease', { seed: 3, users: 20 }));
    const metrics = new Metrics();
    db = createDb({ url: database.url, poolSize: 2, metrics });
    redis = createRedis({ url: serviceUrls().redisUrl });
    await redis.connect();
    // Requests read Postgres directly; only the applier's connection goes through the proxy.
    revocations = new Revocations(redis, db, viaProxy, datasetId, metrics, true);
    await revocations.start();
  });
  after(async () => {
    await revocations?.stop();
    const own = await redis.keys('authbench:{*');
    const mine = own.filter((k) => k.includes(revocations.keys.datasetId));
    if (mine.length > 0) await redis.del(...mine);
    redis?.disconnect();
    await db?.close();
    proxy?.close();
    await database?.drop();
  });

  test('answers from Redis while the applier confirms; fails closed once it cannot; recovers', async () => {
    assert.equal((await revocations.lookup(1))?.deleted, false, 'a refill from Postgres');
    assert.ok(await revocations.lookup(1), 'then from the record');
    proxy.setDelay(5000);
    await new Promise((r) => setTimeout(r, LEASE_MS + 2 * POLL_MS));
    await assert.rejects(
      revocations.lookup(1),
      DependencyError,
      'no confirmation for longer than the lease: Redis may be missing a plain-SQL revocation',
    );
    proxy.setDelay(0);
    await eventually('answers again once the applier reaches Postgres', 8000, async () => {
      try {
        return (await revocations.lookup(1)) !== null;
      } catch {
        return false;
      }
    });
  });

  test('meta lost without a reconnect: fails closed, then a new key space', async () => {
    await redis.del(revocations.keys.meta);
    await assert.rejects(revocations.lookup(2), DependencyError);
    await eventually('a new key space', 3000, async () => {
      try {
        return (await revocations.lookup(2)) !== null;
      } catch {
        return false;
      }
    });
  });
});
