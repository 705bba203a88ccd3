import { gain } from './format.js';
import type { ResultsRecord } from '../analysis/results.js';

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');

/** The final terminal table and verdict, as plain text (pure: record in, string out). */
export function renderSummary(record: ResultsRecord): string {
  const header = ['strategy', 'req/s (95% CI)', 'p50 ms', 'p99 ms', 'queries/req', 'Redis cmds/req', 'valid rounds'];
  const rows = Object.entries(record.strategies).map(([name, s]) => [
    name,
    `${fmt(s.throughput.median)} (${fmt(s.throughput.ci95[0])}–${fmt(s.throughput.ci95[1])})`,
    fmt(s.latencyMs.p50, 2),
    fmt(s.latencyMs.p99, 2),
    fmt(s.queriesPerRequest, 2),
    fmt(s.redisCommandsPerRequest, 2),
    `${s.validRounds}/${s.rounds.length}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line), ''];
  if (record.comparison) {
    const c = record.comparison;
    out.push(c.verdict);
    out.push(`p50 latency ${c.p50DeltaMs.median >= 0 ? '+' : ''}${fmt(c.p50DeltaMs.median, 2)} ms (95% CI ${fmt(c.p50DeltaMs.ci95[0], 2)} to ${fmt(c.p50DeltaMs.ci95[1], 2)}), `
      + `p99 ${c.p99DeltaMs.median >= 0 ? '+' : ''}${fmt(c.p99DeltaMs.median, 2)} ms (${fmt(c.p99DeltaMs.ci95[0], 2)} to ${fmt(c.p99DeltaMs.ci95[1], 2)}), ${c.candidate} − ${c.baseline}, over ${c.throughputRatio.pairs} paired rounds.`);
  }
  if (record.model) out.push(`why: ${record.model.explanation}`);
  for (const o of record.openModel ?? []) {
    const parts = Object.entries(o.strategies).map(([n, r]) => `${n} p50 ${fmt(r.latencyMs.p50, 2)} ms, p99 ${fmt(r.latencyMs.p99, 2)} ms (achieved ${fmt(r.achievedRps)} req/s)`);
    out.push(`open model at ${fmt(o.fraction * 100)}% of the baseline's max (${fmt(o.targetRps)} req/s): ${parts.join('; ')}.`);
  }
  for (const w of record.warnings) out.push(`warning: ${w}`);
  if (!record.valid) out.push('The run is INVALID: see the warnings above.');
  return `${out.join('\n')}\n`;
}

/** Scenarios side by side, and whether each reproduces the write-up's +30 % (pure). */
export function renderSideBySide(records: readonly ResultsRecord[]): string {
  const header = ['scenario', 'baseline req/s', 'candidate req/s', 'gain (95% CI)', 'p50 Δ ms', 'p99 Δ ms', 'write-up\'s +30%'];
  const rows = records.map((r) => {
    const c = r.comparison;
    const a = c ? r.strategies[c.baseline] : undefined;
    const b = c ? r.strategies[c.candidate] : undefined;
    const reproduced = !c ? 'no comparison'
      : c.throughputRatio.ci95[0] >= 1.3 ? 'reproduced'
        : c.throughputRatio.ci95[1] < 1.3 ? 'not reproduced' : 'within the CI';
    return [
      r.scenario,
      a ? fmt(a.throughput.median) : '–',
      b ? fmt(b.throughput.median) : '–',
      c ? `${gain(c.throughputRatio.median)} (${gain(c.throughputRatio.ci95[0])} to ${gain(c.throughputRatio.ci95[1])})` : '–',
      c ? `${fmt(c.p50DeltaMs.median, 1)} (${fmt(c.p50DeltaMs.ci95[0], 1)} to ${fmt(c.p50DeltaMs.ci95[1], 1)})` : '–',
      c ? `${fmt(c.p99DeltaMs.median, 1)} (${fmt(c.p99DeltaMs.ci95[0], 1)} to ${fmt(c.p99DeltaMs.ci95[1], 1)})` : '–',
      reproduced,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  return `${[line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n')}\n`;
}
