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

export const LOAD_ENGINES = ['autocannon', 'wrk', 'artillery'] as const;
export type LoadEngine = (typeof LOAD_ENGINES)[number];

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
  /** Delay added to the servers' database link, each way, in ms, fractions allowed (0: direct). */
  dbDelayMs: number;
  /** How servers hand the JWT secret to jsonwebtoken.verify. */
  jwtVerify: JwtVerifyVariant;
  /** Open-model rates, as fractions of the baseline's measured median throughput ([]: none). */
  openFractions: number[];
  /** Duration of each open-model run's measured window. */
  openSeconds: number;
  /** Runs per strategy and fraction, order alternating by repetition (≥ 3: the deltas get intervals). */
  openRepetitions: number;
  /** Seconds each open-model run sends at its rate before the measured window (discarded). */
  openWarmupSeconds: number;
  /**
   * The model's calibration: connections of each strategy's low-load runs, ascending (the ramp
   * shows how the costs per request fall as the server gets busier; it stops for a strategy
   * once its server or pool is ≥ 60 % busy).
   */
  calibrationConnections: number[];
  /** Seconds of each strategy's calibration run (0: no calibration, no model). */
  calibrationSeconds: number;
  /**
   * The closed-loop generator: autocannon (embedded), wrk (installed separately, the cross-check) or
   * Artillery (installed separately: the same plan as time slices, the distributed engine).
   */
  engine: LoadEngine;
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
  /** Share of the round the server's event loop was active, in % (null: not measured; records before 2026-11-26). */
  serverLoopPercent?: number | null;
  /** CPU of the generator, proxy, Postgres backends and Redis, in % of one core (null: not measured). */
  otherCpuPercent?: number | null;
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
  /** Redis-side commands per request (INFO commandstats), or the servers' own count where Redis is not given. */
  redisCommandsPerRequest: number;
  redisCommandsSource: 'redis' | 'server counters';
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
  /**
   * Target mode: the servers authbench measured but did not start, per strategy (credentials
   * redacted); null: it started them itself.
   */
  targets: StrategyMap<string[]> | null;
  /** The CPU the servers were pinned to, or null (scheduler's choice). */
  serverCpu: number | null;
  /** The load came from Artillery (--engine artillery, or an imported report); absent or null: it did not. */
  artillery?: ArtilleryEnvironment | null;
}

/** How the Artillery run was set up (bench/schema/artillery.ts holds the whole plan). */
export interface ArtilleryEnvironment {
  version: string | null;
  workers: number;
  leadSeconds: number;
  guardSeconds: number;
  /** The shared start, ISO 8601. */
  t0: string;
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
  /** Median and 95 % CI over the valid rounds that are paired with another strategy's (all valid ones when none is). */
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

/** One open-model run: one strategy at the fraction's rate for the configured seconds. */
export interface OpenModelRun {
  /** 1-based; the strategies' runs of one repetition ran back to back, their order alternating. */
  repetition: number;
  /** Sent per second over the measured window (warm-up excluded). */
  achievedRps: number;
  /**
   * From each request's intended send time (no coordinated omission): 2xx responses, and each
   * unfinished request at the timeout (it took at least that long).
   */
  latencyMs: LatencyMs;
  sent: number;
  non2xx: number;
  errors: number;
  /** Without a response at intended send time + timeout: failures, counted here once. */
  unfinished: number;
  generatorCpuPercent: number;
  /**
   * Why this run is left out of the medians and the pairs (non-2xx answers or connection errors:
   * a fast refusal would pass for a fast answer); null: it counts.
   */
  excluded: string | null;
}

/**
 * A median difference over paired runs with its distribution-free interval: from the k-th
 * smallest to the k-th largest difference, k as large as keeps the confidence ≥ 95 %, else the
 * range; `coverage` is that interval's exact confidence (0.75 for 3 pairs, 0.875 for 4, ≥ 0.95
 * from 6 on).
 */
export interface PairedMedian {
  median: number;
  interval: [number, number];
  coverage: number;
}

/** A candidate's open-model latency minus the baseline's, paired by repetition. */
export interface OpenModelComparison {
  baseline: StrategyName;
  candidate: StrategyName;
  pairs: number;
  /** Median over pairs of (candidate − baseline), ms, with its interval (runs left out: not paired). */
  p50DeltaMs: PairedMedian;
  p99DeltaMs: PairedMedian;
}

/**
 * The open model (constant arrival rate) at one fraction of the baseline's measured maximum:
 * every strategy, `repetitions` times, each run after its own warm-up.
 */
export interface OpenModelResult {
  fraction: number;
  targetRps: number;
  repetitions: number;
  warmupSeconds: number;
  /**
   * Per strategy: medians over its runs that count (latency percentile by percentile; NaN, null
   * in JSON, when none does), failures summed over all; `runs` holds each run.
   */
  strategies: StrategyMap<{
    achievedRps: number;
    latencyMs: LatencyMs;
    non2xx: number;
    errors: number;
    unfinished: number;
    generatorCpuPercent: number;
    runs: OpenModelRun[];
  }>;
  comparisons: OpenModelComparison[];
}

/**
 * What the calibration phase measured for one strategy where nothing queues: a few connections,
 * a short run. The model's only inputs besides the conditions it predicts for; saturated rounds
 * are never inputs.
 */
export interface StrategyCalibration {
  requests: number;
  requestsPerSecond: number;
  /** Time per request as the clients see it: connections ÷ throughput, ms (Little's law). */
  cycleMs: number;
  /** Server CPU per request, ms (the server's own process.cpuUsage, else /proc). */
  cpuMs: number;
  /**
   * The server's event-loop active time per request, ms: its CPU without the kernel's cost of
   * waking an idle process, which a loaded server does not pay; null: not reported.
   */
  loopMs: number | null;
  /** Time a pooled connection is held per request, ms (round trips, Postgres, result handling). */
  poolMs: number;
  /** Postgres' own execution per request, ms (pg_stat_statements); null without it. */
  dbExecMs: number | null;
  /**
   * CPU per request of everything the request needs besides the server, ms: the load generator,
   * the delay proxy, the Postgres backends serving this database, Redis, each counted per
   * process (so other work on the machine is not charged); null where Postgres' cannot be read.
   */
  otherCpuMs: number | null;
  /** The load generator's own CPU per request, ms. */
  generatorCpuMs: number;
  /** Database round trips per request (the verification pass's count). */
  roundTripsPerRequest: number;
  /** Redis commands per request (the verification pass's count). */
  redisCommandsPerRequest: number;
  /** Why the calibration cannot be used (failures, no requests); null: usable. */
  invalidReason: string | null;
  /**
   * The same costs at every level of connections the calibration ran, the first included, in
   * ascending order: how the costs per request fall as the server gets busier.
   */
  levels: CalibrationLevel[];
}

/** Costs per request at one level of the calibration's ramp of connections. */
export interface CalibrationLevel {
  connections: number;
  requestsPerSecond: number;
  cpuMs: number;
  loopMs: number | null;
  poolMs: number;
  otherCpuMs: number | null;
}

export interface ModelCalibration {
  /** Connections of the first level: the cycle, the hold time and the delays come from it. */
  connections: number;
  /** The ramp of connections as planned; a strategy's ramp stops once its server or pool is ≥ 60 % busy. */
  levels: number[];
  seconds: number;
  /** The servers' idle round trip to Postgres during the calibration, ms. */
  linkRoundTripMs: number;
  /** CPUs the rest of the machine runs on (all but the server's when it is pinned). */
  otherCores: number;
  /** Whether the servers reached Postgres through the delay proxy (its CPU works inside the hold). */
  proxied: boolean;
  strategies: StrategyMap<StrategyCalibration>;
}

/** Costs per request the measured rounds show (medians over the valid rounds), ms; null: not measured. */
export interface UnderLoad {
  cpuMs: number | null;
  loopMs: number | null;
  poolMs: number | null;
  otherCpuMs: number | null;
}

/** A resource the model can name as the one that limits throughput. */
export type ModelResource = 'server CPU' | 'database pool' | 'other CPUs' | 'clients';

/** The model's answer for one strategy under the conditions predicted for. */
export interface PredictedStrategy {
  requestsPerSecond: number;
  /** Mean time per request as the clients see it, ms (connections ÷ throughput). */
  meanLatencyMs: number;
  /** Mean time a request holds a pooled connection under this load, ms. */
  poolHoldMs: number;
  /** Mean time a request waits for a pooled connection, ms. */
  poolWaitMs: number;
  /** The CPU demands per request the model settled on at this load (they fall as a CPU gets busier), ms. */
  cpuMs: number;
  otherCpuMs: number;
  utilization: { serverCpu: number; pool: number; otherCpu: number };
  /** The most utilized resource; 'clients' when none is ≥ 80 % busy. */
  binding: ModelResource;
}

/** Throughput ratios candidate ÷ baseline: `gain` is the first candidate's, `gains` every one's. */
export interface GainFields {
  gain: number | null;
  gains: StrategyMap<number>;
}

/** The conditions a prediction is for. */
export interface ModelConditions {
  connections: number;
  poolSize: number;
  linkRoundTripMs: number;
}

/**
 * The calibrated cost model (bench/analysis/model.ts): demands measured where nothing queues,
 * a queueing network solved for the run's connections, pool and link, then compared with the
 * measured rounds. External checks read `calibration`, `predicted.<strategy>.requestsPerSecond`,
 * `predicted.gain` and `error.<strategy>`.
 */
export interface CalibratedModel {
  /** How the prediction was made, in one sentence. */
  method: string;
  conditions: ModelConditions;
  calibration: ModelCalibration;
  predicted: StrategyMap<PredictedStrategy> & GainFields;
  /** The strategies' `throughput.median`; gains by the paired estimator of the comparisons. */
  measured: StrategyMap<{ requestsPerSecond: number }> & GainFields;
  /** Predicted ÷ measured − 1, per strategy. */
  error: StrategyMap<number>;
  /** Per strategy, what the rounds show about the costs under load against the calibrated ones. */
  underLoad: StrategyMap<UnderLoad>;
  /** Sentences for every strategy the model missed by more than ±10 %: which resource it does not cover. */
  misses: string[];
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
  /** The calibrated model's prediction against the measured rounds; null without a calibration. */
  model: CalibratedModel | null;
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
