/**
 * The commands' arguments, checked before anything starts: a bad flag or scenario file costs
 * nothing and is a usage error (exit 2) naming the flag, the rule and the value.
 */
import { DEFAULT_SEED, DEFAULT_USERS, type SeedSpec } from '../../fixtures/generator.js';
import { DEV_SECRET, JWT_VERIFY_VARIANTS, createJwtKey } from '../../servers/jwt.js';
import type { ServerOptions } from '../../servers/server.js';
import { NOT_AUTH_STRATEGIES, STRATEGY_NAMES } from '../../servers/strategies/index.js';
import { findArtillery, findWrk } from '../infra/binaries.js';
import { ARTILLERY_INSTALL } from '../schema/artillery.js';
import { ARTILLERY_DEFAULTS, vusPerWorker, type ArtilleryOptions } from './artillery.js';
import { givenUrl, type Service } from '../infra/urls.js';
import type { BenchConfig } from '../schema/results.js';
import { DEFAULTS, validateConfig, type RawBenchOptions } from './config.js';
import { DEFAULT_SCENARIOS, scenarioConfig } from './scenarios.js';
import type { PredictQuestion } from '../analysis/predict.js';
import { parseTargets, tokenSource, type TargetMode } from './targets.js';
import { UsageError, choiceFlag, hostFlag, intFlag, listFlag, numberFlag, usage } from './usage.js';

export interface RunArgs {
  /** One per scenario, run back to back against the same infrastructure. */
  configs: BenchConfig[];
  pgUrl?: string;
  redisUrl?: string;
  /** Target mode: servers already running elsewhere; nothing is started or seeded. */
  target?: TargetMode;
  /** --engine artillery: its executable (export needs none) and the slices' layout. */
  artillery?: { bin: string | null; options: ArtilleryOptions };
}

type RawRunOptions = RawBenchOptions & {
  pgUrl?: unknown;
  redisUrl?: unknown;
  target?: unknown;
  tokensFile?: unknown;
  jwtSecret?: unknown;
  artillery?: unknown;
  leadSeconds?: unknown;
  guardSeconds?: unknown;
  workers?: unknown;
};

/**
 * Validates everything before anything starts: a bad flag or scenario file costs nothing.
 * `explicit` holds the options given on the command line (they override a scenario's values);
 * without --scenario, `run` does the default scenarios back to back.
 */
export function parseRunArgs(
  raw: RawRunOptions,
  env: NodeJS.ProcessEnv,
  explicit: RawBenchOptions = raw,
  defaults: BenchConfig = DEFAULTS,
  scenarios: readonly string[] = DEFAULT_SCENARIOS,
  opts: { artilleryBin: boolean } = { artilleryBin: true },
): RunArgs {
  const args = parseEngineFreeArgs(raw, env, explicit, defaults, scenarios);
  const artillery = artilleryArgs(args.configs, raw, explicit, env, opts.artilleryBin);
  return artillery ? { ...args, artillery } : args;
}

function parseEngineFreeArgs(
  raw: RawRunOptions,
  env: NodeJS.ProcessEnv,
  explicit: RawBenchOptions,
  defaults: BenchConfig,
  scenarios: readonly string[],
): RunArgs {
  const targetValues = raw.target === undefined ? [] : [raw.target].flat().map(String);
  if (targetValues.length > 0) return parseTargetRunArgs(raw, targetValues, env, explicit, defaults);
  for (const [key, flag] of [
    ['tokensFile', '--tokens-file'],
    ['jwtSecret', '--jwt-secret'],
  ] as const) {
    if (raw[key] !== undefined)
      throw new UsageError(
        `${flag} belongs to target mode: give --target too (authbench mints its own tokens)`,
      );
  }
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

/**
 * `run --target …`: the strategies are the targets' (the first is the baseline); the
 * configuration is otherwise the same, minus what only a local run can do: no delay proxy on a
 * link that is not ours, no calibration (the model needs the servers' own link round trip), no
 * CPU pinning.
 */
function parseTargetRunArgs(
  raw: RawRunOptions,
  values: readonly string[],
  env: NodeJS.ProcessEnv,
  explicit: RawBenchOptions,
  defaults: BenchConfig,
): RunArgs {
  const targets = parseTargets(values);
  const strategies = targets.map((t) => t.strategy).join(',');
  if (explicit.strategies !== undefined && String(explicit.strategies) !== strategies)
    throw usage(
      '--strategies',
      `the --target strategies, in their order, in target mode (${strategies})`,
      String(explicit.strategies),
    );
  if (explicit.calibrationSeconds !== undefined && String(explicit.calibrationSeconds) !== '0')
    throw usage(
      '--calibration-seconds',
      "0 in target mode (the model needs the servers' own round trip to their database, not measurable from here)",
      String(explicit.calibrationSeconds),
    );
  if (explicit.serverCpu !== undefined && String(explicit.serverCpu) !== 'none')
    throw usage(
      '--server-cpu',
      'none in target mode (the servers are not ours to pin)',
      String(explicit.serverCpu),
    );
  const { scenario: _s, ...flags } = explicit;
  const forced = { ...flags, strategies, calibrationSeconds: '0', serverCpu: 'none' };
  const configs =
    explicit.scenario !== undefined
      ? [scenarioConfig(String(explicit.scenario), forced, defaults)]
      : [validateConfig(forced, { ...defaults, scenario: 'target' })];
  for (const c of configs) {
    if (c.dbDelayMs !== 0)
      throw usage(
        '--db-delay-ms',
        "0 in target mode (the servers' link to their database is theirs)",
        String(c.dbDelayMs),
      );
    if (c.engine === 'wrk' && targets.some((t) => t.urls.length > 1))
      throw usage('--engine', 'autocannon with several URLs for one strategy (wrk takes one)', 'wrk');
  }
  if (configs.some((c) => c.engine === 'wrk') && !findWrk(env))
    throw usage('--engine', 'autocannon, or wrk where wrk is installed (Debian: apt-get install wrk)', 'wrk');
  const pgUrl = urlArg('postgres', raw, env);
  const redisUrl = urlArg('redis', raw, env);
  const secret = raw.jwtSecret !== undefined ? String(raw.jwtSecret) : env.JWT_SECRET || undefined;
  const tokens = tokenSource({
    tokensFile: raw.tokensFile === undefined ? undefined : String(raw.tokensFile),
    secret,
    pgUrl,
  });
  if (tokens.kind === 'file') {
    for (const c of configs)
      if (c.verifyUsers > tokens.tokens.length)
        throw usage(
          '--verify-users',
          `at most the ${tokens.tokens.length} tokens of --tokens-file`,
          String(c.verifyUsers),
        );
  }
  return {
    configs,
    ...(pgUrl ? { pgUrl } : {}),
    ...(redisUrl ? { redisUrl } : {}),
    target: { targets, tokens },
  };
}

/**
 * --engine artillery: the plan goes to Artillery whole, so its rounds cannot stop early and
 * there is no calibration (that reads counters around each short run); the slices' lead time
 * and guard band; Artillery's executable where this command runs it.
 */
function artilleryArgs(
  configs: BenchConfig[],
  raw: RawRunOptions,
  explicit: RawBenchOptions,
  env: NodeJS.ProcessEnv,
  needBin: boolean,
): RunArgs['artillery'] {
  if (!configs.some((c) => c.engine === 'artillery')) {
    for (const [key, flag] of [
      ['artillery', '--artillery'],
      ['leadSeconds', '--lead-seconds'],
      ['guardSeconds', '--guard-seconds'],
    ] as const)
      if (raw[key] !== undefined) throw new UsageError(`${flag} belongs to --engine artillery`);
    return undefined;
  }
  for (const [key, flag] of [
    ['minRounds', '--min-rounds'],
    ['targetPrecision', '--target-precision'],
  ] as const)
    if (explicit[key] !== undefined)
      throw new UsageError(
        `${flag} belongs to adaptive rounds, which --engine artillery cannot stop early (give --rounds N)`,
      );
  if (explicit.rounds !== undefined && String(explicit.rounds) === 'auto')
    throw usage(
      '--rounds',
      'a number with --engine artillery (the plan is handed over whole: rounds cannot stop early)',
      'auto',
    );
  if (explicit.calibrationSeconds !== undefined && String(explicit.calibrationSeconds) !== '0')
    throw usage(
      '--calibration-seconds',
      '0 with --engine artillery (a calibration reads the counters around each short run)',
      String(explicit.calibrationSeconds),
    );
  const options: ArtilleryOptions = {
    leadSeconds:
      raw.leadSeconds === undefined
        ? ARTILLERY_DEFAULTS.leadSeconds
        : intFlag('--lead-seconds', String(raw.leadSeconds), 5, 900),
    guardSeconds:
      raw.guardSeconds === undefined
        ? ARTILLERY_DEFAULTS.guardSeconds
        : numberFlag('--guard-seconds', String(raw.guardSeconds), 0.2, 60),
    workers:
      raw.workers === undefined
        ? ARTILLERY_DEFAULTS.workers
        : intFlag('--workers', String(raw.workers), 1, 1000),
  };
  for (const c of configs) {
    c.adaptive = false;
    c.calibrationSeconds = 0;
    vusPerWorker(c.connections, options.workers);
  }
  if (!needBin) return { bin: null, options };
  const given = raw.artillery === undefined ? undefined : String(raw.artillery);
  const bin = findArtillery(given, env);
  if (!bin)
    throw usage(
      '--artillery',
      `the path of Artillery's executable (${given === undefined ? 'none in $AUTHBENCH_ARTILLERY or on PATH' : 'not an executable file'}; install it with: ${ARTILLERY_INSTALL})`,
      given ?? '',
    );
  return { bin, options };
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
