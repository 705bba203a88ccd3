/** Two results files of the same scenario, per strategy and metric: old → new, and whether it changed (pure). */
import type { ResultsRecord, RoundRecord, StrategyResult } from '../schema/results.js';
import { validRounds } from './build-record.js';
import { bootstrapMedianDifference } from './stats.js';

export interface MetricChange {
  strategy: string;
  metric: string;
  unit: string;
  old: number;
  new: number;
  changePercent: number;
  /** 95% bootstrap CI of the difference of medians (new − old), from the rounds. */
  ci95: [number, number] | null;
  significant: boolean;
  /** Whether a larger value is better (throughput) or worse (latency, work). */
  higherIsBetter: boolean;
}

/** The interval for the difference of two runs' round medians: seeded, so reruns agree. */
export function medianDifferenceCI(a: readonly number[], b: readonly number[]): [number, number] {
  return bootstrapMedianDifference(a, b, { iterations: 5000, seed: 7 }).ci95;
}

export function compareResults(older: ResultsRecord, newer: ResultsRecord): MetricChange[] {
  const out: MetricChange[] = [];
  for (const [name, n] of Object.entries(newer.strategies) as Array<
    [keyof ResultsRecord['strategies'], StrategyResult]
  >) {
    const o = older.strategies[name];
    if (!o) continue;
    type Sampled = [
      metric: string,
      unit: string,
      higherIsBetter: boolean,
      get: (r: RoundRecord) => number,
      old: number,
      new: number,
    ];
    const sampled: Sampled[] = [
      [
        'throughput (median)',
        'req/s',
        true,
        (r) => r.requestsPerSecond,
        o.throughput.median,
        n.throughput.median,
      ],
      [
        'p50 latency',
        'ms',
        false,
        (r) => (r.status === 'valid' ? r.latencyMs.p50 : NaN),
        o.latencyMs.p50,
        n.latencyMs.p50,
      ],
      [
        'p99 latency',
        'ms',
        false,
        (r) => (r.status === 'valid' ? r.latencyMs.p99 : NaN),
        o.latencyMs.p99,
        n.latencyMs.p99,
      ],
    ];
    for (const [metric, unit, higherIsBetter, get, oldV, newV] of sampled) {
      const a = validRounds(o.rounds).map(get);
      const b = validRounds(n.rounds).map(get);
      const ci = a.length > 1 && b.length > 1 ? medianDifferenceCI(a, b) : null;
      out.push({
        strategy: name,
        metric,
        unit,
        old: oldV,
        new: newV,
        changePercent: ((newV - oldV) / oldV) * 100,
        ci95: ci,
        significant: ci !== null && (ci[0] > 0 || ci[1] < 0),
        higherIsBetter,
      });
    }
    const counted = [
      ['database queries per request', o.queriesPerRequest, n.queriesPerRequest],
      ['Redis commands per request', o.redisCommandsPerRequest, n.redisCommandsPerRequest],
    ] as const;
    for (const [metric, oldV, newV] of counted) {
      // Counted, not sampled: any change is a real one.
      out.push({
        strategy: name,
        metric,
        unit: 'per request',
        old: oldV,
        new: newV,
        changePercent: oldV === 0 ? (newV === 0 ? 0 : Infinity) : ((newV - oldV) / oldV) * 100,
        ci95: null,
        significant: oldV !== newV,
        higherIsBetter: false,
      });
    }
  }
  return out;
}

/** A change's direction in words: better, WORSE, or no significant change. */
export function changeVerdict(c: MetricChange): 'better' | 'WORSE' | 'no significant change' {
  if (!c.significant) return 'no significant change';
  return c.new > c.old === c.higherIsBetter ? 'better' : 'WORSE';
}
