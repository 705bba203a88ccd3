import type { RoundRecord } from '../schema/results.js';
import type { ResultsRecord } from './results.js';
import { median, seededRandom } from './stats.js';

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

/**
 * Bootstrap of the difference of medians of two independent samples (rounds of two runs):
 * significant when the 95% interval excludes 0. Pure and seeded.
 */
export function medianDifferenceCI(a: readonly number[], b: readonly number[], iterations = 5000, seed = 7): [number, number] {
  const random = seededRandom(seed);
  const pick = (xs: readonly number[]): number[] => xs.map(() => xs[Math.floor(random() * xs.length)]!);
  const diffs: number[] = [];
  for (let i = 0; i < iterations; i++) diffs.push(median(pick(b)) - median(pick(a)));
  diffs.sort((x, y) => x - y);
  return [diffs[Math.floor(0.025 * (iterations - 1))]!, diffs[Math.ceil(0.975 * (iterations - 1))]!];
}

/** Per strategy and metric, old → new (pure). */
export function compareResults(older: ResultsRecord, newer: ResultsRecord): MetricChange[] {
  const out: MetricChange[] = [];
  for (const name of Object.keys(newer.strategies)) {
    const o = older.strategies[name];
    const n = newer.strategies[name];
    if (!o || !n) continue;
    const valid = (r: RoundRecord[]): RoundRecord[] => r.filter((x) => x.status === 'valid');
    const perRound: Array<[string, string, boolean, (r: RoundRecord) => number, number, number]> = [
      ['throughput (median)', 'req/s', true, (r) => r.requestsPerSecond, o.throughput.median, n.throughput.median],
      ['p50 latency', 'ms', false, (r) => r.latencyMs.p50, o.latencyMs.p50, n.latencyMs.p50],
      ['p99 latency', 'ms', false, (r) => r.latencyMs.p99, o.latencyMs.p99, n.latencyMs.p99],
    ];
    for (const [metric, unit, higherIsBetter, get, oldV, newV] of perRound) {
      const a = valid(o.rounds).map(get);
      const b = valid(n.rounds).map(get);
      const ci = a.length > 1 && b.length > 1 ? medianDifferenceCI(a, b) : null;
      out.push({ strategy: name, metric, unit, old: oldV, new: newV, changePercent: ((newV - oldV) / oldV) * 100,
        ci95: ci, significant: ci !== null && (ci[0] > 0 || ci[1] < 0), higherIsBetter });
    }
    for (const [metric, oldV, newV] of [
      ['database queries per request', o.queriesPerRequest, n.queriesPerRequest],
      ['Redis commands per request', o.redisCommandsPerRequest, n.redisCommandsPerRequest],
    ] as const) {
      // Counted, not sampled: any change is a real one.
      out.push({ strategy: name, metric, unit: 'per request', old: oldV, new: newV,
        changePercent: oldV === 0 ? (newV === 0 ? 0 : Infinity) : ((newV - oldV) / oldV) * 100,
        ci95: null, significant: oldV !== newV, higherIsBetter: false });
    }
  }
  return out;
}

const f = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2));
const pct = (x: number): string => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}%` : 'new');

function verdict(c: MetricChange): string {
  if (!c.significant) return 'no significant change';
  const better = (c.new > c.old) === c.higherIsBetter;
  return better ? 'better' : 'WORSE';
}

export function renderComparisonText(changes: readonly MetricChange[]): string {
  const rows = changes.map((c) => [c.strategy, c.metric, `${f(c.old)} → ${f(c.new)} ${c.unit}`, pct(c.changePercent), verdict(c)]);
  const header = ['strategy', 'metric', 'old → new', 'change', 'significance'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return `${[line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n')}\n`;
}

export function renderComparisonMarkdown(changes: readonly MetricChange[], oldName: string, newName: string): string {
  return [
    `## authbench: ${oldName} → ${newName}`, '',
    '| strategy | metric | old | new | change | significance |', '|---|---|---:|---:|---:|---|',
    ...changes.map((c) => `| ${c.strategy} | ${c.metric} | ${f(c.old)} ${c.unit} | ${f(c.new)} ${c.unit} | ${pct(c.changePercent)} | ${verdict(c)} |`),
    '', 'Significance: 95% bootstrap CI of the difference of round medians excludes 0; counts (queries, commands) change only when they change.', '',
  ].join('\n');
}
