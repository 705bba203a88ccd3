/**
 * Shared by the infra tests and their fixture: looks at running services from the outside,
 * the way an operator would, so the tests do not depend on the modules' internals.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';

/** The machine's own services, used only read-only; DATABASE_URL / REDIS_URL win (npm test sets them). */
export const EXISTING_PG_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
export const EXISTING_REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** Pids and temp dirs of a local Postgres and Redis. */
export interface LocalState {
  pgPid: number;
  pgDir: string;
  redisPid: number;
  redisDir: string;
}

/** Runs SELECT 1 against `url`. */
export async function selectOne(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const result = await client.query<{ one: number }>('SELECT 1 AS one');
    return result.rows[0]?.one ?? -1;
  } finally {
    await client.end();
  }
}

/** Sends PING to `url`. */
export async function ping(url: string): Promise<string> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  await redis.connect();
  try {
    return await redis.ping();
  } finally {
    redis.disconnect();
  }
}

/** Postmaster pid and cluster dir (the parent of data_directory) of the server at `url`. */
export async function inspectPostgres(url: string): Promise<{ pid: number; dir: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ data_directory: string }>('SHOW data_directory');
    const dataDir = result.rows[0]?.data_directory ?? '';
    const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return { pid, dir: path.dirname(dataDir) };
  } finally {
    await client.end();
  }
}

/** Server pid and working dir of the redis at `url`. */
export async function inspectRedis(url: string): Promise<{ pid: number; dir: string }> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await redis.connect();
  try {
    const info = await redis.info('server');
    const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
    const [, dir] = (await redis.config('GET', 'dir')) as [string, string];
    return { pid, dir };
  } finally {
    redis.disconnect();
  }
}

/** Both, for a resolved local infra. */
export async function inspectLocal(pgUrl: string, redisUrl: string): Promise<LocalState> {
  const [pgState, redisState] = await Promise.all([inspectPostgres(pgUrl), inspectRedis(redisUrl)]);
  return { pgPid: pgState.pid, pgDir: pgState.dir, redisPid: redisState.pid, redisDir: redisState.dir };
}

/**
 * Whether `pid` is gone: process.kill(pid, 0) throws ESRCH. Polls for a while because an
 * exited postmaster is reparented to init, which may reap it a second or two later.
 */
export async function waitGone(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
      throw err;
    }
    if (Date.now() >= deadline) return false;
    await delay(50);
  }
}

/** A fresh temp dir for a test; the caller removes it. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
