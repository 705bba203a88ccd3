import type { StrategyName } from '../../servers/strategies/index.js';
import type { BenchConfig } from '../plan/config.js';
import type { LatencyMs, RoundRecord } from '../schema/results.js';
import { gain } from '../output/format.js';
import { costModel, type CostModel } from './cost-model.js';
import { bootstrap, isSignificantRatio, median, pairedRatios } from './stats.js';
import type { MeasuredCosts, VerificationResult } from '../engine/verify.js';

export const SCHEMA_VERSION = 1;
/** The write-up's claim, which every report compares against. */
export const CLAIMED_GAIN = 0.3;
/** Above this share of one core the load generator is measuring itself. */
export const GENERATOR_SATURATION_PERCENT = 90;

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
  /** The CPU both servers were pinned to, or null (scheduler's choice). */
  serverCpu: number | null;
}

export interface StrategyResult {
  queriesPerRequest: number;
  redisCommandsPerRequest: number;
  costs: MeasuredCosts;
  throughput: { median: number; ci95: [number, number]; unit: 'requests/s' };
  /** Median over valid rounds of each round's HDR percentiles. */
  latencyMs: LatencyMs;
  validRounds: number;
  rounds: RoundRecord[];
}

export interface Comparison {
  baseline: StrategyName;
  candidate: StrategyName;
  /** Paired per-round candidate/baseline throughput. */
  throughputRatio: { median: number; ci95: [number, number]; significant: boolean; pairs: number };
  /** Paired per-round latency differences, candidate − baseline, in ms. */
  p50DeltaMs: { median: number; ci95: [number, number] };
  p99DeltaMs: { median: number; ci95: [number, number] };
  verdict: string;
}

/** One open-model (constant arrival rate) run per strategy at a fraction of the baseline's max. */
export interface OpenModelResult {
  fraction: number;
  targetRps: number;
  strategies: Record<string, {
    achievedRps: number;
    /** From each request's intended send time (no coordinated omission), 2xx only. */
    latencyMs: LatencyMs;
    non2xx: number;
    errors: number;
    unfinished: number;
    generatorCpuPercent: number;
  }>;
}

export interface ResultsRecord {
  schemaVersion: typeof SCHEMA_VERSION;
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
  strategies: Record<string, StrategyResult>;
  comparison: Comparison | null;
  /** Latency at fixed arrival rates; empty when not measured. */
  openModel: OpenModelResult[];
  /** Why the gain is what it is, from the rounds' measured costs; null where they were not measured. */
  model?: CostModel | null;
  /** The servers' idle round trip to Postgres (through the delay proxy, if any), ms. */
  linkRoundTripMs?: number;
}

function medianLatency(rounds: readonly RoundRecord[]): LatencyMs {
  if (rounds.length === 0) return { p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN };
  const m = (k: keyof LatencyMs): number => median(rounds.map((r) => r.latencyMs[k]));
  return { p50: m('p50'), p90: m('p90'), p99: m('p99'), p999: m('p999'), max: Math.max(...rounds.map((r) => r.latencyMs.max)) };
}

/** The one-sentence verdict, plain about a gain below the write-up's 30 %. */
export function verdictSentence(c: Omit<Comparison, 'verdict'>, q: { baseline: number; candidate: number }): string {
  const r = c.throughputRatio;
  const change = `${c.candidate} served ${Math.abs((r.median - 1) * 100).toFixed(1)}% ${r.median >= 1 ? 'more' : 'fewer'} requests per second than ${c.baseline} `
    + `(95% CI ${gain(r.ci95[0])} to ${gain(r.ci95[1])}), with ${q.baseline} → ${q.candidate} database queries per request.`;
  if (!r.significant) return `No significant difference: ${change}`;
  const claim = r.ci95[1] < 1 + CLAIMED_GAIN
    ? ` That is below the write-up's +${CLAIMED_GAIN * 100}%.`
    : r.ci95[0] >= 1 + CLAIMED_GAIN ? ` That meets the write-up's +${CLAIMED_GAIN * 100}%.` : ` The write-up's +${CLAIMED_GAIN * 100}% lies within the interval.`;
  return change + claim;
}

/**
 * Turns measured rounds into the results record (DESIGN.md, "Results contract"). Pure: the
 * caller supplies everything measured. Invalid rounds stay in the record and out of the
 * statistics; a pair with an invalid member is dropped from the ratio.
 */
export function buildResults(input: {
  config: BenchConfig;
  env: Environment;
  verification: VerificationResult;
  warmup: RoundRecord[];
  rounds: RoundRecord[];
  createdAt: string;
  wallSeconds: number;
  command: string;
  extraWarnings?: string[];
  openModel?: OpenModelResult[];
  linkRoundTripMs?: number;
}): ResultsRecord {
  const { config, rounds } = input;
  const [baseline, candidate] = config.strategies;
  const warnings = [...input.verification.warnings, ...(input.extraWarnings ?? [])];
  const opts = { iterations: config.bootstrapIterations, seed: 20261124 };

  const strategies: Record<string, StrategyResult> = {};
  for (const name of config.strategies) {
    const own = rounds.filter((r) => r.strategy === name);
    const valid = own.filter((r) => r.status === 'valid');
    const rps = valid.map((r) => r.requestsPerSecond);
    const t = rps.length > 0 ? bootstrap(rps, median, opts) : { estimate: NaN, ci95: [NaN, NaN] as [number, number] };
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
    };
    for (const r of own.filter((x) => x.status === 'invalid')) {
      warnings.push(`${name} round ${r.round} is invalid: ${r.invalidReasons.join('; ')}`);
    }
  }
  for (const o of input.openModel ?? []) {
    for (const [name, r] of Object.entries(o.strategies)) {
      if (r.non2xx + r.errors + r.unfinished > 0) warnings.push(`open model at ${o.fraction * 100}% (${o.targetRps.toFixed(0)} req/s), ${name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.unfinished} unanswered`);
      if (r.achievedRps < 0.95 * o.targetRps) warnings.push(`open model at ${o.fraction * 100}%, ${name}: achieved ${r.achievedRps.toFixed(0)} of ${o.targetRps.toFixed(0)} req/s`);
    }
  }
  for (const r of [...input.warmup, ...rounds]) {
    if (r.generatorCpuPercent > GENERATOR_SATURATION_PERCENT) {
      warnings.push(`the load generator used ${r.generatorCpuPercent.toFixed(0)}% of a core in ${r.strategy} ${r.round === 0 ? 'warm-up' : `round ${r.round}`}: it may be measuring itself`);
    }
  }

  // Pairs: the i-th round of each strategy ran back to back.
  const pairs: Array<[RoundRecord, RoundRecord]> = [];
  for (let i = 1; i <= config.rounds; i++) {
    const a = rounds.find((r) => r.strategy === baseline && r.round === i);
    const b = rounds.find((r) => r.strategy === candidate && r.round === i);
    if (a?.status === 'valid' && b?.status === 'valid') pairs.push([a, b]);
  }
  let comparison: Comparison | null = null;
  if (pairs.length > 0) {
    const ratios = pairedRatios(pairs.map((p) => p[0].requestsPerSecond), pairs.map((p) => p[1].requestsPerSecond));
    const ratio = bootstrap(ratios, median, opts);
    const delta = (k: 'p50' | 'p99'): { median: number; ci95: [number, number] } => {
      const d = bootstrap(pairs.map(([a, b]) => b.latencyMs[k] - a.latencyMs[k]), median, opts);
      return { median: d.estimate, ci95: d.ci95 };
    };
    const partial = {
      baseline, candidate,
      throughputRatio: { median: ratio.estimate, ci95: ratio.ci95, significant: isSignificantRatio(ratio.ci95), pairs: pairs.length },
      p50DeltaMs: delta('p50'),
      p99DeltaMs: delta('p99'),
    };
    comparison = {
      ...partial,
      verdict: verdictSentence(partial, { baseline: strategies[baseline]!.queriesPerRequest, candidate: strategies[candidate]!.queriesPerRequest }),
    };
    if (!partial.throughputRatio.significant) warnings.push('no significant difference in throughput: the 95% CI of the ratio contains 1');
  } else {
    warnings.push('no pair of valid rounds: no comparison possible');
  }
  if (pairs.length < 5 && pairs.length > 0) warnings.push(`only ${pairs.length} valid pairs: the confidence interval is wide`);

  const anyInvalid = rounds.some((r) => r.status === 'invalid');
  return {
    schemaVersion: SCHEMA_VERSION,
    valid: !anyInvalid && comparison !== null,
    scenario: config.scenario,
    createdAt: input.createdAt,
    wallSeconds: input.wallSeconds,
    command: input.command,
    env: input.env,
    config,
    fairness: {
      statements: 'every query is a named pg statement, prepared once per connection (both strategies)',
      pool: `one pg pool of ${config.poolSize} connections per server (both strategies)`,
      jwtVerification: 'jsonwebtoken.verify with a KeyObject from crypto.createSecretKey, HS256 only (both strategies)',
      tokens: 'the same tokens, minted from the database\'s current claims, for both strategies',
      redis: 'ioredis, one GET per request for jwt-redis, no pipelining, offline queue off (fail fast)',
      processes: 'each server and the load generator in its own process; only the server being measured is under load',
      cpu: input.env.serverCpu === null ? 'servers not pinned: the scheduler places them' : `both servers pinned to CPU ${input.env.serverCpu} (one at a time under load)`,
    },
    method: [
      `closed model: ${config.connections} connections, one request in flight each, rotating through ${config.tokenUsers} distinct users' tokens (mixed roles)`,
      `warm-up ${config.warmupSeconds} s per strategy, then ${config.rounds} rounds of ${config.roundSeconds} s per strategy, interleaved; the order within each pair alternates (A B, B A, …) so drift hits both alike`,
      'throughput = 2xx responses / round duration; any non-2xx, socket error or timeout makes a round invalid (kept, excluded from statistics)',
      'latency percentiles from an HDR histogram of 2xx responses at microsecond resolution, per round; per strategy the median over valid rounds',
      `gain = median of paired per-round ratios ${candidate}/${baseline}, 95% percentile-bootstrap CI (${config.bootstrapIterations} resamples); "no significant difference" when the CI contains 1`,
      'queries and Redis commands per request measured before timing on the database side (pg_stat_statements) and Redis side (INFO commandstats) over the verification set, cross-checked with the servers\' counters',
      'cost model: per request, server CPU (CPU utilization ÷ throughput) and time holding a pooled connection (the servers\' connection-seconds ÷ throughput), medians over valid rounds; each bounds throughput (1/CPU, pool size/pool time, connections/(CPU + pool time)) and the smallest bound is the prediction',
      ...(config.openFractions.length ? [`open model: after the rounds, each strategy at a constant arrival rate of ${config.openFractions.map((f) => `${f * 100}%`).join(' and ')} of ${baseline}'s median req/s for ${config.openSeconds} s, latency timed from each request's intended send time (no coordinated omission); closed-model latency follows Little's law (≈ connections ÷ throughput) instead`] : []),
    ],
    warnings,
    verification: { comparedResponses: input.verification.comparedResponses, routes: input.verification.routes },
    warmup: input.warmup,
    strategies,
    comparison,
    openModel: input.openModel ?? [],
    model: costModel({ ...config, linkRoundTripMs: input.linkRoundTripMs ?? null }, rounds,
      Object.fromEntries(Object.entries(strategies).map(([n, s]) => [n, s.queriesPerRequest]))),
    ...(input.linkRoundTripMs !== undefined ? { linkRoundTripMs: input.linkRoundTripMs } : {}),
  };
}
