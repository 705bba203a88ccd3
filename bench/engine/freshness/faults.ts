/**
 * The nemesis's faults, against instances the phase owns: its throwaway Redis (paused, stalled,
 * restarted empty or from an older snapshot), the servers' Postgres connections (terminated) and
 * the direct server's database link (slowed through its delay proxy). Each returns the window
 * the fault was in effect on the phase clock.
 */
import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type pg from 'pg';
import type { LocalRedis } from '../../infra/index.js';
import type { DelayProxy } from '../children.js';
import type { FaultEvent, PlannedFault } from '../../schema/freshness.js';
import type { PhaseClock } from './clock.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface FaultTargets {
  clock: PhaseClock;
  redis: LocalRedis;
  /** A direct connection of the harness's, for pg_terminate_backend. */
  admin: pg.Client;
  /** The direct server's link. */
  link: DelayProxy;
}

async function withRedis<T>(url: string, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 10_000,
  });
  r.on('error', () => {});
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

export class FaultInjector {
  private snapshot: string | undefined;
  private snapshots = 0;

  constructor(private readonly t: FaultTargets) {}

  /** Saves Redis' data now, to be brought back by a later restore-snapshot fault. */
  async takeSnapshot(): Promise<void> {
    await withRedis(this.t.redis.url, (r) => r.save());
    const file = join(this.t.redis.dir, `snapshot-${++this.snapshots}.rdb`);
    await copyFile(join(this.t.redis.dir, 'dump.rdb'), file);
    this.snapshot = file;
  }

  async inject(f: PlannedFault): Promise<FaultEvent> {
    const { clock, redis } = this.t;
    const startMs = clock();
    let detail: string | undefined;
    switch (f.kind) {
      case 'redis-pause':
        await withRedis(redis.url, (r) => r.call('CLIENT', 'PAUSE', String(f.durationMs), 'ALL'));
        await sleep(f.durationMs);
        break;
      case 'redis-stall': {
        const pid = redis.pid();
        if (pid === undefined) throw new Error('redis is not running');
        process.kill(pid, 'SIGSTOP');
        try {
          await sleep(f.durationMs);
        } finally {
          process.kill(pid, 'SIGCONT');
        }
        break;
      }
      case 'redis-restart-empty':
        await redis.stop();
        await rm(join(redis.dir, 'dump.rdb'), { force: true });
        await redis.start();
        break;
      case 'redis-restore-snapshot':
        await redis.stop();
        if (this.snapshot) {
          await copyFile(this.snapshot, join(redis.dir, 'dump.rdb'));
          detail = `restored ${this.snapshot.slice(this.snapshot.lastIndexOf('/') + 1)}`;
        } else {
          await rm(join(redis.dir, 'dump.rdb'), { force: true });
          detail = 'no snapshot taken yet: restarted empty';
        }
        await redis.start();
        break;
      case 'redis-evict-records': {
        // As a memory-pressed Redis (or the records' TTL) would: records vanish, over and over,
        // so requests keep refilling from Postgres while revocations commit. Meta and intents,
        // which never expire, stay.
        let evicted = 0;
        await withRedis(redis.url, async (r) => {
          const until = clock() + f.durationMs;
          while (clock() < until) {
            let cursor = '0';
            do {
              const [next, keys] = await r.scan(cursor, 'MATCH', 'authbench:*', 'COUNT', 2000);
              cursor = next;
              const records = keys.filter((k) => !k.endsWith(':meta') && !k.includes(':intent:'));
              if (records.length > 0) evicted += await r.unlink(...records);
            } while (cursor !== '0');
            // Long enough for a record refilled in between to be read (and for a wrongly
            // refilled one to be caught), short enough that refills keep racing revocations.
            await sleep(150);
          }
        });
        detail = `${evicted} records evicted`;
        break;
      }
      case 'pg-terminate-backends': {
        const { rows } = await this.t.admin.query<{
          n: number;
        }>(`SELECT count(pg_terminate_backend(pid))::int AS n
          FROM pg_stat_activity WHERE application_name = 'authbench-server'`);
        detail = `${rows[0]?.n ?? 0} connections terminated`;
        break;
      }
      case 'db-link-slow':
        await this.t.link.setDelay(f.delayMs);
        try {
          await sleep(f.durationMs);
        } finally {
          await this.t.link.setDelay(0);
        }
        detail = `+${f.delayMs} ms each way`;
        break;
    }
    return {
      kind: f.kind,
      startMs,
      endMs: clock(),
      lossOfRedisWrites: f.kind === 'redis-restart-empty' || f.kind === 'redis-restore-snapshot',
      ...(detail ? { detail } : {}),
    };
  }
}
