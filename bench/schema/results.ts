/**
 * The results record of `authbench run`, types only: the engine produces it, analysis fills in
 * the statistics, output renders it, and external tools read it. Version 2 holds any number of
 * strategies (a baseline and candidates); readers upgrade version-1 files
 * (bench/analysis/upgrade.ts). Field names are a contract: external checks read `scenario`,
 * `valid`, `strategies.<name>.{queriesPerRequest, redisCommandsPerRequest, throughput, latencyMs}`
 * and `comparisons[]`.
 */
import type { JwtVerifyVariant } from '../../servers/jwt.js';
import type { StrategyName } from '../../servers/strategies/index.js';

export const RESULTS_SCHEMA_VERSION = 2;

/** A value per strategy, for the strategies a run measured (baseline and candidates). */
export type StrategyMap<T> = { [name in StrategyName]?: T };

/** Everything that shapes a run; stored whole in the results record. */
export interface BenchConfig {
  scenario: string;
  /** Baseline first, then one or more candidates; every ratio is candidate / baseline. */
  strategies: StrategyName[];
  /** Measured rounds per strategy, interleaved (order forward, then reversed, …); with adaptive rounds, the most. */
  rounds: number;
  /** Stop before `rounds` once every gain is precise (bench/analysis/adaptive.ts); false: exactly `rounds`. */
  adaptive: boolean;
  /** Adaptive rounds: never fewer than this. */
  minRounds: number;
  /** Adaptive rounds: the 95% CI half-width of every gain (a ratio, 0.03 = ±3%) at which they stop. */
  targetPrecision: number;
  roundSeconds: number;
  warmupSeconds: number;
  /** Closed model: this many connections, each with one request in flight. */
  connections: number;
  /** Distinct users whose tokens the load rotates through (mixed roles). */
  tokenUsers: number;
  /** Users in the seeded dataset. */
  users: number;
  seed: number;
  poolSize: number;
  /** The route under load. */
  path: string;
  /** Users the verification pass sends the fixed request set for. */
  verifyUsers: number;
  /** Request timeout in the load generator; a timeout makes a round invalid. */
  timeoutSeconds: number;
  /** Where results go. */
  resultsDir: string;
  /** Resampling iterations for the bootstrap confidence intervals. */
  bootstrapIterations: number;
  /** CPU the servers are pinned to: 'auto' (the last CPU where taskset exists), 'none', or a CPU number. */
  serverCpu: 'auto' | 'none' | number;
  /** Delay added to the servers' database link, each way, in ms (0: direct). */
  dbDelayMs: number;
  /** How servers hand the JWT secret to jsonwebtoken.verify. */
  jwtVerify: JwtVerifyVariant;
  /** Open-model rates, as fractions of the baseline's measured median throughput ([]: none). */
  openFractions: number[];
  /** Duration of each open-model run. */
  openSeconds: number;
}

/** Latency percentiles in milliseconds, from an HDR histogram of 2xx responses only. */
export interface LatencyMs {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** An estimate with its 95 % percentile-bootstrap interval. */
export interface Estimate {
  median: number;
  ci95: [number, number];
}

interface RoundBase {
  /** Position in the run order, 0-based, across all strategies (warm-ups included). */
  index: number;
  /** 1-based round number within its strategy; 0 for warm-up. */
  round: number;
  strategy: StrategyName;
  requests2xx: number;
  non2xx: number;
  /** Socket errors other than timeouts (records before 2026-11-26 counted timeouts here too). */
  errors: number;
  timeouts: number;
  durationSeconds: number;
  statusCodes: Record<string, number>;
  /** CPU time of the server process over the round, in % of one core (null where unmeasurable). */
  serverCpuPercent: number | null;
  /** CPU time of the load generator process, in % of one core. */
  generatorCpuPercent: number;
  /** CPU time of the database-link delay proxy, in % of one core (null: no proxy). */
  proxyCpuPercent: number | null;
  /** Mean pooled connections the server had checked out (connection-seconds ÷ seconds); null: not measured. */
  poolBusyConnections: number | null;
  /** Mean statements executing inside Postgres (pg_stat_statements); null without the extension. */
  dbExecuting: number | null;
}

/** A round every request of which succeeded: its numbers enter the statistics. */
export interface ValidRound extends RoundBase {
  status: 'valid';
  /** 2xx responses per second. */
  requestsPerSecond: number;
  latencyMs: LatencyMs;
}

/** A round with any failure: kept and shown, never in the statistics. */
export interface InvalidRound extends RoundBase {
  status: 'invalid';
  /** Why, one reason each (non-empty). */
  invalidReasons: string[];
  /** 2xx responses per second as observed, for the charts only. */
  requestsPerSecond: number;
}

export type RoundRecord = ValidRound | InvalidRound;

/** Per-request costs of one strategy, measured over the verification set. */
export interface MeasuredCosts {
  /** Database-side statements per request (pg_stat_statements), or the server's own count where unavailable. */
  queriesPerRequest: number;
  queriesSource: 'pg_stat_statements' | 'server counters';
  /** The server's own count, for the cross-check. */
  serverQueriesPerRequest: number;
  /** Redis-side commands per request (INFO commandstats). */
  redisCommandsPerRequest: number;
  serverRedisCommandsPerRequest: number;
  requests: number;
}

export interface Environment {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  postgres: string;
  redis: string;
  gitCommit: string | null;
  infrastructure: { postgres: string; redis: string; description: string };
  /** The CPU the servers were pinned to, or null (scheduler's choice). */
  serverCpu: number | null;
}

/** What a strategy did under a kind of fault in the freshness phase (its probes in those windows). */
export interface FaultOutcome {
  windows: number;
  probes: number;
  ok: number;
  status503: number;
  otherRejections: number;
  /** How fast it failed closed: p99 of the 503 response times, ms (null: no 503). */
  unavailableP99Ms: number | null;
}

/** A strategy's freshness, measured by the run's freshness phase (authbench freshness). */
export interface StrategyFreshness {
  /** 2xx answers honouring rights revoked longer than the declared δ ago. */
  staleAccepted: number;
  /** The longest stale claims were honoured after their revocation, ms (null: never). */
  maxStalenessMs: number | null;
  /** From a revocation's commit to the old token's first rejection, ms. */
  revocationLatencyMs: { p50: number; p99: number; max: number } | null;
  declared: { apiMs: number | null; sqlMs: number | null };
  lockouts: number;
  crashes: number;
  /** Meets what it declares, no lock-out, no crash. */
  pass: boolean;
  onRedisLoss: FaultOutcome | null;
  onPostgresLoss: FaultOutcome | null;
  /** The freshness record these come from. */
  record: string;
}

export interface StrategyResult {
  queriesPerRequest: number;
  redisCommandsPerRequest: number;
  costs: MeasuredCosts;
  throughput: Estimate & { unit: 'requests/s' };
  /** Median over valid rounds of each round's HDR percentiles. */
  latencyMs: LatencyMs;
  validRounds: number;
  rounds: RoundRecord[];
  /** Throughput ÷ the no-auth ceiling's, paired by round; null when no-auth was not in the run. */
  ceilingRatio: (Estimate & { pairs: number }) | null;
  /** From the run's freshness phase; null when it had none (or the strategy is not an auth strategy). */
  freshness: StrategyFreshness | null;
}

/** A candidate against the baseline, paired by round number. */
export interface Comparison {
  baseline: StrategyName;
  candidate: StrategyName;
  /** Paired per-round candidate/baseline throughput. */
  throughputRatio: Estimate & { significant: boolean; pairs: number };
  /** Paired per-round latency differences, candidate − baseline, in ms. */
  p50DeltaMs: Estimate;
  p99DeltaMs: Estimate;
}

/** One open-model (constant arrival rate) run per strategy at a fraction of the baseline's max. */
export interface OpenModelResult {
  fraction: number;
  targetRps: number;
  strategies: StrategyMap<{
    achievedRps: number;
    /** From each request's intended send time (no coordinated omission), 2xx only. */
    latencyMs: LatencyMs;
    non2xx: number;
    errors: number;
    unfinished: number;
    generatorCpuPercent: number;
  }>;
}

export const RESOURCES = ['server CPU', 'database pool', 'client connections'] as const;
export type Resource = (typeof RESOURCES)[number];

/** The cost model of one strategy, from the costs measured in its rounds. */
export interface StrategyModel {
  /** Server CPU per request, ms (median over valid rounds). */
  cpuMsPerRequest: number;
  /** Pooled-connection time per request, ms (median over valid rounds). */
  poolMsPerRequest: number;
  /** Share of one core the server used (median). */
  cpuUtilization: number;
  /** Mean pooled connections checked out (median). */
  poolBusy: number;
  /** Postgres' own execution time per request, ms (pg_stat_statements); null without it. */
  dbExecMsPerRequest: number | null;
  /** Database round trips (queries) per request. */
  roundTripsPerRequest: number;
  /** Round trips per request × the idle round trip (measured; else the configured delay), ms. */
  linkMsPerRequest: number;
  /** One idle round trip, ms, and whether it was measured or is the configured delay. */
  roundTripMs: number;
  roundTripSource: 'measured' | 'configured';
  /** (execution + link) ÷ pool time: the database's share of the pool time; null without execution times. */
  dbShare: number | null;
  /** The throughput, req/s, each resource alone would allow. */
  boundsRps: Record<Resource, number>;
  binding: Resource;
  predictedRps: number;
  measuredRps: number;
}

export interface CostModel {
  poolSize: number;
  connections: number;
  strategies: StrategyMap<StrategyModel>;
  /** Per candidate: predicted and measured (medians) throughput ratio to the baseline. */
  comparisons: Array<{
    baseline: StrategyName;
    candidate: StrategyName;
    predictedRatio: number;
    measuredRatio: number;
  }>;
}

export interface ResultsRecord {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  /** False when any round is invalid or a candidate has no pair of valid rounds. */
  valid: boolean;
  scenario: string;
  createdAt: string;
  wallSeconds: number;
  command: string;
  env: Environment;
  config: BenchConfig;
  fairness: Record<string, string>;
  method: string[];
  warnings: string[];
  verification: { comparedResponses: number; routes: string[] };
  warmup: RoundRecord[];
  strategies: StrategyMap<StrategyResult>;
  /** One per candidate, in the order of config.strategies. */
  comparisons: Comparison[];
  /** Latency at fixed arrival rates; empty when not measured. */
  openModel: OpenModelResult[];
  /** Why the gains are what they are; null where the rounds lack the costs. */
  model: CostModel | null;
  /** The servers' idle round trip to Postgres (through the delay proxy, if any), ms; null: not measured. */
  linkRoundTripMs: number | null;
  /** Which rule ended the rounds, after how many, and how precise each gain was then. */
  stopping: Stopping;
}

export interface Stopping {
  /** fixed: --rounds N; precision: every gain precise (twice in a row); max-rounds: the cap. */
  rule: 'fixed' | 'precision' | 'max-rounds';
  rounds: number;
  /** Per candidate, the 95% CI half-width of its ratio when the rounds ended. */
  halfWidths: StrategyMap<number | null>;
}
