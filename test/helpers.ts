import assert from 'node:assert/strict';
import pg from 'pg';
import { startDelayProxy, type DelayProxyServer } from '../bench/engine/delay-proxy.js';
import { readSeedMeta, seedDatabase } from '../fixtures/seed.js';
import type { SeedSpec } from '../fixtures/generator.js';
import { startServer, type RunningServer, type ServerOptions } from '../servers/server.js';
import type { StrategyName, WriteUpStrategy } from '../servers/strategies/index.js';

export const TEST_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';

/** The smallest load a CLI run can have and still be a run: two 1-s rounds after a 1-s warm-up. */
export const TINY_LOAD = [
  '--rounds',
  '2',
  '--round-seconds',
  '1',
  '--warmup-seconds',
  '1',
  '--connections',
  '4',
];

/** The services `npm test` resolved (test/run.ts); a test file run on its own must set them. */
export function serviceUrls(): { pgUrl: string; redisUrl: string } {
  const pgUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  assert.ok(pgUrl && redisUrl, 'DATABASE_URL and REDIS_URL must be set: run the tests with `npm test`');
  return { pgUrl, redisUrl };
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * A database of this test file's own on the resolved server, created empty. Tests never write
 * to a database they did not create, so pointing them at a shared server is safe.
 */
export async function createTestDatabase(
  name: string,
  baseUrl = serviceUrls().pgUrl,
): Promise<{ url: string; drop(): Promise<void> }> {
  const database = `authbench_test_${name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`;
  const admin = new pg.Client({ connectionString: withDatabase(baseUrl, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(baseUrl, database),
    async drop() {
      const c = new pg.Client({ connectionString: withDatabase(baseUrl, 'postgres') });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export async function seedUrl(url: string, spec: SeedSpec): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    await seedDatabase(pool, spec);
  } finally {
    await pool.end();
  }
}

export function serverOptions(
  strategy: StrategyName,
  pgUrl: string,
  redisUrl: string,
  extra: Partial<ServerOptions> = {},
): ServerOptions {
  return {
    strategy,
    pgUrl,
    redisUrl,
    host: '127.0.0.1',
    port: 0,
    poolSize: 4,
    issueTokens: true,
    jwtSecret: TEST_SECRET,
    tokenTtlSeconds: 600,
    ...extra,
  };
}

/** Both strategies against the same database and Redis, as the bench runs them. */
export async function startBoth(
  pgUrl: string,
  redisUrl: string,
  extra: Partial<ServerOptions> = {},
): Promise<Record<WriteUpStrategy, RunningServer>> {
  const [a, b] = await Promise.all([
    startServer(serverOptions('db-lookup', pgUrl, redisUrl, extra)),
    startServer(serverOptions('jwt-redis', pgUrl, redisUrl, extra)),
  ]);
  return { 'db-lookup': a, 'jwt-redis': b };
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json(): unknown;
}

export async function request(
  base: string,
  path: string,
  init: { method?: string; token?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  let body: string | undefined;
  if (init.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  }
  const res = await fetch(base + path, {
    method: init.method ?? 'GET',
    headers,
    body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

export async function tokenFor(server: RunningServer, userId: number): Promise<string> {
  const res = await request(server.url, '/auth/token', { method: 'POST', body: { userId } });
  assert.equal(res.status, 200, `minting a token for user ${userId}: ${res.text}`);
  return (res.json() as { token: string }).token;
}

/** Polls until `check` holds, at most `ms`: recovery and notifications are asynchronous. */
export async function eventually(label: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${label}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A seeded test database, a delay proxy in front of it (delay 0 until a test changes it), and
 * the dataset id: for the followers (jwt-redis's applier, jwt-local's map) whose connections go
 * through the proxy while requests read Postgres directly.
 */
export async function proxiedTestDatabase(
  name: string,
  spec: SeedSpec,
): Promise<{
  database: Awaited<ReturnType<typeof createTestDatabase>>;
  proxy: DelayProxyServer;
  viaProxy: string;
  datasetId: string;
}> {
  const database = await createTestDatabase(name);
  await seedUrl(database.url, spec);
  const target = new URL(database.url);
  const proxy = await startDelayProxy({
    targetHost: target.hostname,
    targetPort: Number(target.port || 5432),
    delayMs: 0,
  });
  const viaProxy = new URL(database.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String((proxy.server.address() as { port: number }).port);
  const pool = new pg.Pool({ connectionString: database.url, max: 1 });
  try {
    const datasetId = (await readSeedMeta(pool))!.datasetId;
    return { database, proxy, viaProxy: viaProxy.toString(), datasetId };
  } finally {
    await pool.end();
  }
}
