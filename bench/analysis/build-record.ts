/**
 * Turns measured rounds into the results record. Pure: the engine supplies everything it
 * measured. Invalid rounds stay in the record and out of the statistics; a pair with an
 * invalid member is dropped from its ratio.
 */
import type { StrategyName } from '../../servers/strategies/index.js';
import type {
  BenchConfig,
  Comparison,
  Environment,
  Estimate,
  ModelCalibration,
  LatencyMs,
  MeasuredCosts,
  ResultsRecord,
  RoundRecord,
  Stopping,
  StrategyMap,
  StrategyResult,
  ValidRound,
} from '../schema/results.js';
import { RESULTS_SCHEMA_VERSION } from '../schema/results.js';
import type { FreshnessRecord } from '../schema/freshness.js';
import { calibratedModel } from './model.js';
import { freshnessOf } from './freshness/result.js';
import { openModelResults, type OpenModelMeasurement } from './open-model.js';
import { bootstrap, isSignificantRatio, median, pairedRatios } from './stats.js';
import { fairness, method } from './method.js';
import { comparisonWarnings, openModelWarnings, roundWarnings } from './warnings.js';

/** What the verification pass established before any timing. */
export interface VerificationResult {
  /** Responses compared across strategies (users × routes). */
  comparedResponses: number;
  routes: string[];
  costs: StrategyMap<MeasuredCosts>;
  warnings: string[];
}

/** The strategy every other is a fraction of, when it is in the run: the same app minus auth. */
export const CEILING: StrategyName = 'no-auth';

/** The bootstrap's fixed seed: the same rounds always give the same intervals. */
const BOOTSTRAP_SEED = 20261124;

export const validRounds = (rounds: readonly RoundRecord[]): ValidRound[] =>
  rounds.filter((r): r is ValidRound => r.status === 'valid');

function medianLatency(rounds: readonly ValidRound[]): LatencyMs {
  if (rounds.length === 0) return { p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN };
  const m = (k: keyof LatencyMs): number => median(rounds.map((r) => r.latencyMs[k]));
  const max = Math.max(...rounds.map((r) => r.latencyMs.max));
  return { p50: m('p50'), p90: m('p90'), p99: m('p99'), p999: m('p999'), max };
}

/**
 * The baseline's and a candidate's rounds paired by round number: the i-th rounds of both ran
 * back to back (see pairedRatios for what drift does to the pair). Only pairs of valid rounds count.
 */
export function pairRounds(
  rounds: readonly RoundRecord[],
  baseline: StrategyName,
  candidate: StrategyName,
): Array<[ValidRound, ValidRound]> {
  const byRound = (name: StrategyName): Map<number, ValidRound> =>
    new Map(validRounds(rounds.filter((r) => r.strategy === name)).map((r) => [r.round, r]));
  const a = byRound(baseline);
  const b = byRound(candidate);
  return [...a.keys()]
    .sort((x, y) => x - y)
    .flatMap((i) => (b.has(i) ? [[a.get(i)!, b.get(i)!] as [ValidRound, ValidRound]] : []));
}

/**
 * A strategy's valid rounds that take part in a comparison: for the baseline, those with a valid
 * candidate round of the same number; for a candidate, those with a valid baseline round. Where
 * none is paired (no comparison possible), all its valid rounds.
 */
export function pairedRounds(
  rounds: readonly RoundRecord[],
  strategies: readonly StrategyName[],
  name: StrategyName,
): ValidRound[] {
  const [baseline] = strategies;
  const partners = name === baseline ? strategies.slice(1) : [baseline!];
  const numbers = new Set(
    validRounds(rounds.filter((r) => partners.includes(r.strategy))).map((r) => r.round),
  );
  const own = validRounds(rounds.filter((r) => r.strategy === name));
  const paired = own.filter((r) => numbers.has(r.round));
  return paired.length > 0 ? paired : own;
}

/** The paired comparison of one candidate with the baseline; null without a pair of valid rounds. */
export function compareStrategies(
  rounds: readonly RoundRecord[],
  baseline: StrategyName,
  candidate: StrategyName,
  iterations: number,
): Comparison | null {
  const pairs = pairRounds(rounds, baseline, candidate);
  if (pairs.length === 0) return null;
  const opts = { iterations, seed: BOOTSTRAP_SEED };
  const estimate = (values: number[]): Estimate => {
    const b = bootstrap(values, median, opts);
    return { median: b.estimate, ci95: b.ci95 };
  };
  const ratio = estimate(
    pairedRatios(
      pairs.map((p) => p[0].requestsPerSecond),
      pairs.map((p) => p[1].requestsPerSecond),
    ),
  );
  const delta = (k: 'p50' | 'p99'): Estimate =>
    estimate(pairs.map(([a, b]) => b.latencyMs[k] - a.latencyMs[k]));
  return {
    baseline,
    candidate,
    throughputRatio: { ...ratio, significant: isSignificantRatio(ratio.ci95), pairs: pairs.length },
    p50DeltaMs: delta('p50'),
    p99DeltaMs: delta('p99'),
  };
}

export function buildResults(input: {
  config: BenchConfig;
  env: Environment;
  verification: VerificationResult;
  warmup: RoundRecord[];
  rounds: RoundRecord[];
  createdAt: string;
  wallSeconds: number;
  command: string;
  /** Each open-model run as measured; the record holds them grouped, with paired differences. */
  openModel?: OpenModelMeasurement[];
  linkRoundTripMs?: number | null;
  /** The calibration phase's measurements; null or absent: none (no model). */
  calibration?: ModelCalibration | null;
  /** How the rounds ended (the engine's adaptive decision); absent: as configured. */
  stopping?: Stopping;
  /** The run's freshness phase, with the path of its record; null or absent: none. */
  freshness?: { record: FreshnessRecord; path: string } | null;
}): ResultsRecord {
  const { config, rounds } = input;
  const [baseline, ...candidates] = config.strategies;
  if (baseline === undefined || candidates.length === 0)
    throw new RangeError('a run compares at least two strategies');
  const opts = { iterations: config.bootstrapIterations, seed: BOOTSTRAP_SEED };

  const strategies: StrategyMap<StrategyResult> = {};
  for (const name of config.strategies) {
    const own = rounds.filter((r) => r.strategy === name);
    const valid = validRounds(own);
    // The interval is over the rounds the gains are over: those with a valid partner.
    const paired = pairedRounds(rounds, config.strategies, name);
    const t =
      paired.length > 0
        ? bootstrap(
            paired.map((r) => r.requestsPerSecond),
            median,
            opts,
          )
        : { estimate: NaN, ci95: [NaN, NaN] as [number, number] };
    const costs = input.verification.costs[name];
    if (!costs) throw new Error(`the verification pass measured no costs for ${name}`);
    strategies[name] = {
      queriesPerRequest: costs.queriesPerRequest,
      redisCommandsPerRequest: costs.redisCommandsPerRequest,
      costs,
      throughput: { median: t.estimate, ci95: t.ci95, unit: 'requests/s' },
      latencyMs: medianLatency(valid),
      validRounds: valid.length,
      rounds: own,
      ceilingRatio: null,
      freshness: null,
    };
    const checked = input.freshness?.record.strategies[name];
    if (checked) strategies[name]!.freshness = freshnessOf(checked, input.freshness!.path);
  }
  // Each strategy against the ceiling, paired by round like every comparison.
  if (config.strategies.includes(CEILING)) {
    for (const name of config.strategies) {
      if (name === CEILING) continue;
      const c = compareStrategies(rounds, CEILING, name, config.bootstrapIterations);
      if (c) {
        const { median, ci95, pairs } = c.throughputRatio;
        strategies[name]!.ceilingRatio = { median, ci95, pairs };
      }
    }
  }

  const comparisons: Comparison[] = [];
  const missing: StrategyName[] = [];
  for (const candidate of candidates) {
    const c = compareStrategies(rounds, baseline, candidate, config.bootstrapIterations);
    if (c) comparisons.push(c);
    else missing.push(candidate);
  }
  const openModel = openModelResults(input.openModel ?? [], {
    strategies: config.strategies,
    repetitions: config.openRepetitions,
    warmupSeconds: config.openWarmupSeconds,
  });
  const replicas = input.env.targets ? Object.entries(input.env.targets) : [];
  const unequal =
    new Set(replicas.map(([, urls]) => urls.length)).size > 1
      ? [
          `servers per strategy differ (${replicas.map(([n, u]) => `${n} ${u.length}`).join(', ')}): each throughput is of all its servers together`,
        ]
      : [];
  const warnings = [
    ...unequal,
    ...input.verification.warnings,
    ...roundWarnings(input.warmup, rounds),
    ...openModelWarnings(openModel),
    ...comparisonWarnings(comparisons, missing, baseline),
  ];
  const linkRoundTripMs = input.linkRoundTripMs ?? null;
  const calibration = input.calibration ?? null;
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    valid: !rounds.some((r) => r.status === 'invalid') && missing.length === 0,
    scenario: config.scenario,
    createdAt: input.createdAt,
    wallSeconds: input.wallSeconds,
    command: input.command,
    env: input.env,
    config,
    fairness: fairness(config, input.env),
    method: method(config),
    warnings,
    verification: {
      comparedResponses: input.verification.comparedResponses,
      routes: input.verification.routes,
    },
    warmup: input.warmup,
    strategies,
    comparisons,
    openModel,
    model: calibratedModel({
      calibration,
      conditions: {
        connections: config.connections,
        poolSize: config.poolSize,
        linkRoundTripMs: linkRoundTripMs ?? calibration?.linkRoundTripMs ?? 2 * config.dbDelayMs,
      },
      strategies: config.strategies,
      rounds,
      comparisons,
      measuredRps: Object.fromEntries(config.strategies.map((n) => [n, strategies[n]!.throughput.median])),
    }),
    linkRoundTripMs,
    stopping: input.stopping ?? {
      rule: config.adaptive ? 'max-rounds' : 'fixed',
      rounds: config.rounds,
      halfWidths: Object.fromEntries(
        comparisons.map((c) => [c.candidate, (c.throughputRatio.ci95[1] - c.throughputRatio.ci95[0]) / 2]),
      ),
    },
  };
}
