/** The terminal's view of a run: a table per strategy, the verdicts, the warnings (pure). */
import { CLAIMED_GAIN } from '../analysis/claims.js';
import type { ResultsRecord } from '../schema/results.js';
import { fixed, gain, signed, withCoverage, withInterval } from './format.js';
import { strategyMatrix } from './matrix.js';
import { modelExplanation, verdicts } from './prose.js';
import { renderTable } from './table.js';

export function renderSummary(record: ResultsRecord): string {
  const matrix = strategyMatrix(record);
  const out = [renderTable(matrix.header, matrix.rows, 'numbers')];
  for (const [i, c] of record.comparisons.entries()) {
    out.push(verdicts(record)[i]!);
    out.push(
      `p50 latency ${signed(c.p50DeltaMs.median)} ms (95% CI ${fixed(c.p50DeltaMs.ci95[0], 2)} to ${fixed(c.p50DeltaMs.ci95[1], 2)}), ` +
        `p99 ${signed(c.p99DeltaMs.median)} ms (${fixed(c.p99DeltaMs.ci95[0], 2)} to ${fixed(c.p99DeltaMs.ci95[1], 2)}), ` +
        `${c.candidate} − ${c.baseline}, over ${c.throughputRatio.pairs} paired rounds.`,
    );
  }
  if (record.comparisons.length === 0) out.push(verdicts(record)[0]!);
  if (record.model) out.push(`why: ${modelExplanation(record.model)}`);
  for (const o of record.openModel) {
    const parts = Object.entries(o.strategies).map(
      ([n, r]) =>
        `${n} p50 ${fixed(r.latencyMs.p50, 2)} ms, p99 ${fixed(r.latencyMs.p99, 2)} ms (achieved ${fixed(r.achievedRps)} req/s)`,
    );
    const runs = o.comparisons.length ? `, medians of ${o.repetitions} runs` : '';
    out.push(
      `open model at ${fixed(o.fraction * 100)}% of the baseline's max (${fixed(o.targetRps)} req/s${runs}): ${parts.join('; ')}.`,
    );
    for (const c of o.comparisons)
      out.push(
        `  ${c.candidate} − ${c.baseline} at that rate: p50 ${withCoverage(c.p50DeltaMs, (x) => `${signed(x)} ms`)}, ` +
          `p99 ${withCoverage(c.p99DeltaMs, (x) => `${signed(x)} ms`)}, over ${c.pairs} paired runs.`,
      );
  }
  for (const w of record.warnings) out.push(`warning: ${w}`);
  if (!record.valid) out.push('The run is INVALID: see the warnings above.');
  return `${out.join('\n')}\n`;
}

/** Scenarios side by side, one row per comparison, and whether each reproduces the write-up's +30 % (pure). */
export function renderSideBySide(records: readonly ResultsRecord[]): string {
  const claim = `write-up's +${CLAIMED_GAIN * 100}%`;
  const header = [
    'scenario',
    'comparison',
    'baseline req/s',
    'candidate req/s',
    'gain (95% CI)',
    'p50 Δ ms',
    'p99 Δ ms',
    claim,
  ];
  const rows = records.flatMap((r) => {
    if (r.comparisons.length === 0)
      return [[r.scenario, 'no comparison', '–', '–', '–', '–', '–', 'no comparison']];
    return r.comparisons.map((c) => {
      const lo = c.throughputRatio.ci95[0];
      const hi = c.throughputRatio.ci95[1];
      const reproduced =
        lo >= 1 + CLAIMED_GAIN ? 'reproduced' : hi < 1 + CLAIMED_GAIN ? 'not reproduced' : 'within the CI';
      return [
        r.scenario,
        `${c.candidate} vs ${c.baseline}`,
        fixed(r.strategies[c.baseline]?.throughput.median ?? NaN),
        fixed(r.strategies[c.candidate]?.throughput.median ?? NaN),
        withInterval(c.throughputRatio, gain),
        withInterval(c.p50DeltaMs, (x) => fixed(x, 1)),
        withInterval(c.p99DeltaMs, (x) => fixed(x, 1)),
        reproduced,
      ];
    });
  });
  return renderTable(header, rows);
}
