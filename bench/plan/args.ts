/**
 * The commands' arguments, checked before anything starts: a bad flag or scenario file costs
 * nothing and is a usage error (exit 2) naming the flag, the rule and the value.
 */
import { DEFAULT_SEED, DEFAULT_USERS, type SeedSpec } from '../../fixtures/generator.js';
import { DEV_SECRET, JWT_VERIFY_VARIANTS, createJwtKey } from '../../servers/jwt.js';
import type { ServerOptions } from '../../servers/server.js';
import { NOT_AUTH_STRATEGIES, STRATEGY_NAMES } from '../../servers/strategies/index.js';
import { findWrk } from '../infra/binaries.js';
import { givenUrl, type Service } from '../infra/urls.js';
import type { BenchConfig } from '../schema/results.js';
import { DEFAULTS, validateConfig, type RawBenchOptions } from './config.js';
import { DEFAULT_SCENARIOS, scenarioConfig } from './scenarios.js';
import type { PredictQuestion } from '../analysis/predict.js';
import { UsageError, choiceFlag, hostFlag, intFlag, listFlag, numberFlag, usage } from './usage.js';

export interface RunArgs {
  /** One per scenario, run back to back against the same infrastructure. */
  configs: BenchConfig[];
  pgUrl?: string;
  redisUrl?: string;
}

/**
 * Validates everything before anything starts: a bad flag or scenario file costs nothing.
 * `explicit` holds the options given on the command line (they override a scenario's values);
 * without --scenario, `run` does the default scenarios back to back.
 */
export function parseRunArgs(
  raw: RawBenchOptions & { pgUrl?: unknown; redisUrl?: unknown },
  env: NodeJS.ProcessEnv,
  explicit: RawBenchOptions = raw,
  defaults: BenchConfig = DEFAULTS,
  scenarios: readonly string[] = DEFAULT_SCENARIOS,
): RunArgs {
  const named = explicit.scenario !== undefined ? [String(explicit.scenario)] : scenarios;
  const { scenario: _ignored, ...flags } = explicit;
  const configs =
    named.length === 0
      ? [validateConfig(flags, defaults)]
      : named.map((n) => scenarioConfig(n, flags, defaults));
  if (configs.some((c) => c.engine === 'wrk') && !findWrk(env))
    throw usage('--engine', 'autocannon, or wrk where wrk is installed (Debian: apt-get install wrk)', 'wrk');
  const pgUrl = urlArg('postgres', raw, env);
  const redisUrl = urlArg('redis', raw, env);
  return { configs, ...(pgUrl ? { pgUrl } : {}), ...(redisUrl ? { redisUrl } : {}) };
}

export interface SeedArgs {
  spec: SeedSpec;
  pgUrl?: string;
}

export function parseSeedArgs(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): SeedArgs {
  const pgUrl = urlArg('postgres', raw, env);
  return {
    spec: {
      users: intFlag('--users', String(raw.users ?? DEFAULT_USERS), 1, 10_000_000),
      seed: intFlag('--seed', String(raw.seed ?? DEFAULT_SEED), 0, 0xffffffff),
    },
    ...(pgUrl ? { pgUrl } : {}),
  };
}

/**
 * The URL from --pg-url / --redis-url, else DATABASE_URL / REDIS_URL, checked before anything
 * starts so a bad one is a usage error (exit 2) naming the flag or variable and the rule.
 */
export function urlArg(
  service: Service,
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): string | undefined {
  const option = raw[service === 'postgres' ? 'pgUrl' : 'redisUrl'];
  try {
    return givenUrl(service, typeof option === 'string' ? option : undefined, env)?.url;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export interface ServeArgs {
  server: Omit<ServerOptions, 'pgUrl' | 'redisUrl'>;
  pgUrl?: string;
  redisUrl?: string;
  /** What to seed when serve owns a throwaway database. */
  spec: SeedSpec;
  devSecret: boolean;
  /** Whether --users or --seed was given explicitly. */
  seedGiven: boolean;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function parseServeArgs(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): ServeArgs {
  const pgUrl = urlArg('postgres', raw, env);
  const redisUrl = urlArg('redis', raw, env);
  const secret = env.JWT_SECRET;
  if (secret === undefined && raw.requireJwtSecret === true)
    throw new UsageError(
      'JWT_SECRET must be set (--require-jwt-secret): this server never signs or verifies with the development secret',
    );
  if (secret !== undefined) {
    try {
      createJwtKey(secret);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const host = hostFlag('--host', String(raw.host));
  const issueTokens = raw.issueTokens === true;
  // Either would let anyone who can reach the port act as any user, admins included.
  if (!isLoopback(host) && issueTokens)
    throw usage('--host', 'a loopback address (127.0.0.1, ::1, localhost) with --issue-tokens', host);
  if (!isLoopback(host) && secret === undefined)
    throw usage('--host', 'a loopback address unless JWT_SECRET is set', host);
  const strategy = choiceFlag('--strategy', String(raw.strategy), STRATEGY_NAMES);
  // no-auth reads tokens without checking them: anyone could be anyone.
  if (!isLoopback(host) && NOT_AUTH_STRATEGIES.includes(strategy))
    throw usage('--host', `a loopback address (127.0.0.1, ::1, localhost) with --strategy ${strategy}`, host);
  return {
    server: {
      strategy,
      port:
        raw.port !== undefined
          ? intFlag('--port', String(raw.port), 0, 65535)
          : intFlag('PORT', env.PORT ?? '3000', 0, 65535),
      host,
      poolSize: intFlag('--pool-size', String(raw.poolSize), 1, 1000),
      issueTokens,
      tokenTtlSeconds: intFlag('--token-ttl', String(raw.tokenTtl), 1, 30 * 24 * 3600),
      jwtSecret: secret ?? DEV_SECRET,
      jwtVerify: choiceFlag('--jwt-verify', String(raw.jwtVerify ?? 'keyobject'), JWT_VERIFY_VARIANTS),
    },
    ...(pgUrl ? { pgUrl } : {}),
    ...(redisUrl ? { redisUrl } : {}),
    spec: {
      users: intFlag('--users', String(raw.users ?? DEFAULT_USERS), 1, 10_000_000),
      seed: intFlag('--seed', String(raw.seed ?? DEFAULT_SEED), 0, 0xffffffff),
    },
    devSecret: secret === undefined,
    seedGiven: raw.users !== undefined || raw.seed !== undefined,
  };
}

/** `authbench predict`'s flags, checked before any file is read. */
export function parsePredictArgs(raw: Record<string, unknown>): PredictQuestion & { scenario?: string } {
  const q: PredictQuestion & { scenario?: string } = {};
  if (raw.dbRttMs !== undefined) q.dbRttMs = numberFlag('--db-rtt-ms', String(raw.dbRttMs), 0, 10_000);
  if (raw.poolSize !== undefined) q.poolSize = intFlag('--pool-size', String(raw.poolSize), 1, 1000);
  if (raw.connections !== undefined)
    q.connections = intFlag('--connections', String(raw.connections), 1, 10_000);
  if (raw.strategies !== undefined) {
    const list = String(raw.strategies);
    q.strategies = listFlag('--strategies', list, STRATEGY_NAMES);
  }
  if (raw.scenario !== undefined) q.scenario = String(raw.scenario);
  return q;
}
