import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readSeedMeta } from '../fixtures/seed.js';
import { createApp } from './app.js';
import { createDb } from './db.js';
import { createJwtKey, tokenVerifier, type JwtVerifyVariant } from './jwt.js';
import { Metrics } from './metrics.js';
import { createRedis } from './redis.js';
import { createStrategy, type StrategyName } from './strategies/index.js';
import { LocalVersions } from './revocation/local.js';
import { Revocations } from './revocation/revocations.js';
import { redactUrl } from './urls.js';

export interface ServerOptions {
  strategy: StrategyName;
  pgUrl: string;
  redisUrl: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  poolSize: number;
  issueTokens: boolean;
  jwtSecret: string;
  tokenTtlSeconds: number;
  /** Default 'keyobject' (docs/method.md, "Fairness"). */
  jwtVerify?: JwtVerifyVariant;
}

export interface RunningServer {
  url: string;
  port: number;
  strategy: StrategyName;
  datasetId: string;
  metrics: Metrics;
  close(): Promise<void>;
}

/**
 * Connects to Postgres and Redis, checks the database holds a seed, and listens. Fails with a
 * message naming what is missing rather than serving errors.
 */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const key = createJwtKey(opts.jwtSecret);
  const verify = tokenVerifier(opts.jwtSecret, opts.jwtVerify ?? 'keyobject');
  const metrics = new Metrics();
  const db = createDb({ url: opts.pgUrl, poolSize: opts.poolSize, metrics });
  const redis = createRedis({ url: opts.redisUrl });
  const cleanup = async (): Promise<void> => {
    redis.disconnect();
    await db.close().catch(() => {});
  };
  let datasetId: string;
  try {
    const meta = await readSeedMeta(db.pool).catch((err: unknown) => {
      throw new Error(`cannot query Postgres at ${redactUrl(opts.pgUrl)}: ${(err as Error).message}`);
    });
    if (!meta) throw new Error('the database holds no authbench seed: run `authbench seed` first');
    datasetId = meta.datasetId;
    await redis.connect().catch((err: unknown) => {
      throw new Error(`cannot connect to Redis at ${redactUrl(opts.redisUrl)}: ${(err as Error).message}`);
    });
  } catch (err) {
    await cleanup();
    throw err;
  }

  const revocations = new Revocations(
    redis,
    db,
    opts.pgUrl,
    datasetId,
    metrics,
    // The strategies that answer from the Redis records run the applier that keeps them current.
    opts.strategy === 'jwt-redis' || opts.strategy === 'rbac-cache',
  );
  const local = opts.strategy === 'jwt-local' ? new LocalVersions(db, opts.pgUrl, datasetId, metrics) : null;
  const stopRevocations = async (): Promise<void> => {
    await Promise.all([revocations.stop(), local?.stop()]);
  };
  const strategy = createStrategy(opts.strategy, { db, revocations, local });
  try {
    await revocations.start();
  } catch (err) {
    await stopRevocations();
    await cleanup();
    throw new Error(
      `cannot check the revocation records in Redis against Postgres: ${(err as Error).message}`,
    );
  }
  try {
    await local?.start();
  } catch (err) {
    await stopRevocations();
    await cleanup();
    throw new Error(`cannot load the revocation map from Postgres: ${(err as Error).message}`);
  }
  const app = createApp({
    strategy,
    db,
    revocations,
    datasetId,
    key,
    verify,
    metrics,
    pingRedis: async () => {
      await redis.ping();
    },
    issueTokens: opts.issueTokens,
    tokenTtlSeconds: opts.tokenTtlSeconds,
  });
  const server: Server = createServer(app);
  // Longer than any load generator's idle gap, so benchmark connections are not reset mid-run.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (err: unknown) => {
    await stopRevocations();
    await cleanup();
    throw new Error(`cannot listen on ${opts.host}:${opts.port}: ${(err as Error).message}`);
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    strategy: opts.strategy,
    datasetId,
    metrics,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await stopRevocations();
        await cleanup();
      })();
      return closing;
    },
  };
}
