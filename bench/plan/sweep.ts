import type { BenchConfig, RawBenchOptions } from './config.js';
import { validateConfig } from './config.js';
import { usage } from './usage.js';
import { gain } from '../output/format.js';
import type { Resource } from '../analysis/cost-model.js';
import type { ResultsRecord } from '../analysis/results.js';

/** Parameters a sweep can vary, by their flag-style name. */
export const SWEEP_PARAMS: Record<string, keyof RawBenchOptions> = {
  connections: 'connections',
  'db-delay-ms': 'dbDelayMs',
  'pool-size': 'poolSize',
  users: 'users',
  'jwt-verify': 'jwtVerify',
};

/** The write-up's latency claim: 80–90 ms less per request. */
export const CLAIMED_LATENCY_GAIN_MS = 80;

/** Validates --param/--values into one config per point, before anything starts. */
export function sweepConfigs(base: BenchConfig, param: string, values: string): Array<{ value: string; config: BenchConfig }> {
  const field = SWEEP_PARAMS[param];
  if (!field) throw usage('--param', `one of ${Object.keys(SWEEP_PARAMS).join(', ')}`, param);
  const list = values.split(',').map((v) => v.trim()).filter((v) => v !== '');
  if (list.length < 2 || new Set(list).size !== list.length) throw usage('--values', 'at least two distinct comma-separated values', values);
  return list.map((value) => ({
    value,
    config: validateConfig({ ...configAsRaw(base), [field]: value }, base),
  }));
}

function configAsRaw(c: BenchConfig): RawBenchOptions {
  return { ...c, strategies: c.strategies.join(',') } as unknown as RawBenchOptions;
}

/** Seconds of load a point's plan holds: warm-ups, rounds and open-model runs, per strategy. */
export function plannedLoadSeconds(c: BenchConfig): number {
  return c.strategies.length * (c.warmupSeconds + c.rounds * c.roundSeconds + c.openFractions.length * c.openSeconds);
}

/** What a finished sweep point took: wall seconds, and the part of it spent seeding. */
export interface PointTiming {
  config: BenchConfig;
  seconds: number;
  seededUsers: number;
  seedSeconds: number;
}

/**
 * Seconds left: each remaining point's planned load, plus the fixed overhead (servers,
 * tokens, verification) the finished points took beyond their plan and their seeding, plus
 * seeding wherever a point's dataset differs from the one before it, at the rate seeding ran
 * so far (a users sweep re-seeds at every point). Pure.
 */
export function sweepEtaSeconds(done: readonly PointTiming[], remaining: readonly BenchConfig[]): number {
  const fixed = done.map((d) => Math.max(0, d.seconds - d.seedSeconds - plannedLoadSeconds(d.config)));
  const meanFixed = fixed.length ? fixed.reduce((a, b) => a + b, 0) / fixed.length : 0;
  const seededUsers = done.reduce((a, d) => a + d.seededUsers, 0);
  const seedSeconds = done.reduce((a, d) => a + d.seedSeconds, 0);
  const usersPerSecond = seededUsers > 0 && seedSeconds > 0 ? seededUsers / seedSeconds : null;
  let previous = done.at(-1)?.config;
  let total = 0;
  for (const c of remaining) {
    const reseeds = previous !== undefined && (previous.users !== c.users || previous.seed !== c.seed);
    total += plannedLoadSeconds(c) + meanFixed + (reseeds && usersPerSecond !== null ? c.users / usersPerSecond : 0);
    previous = c;
  }
  return total;
}

export interface SweepPoint {
  value: string;
  valid: boolean;
  baselineRps: number;
  candidateRps: number;
  throughputRatio: { median: number; ci95: [number, number] } | null;
  p50DeltaMs: { median: number; ci95: [number, number] } | null;
  p99DeltaMs: { median: number; ci95: [number, number] } | null;
  baselineP50Ms: number;
  candidateP50Ms: number;
  /** The cost model's predicted ratio at this point; null where its costs were not measured. */
  modelRatio: number | null;
  /** Per strategy, the model's costs per request (ms) and the resource that binds. */
  costs: Record<string, { cpuMs: number; poolMs: number; dbExecMs: number | null; binding: Resource }> | null;
}

export interface SweepRecord {
  schemaVersion: 1;
  kind: 'sweep';
  scenario: string;
  param: string;
  createdAt: string;
  points: SweepPoint[];
  /** The first swept value at which the candidate's p50 is at least 80 ms lower (CI upper bound), or null. */
  latencyClaimReachedAt: string | null;
  /** Every point's full record. */
  records: ResultsRecord[];
}

/** Folds the points' records into the sweep record (pure). */
export function summarizeSweep(scenario: string, param: string, createdAt: string, points: Array<{ value: string; record: ResultsRecord }>): SweepRecord {
  const summarized: SweepPoint[] = points.map(({ value, record }) => {
    const c = record.comparison;
    const a = c ? record.strategies[c.baseline] : undefined;
    const b = c ? record.strategies[c.candidate] : undefined;
    return {
      value,
      valid: record.valid,
      baselineRps: a?.throughput.median ?? NaN,
      candidateRps: b?.throughput.median ?? NaN,
      throughputRatio: c ? { median: c.throughputRatio.median, ci95: c.throughputRatio.ci95 } : null,
      p50DeltaMs: c?.p50DeltaMs ?? null,
      p99DeltaMs: c?.p99DeltaMs ?? null,
      baselineP50Ms: a?.latencyMs.p50 ?? NaN,
      candidateP50Ms: b?.latencyMs.p50 ?? NaN,
      modelRatio: record.model?.predictedRatio ?? null,
      costs: record.model
        ? Object.fromEntries(Object.entries(record.model.strategies).map(([n, m]) => [n, {
          cpuMs: m.cpuMsPerRequest, poolMs: m.poolMsPerRequest, dbExecMs: m.dbExecMsPerRequest, binding: m.binding,
        }]))
        : null,
    };
  });
  const reached = summarized.find((p) => p.p50DeltaMs !== null && p.p50DeltaMs.ci95[1] <= -CLAIMED_LATENCY_GAIN_MS);
  return {
    schemaVersion: 1, kind: 'sweep', scenario, param, createdAt, points: summarized,
    latencyClaimReachedAt: reached?.value ?? null,
    records: points.map((p) => p.record),
  };
}

const SHORT: Record<Resource, string> = { 'server CPU': 'CPU', 'database pool': 'pool', 'client connections': 'clients' };

export function renderSweep(s: SweepRecord): string {
  const d = (x: { median: number; ci95: [number, number] } | null): string =>
    (x ? `${x.median.toFixed(1)} (${x.ci95[0].toFixed(1)} to ${x.ci95[1].toFixed(1)})` : '–');
  const header = [s.param, 'baseline req/s', 'candidate req/s', 'gain (95% CI)', 'model', 'bound by', 'p50 ms', 'p50 Δ ms', 'p99 Δ ms', 'valid'];
  const rows = s.points.map((p) => [
    p.value, p.baselineRps.toFixed(0), p.candidateRps.toFixed(0),
    p.throughputRatio ? `${gain(p.throughputRatio.median)} (${gain(p.throughputRatio.ci95[0])} to ${gain(p.throughputRatio.ci95[1])})` : '–',
    p.modelRatio !== null ? gain(p.modelRatio) : '–',
    p.costs ? [...new Set(Object.values(p.costs).map((c) => SHORT[c.binding]))].join(' / ') : '–',
    `${p.baselineP50Ms.toFixed(1)} → ${p.candidateP50Ms.toFixed(1)}`, d(p.p50DeltaMs), d(p.p99DeltaMs), p.valid ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const out = [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)];
  if (s.param === 'connections') {
    out.push('', s.latencyClaimReachedAt !== null
      ? `The p50 latency difference reaches the write-up's ${CLAIMED_LATENCY_GAIN_MS} ms (95% CI entirely beyond it) at ${s.latencyClaimReachedAt} connections, measured.`
      : `The p50 latency difference does not reach the write-up's ${CLAIMED_LATENCY_GAIN_MS} ms anywhere in the measured range.`);
  }
  return `${out.join('\n')}\n`;
}
