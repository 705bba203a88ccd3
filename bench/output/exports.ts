import type { ResultsRecord } from '../schema/results.js';

/**
 * The main figures for trend-tracking tools (pure): Bencher Metric Format, and
 * github-action-benchmark's customBiggerIsBetter / customSmallerIsBetter arrays.
 */
export function toBencherMetricFormat(
  record: ResultsRecord,
): Record<string, Record<string, { value: number; lower_value?: number; upper_value?: number }>> {
  const out: Record<
    string,
    Record<string, { value: number; lower_value?: number; upper_value?: number }>
  > = {};
  for (const [name, s] of Object.entries(record.strategies)) {
    out[`authbench/${record.scenario}/${name}`] = {
      'requests-per-second': {
        value: s.throughput.median,
        lower_value: s.throughput.ci95[0],
        upper_value: s.throughput.ci95[1],
      },
      'p50-latency-ms': { value: s.latencyMs.p50 },
      'p99-latency-ms': { value: s.latencyMs.p99 },
      'queries-per-request': { value: s.queriesPerRequest },
      'redis-commands-per-request': { value: s.redisCommandsPerRequest },
    };
  }
  for (const c of record.comparisons) {
    out[`authbench/${record.scenario}/${c.candidate}-vs-${c.baseline}`] = {
      'throughput-ratio': {
        value: c.throughputRatio.median,
        lower_value: c.throughputRatio.ci95[0],
        upper_value: c.throughputRatio.ci95[1],
      },
    };
  }
  return out;
}

export interface GabEntry {
  name: string;
  unit: string;
  value: number;
  range?: string;
  extra?: string;
}

export function toGithubActionBenchmark(record: ResultsRecord): {
  biggerIsBetter: GabEntry[];
  smallerIsBetter: GabEntry[];
} {
  const bigger: GabEntry[] = [];
  const smaller: GabEntry[] = [];
  for (const [name, s] of Object.entries(record.strategies)) {
    bigger.push({
      name: `${record.scenario} ${name} throughput`,
      unit: 'req/s',
      value: round(s.throughput.median),
      range: `${round(s.throughput.ci95[0])}–${round(s.throughput.ci95[1])}`,
      extra: `${s.validRounds} valid rounds`,
    });
    smaller.push({
      name: `${record.scenario} ${name} p50 latency`,
      unit: 'ms',
      value: round(s.latencyMs.p50),
    });
    smaller.push({
      name: `${record.scenario} ${name} p99 latency`,
      unit: 'ms',
      value: round(s.latencyMs.p99),
    });
  }
  for (const c of record.comparisons) {
    bigger.push({
      name: `${record.scenario} throughput ratio ${c.candidate}/${c.baseline}`,
      unit: 'ratio',
      value: round(c.throughputRatio.median, 4),
      range: `${round(c.throughputRatio.ci95[0], 4)}–${round(c.throughputRatio.ci95[1], 4)}`,
    });
  }
  return { biggerIsBetter: bigger, smallerIsBetter: smaller };
}

function round(x: number, digits = 2): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}
