/** `authbench predict` as text: the prediction, then the model's record on measured points (pure). */
import type { PredictAnswer } from '../analysis/predict.js';
import { fixed, gain } from './format.js';
import { renderTable } from './table.js';

export function renderPrediction(a: PredictAnswer): string {
  const c = a.calibration;
  const levels = c.levels.join(', ');
  const lines = [
    `calibration: ${a.source.label} (${a.source.scenario}, ${a.source.createdAt}): ${c.seconds} s per strategy at ${levels} connection(s), database round trip ${fixed(c.linkRoundTripMs, 2)} ms`,
    `predicted for ${a.conditions.connections} connections, a pool of ${a.conditions.poolSize}, a ${fixed(a.conditions.linkRoundTripMs, 2)} ms database round trip:`,
    '',
  ];
  const rows = a.strategies.map((n) => {
    const p = a.predicted[n];
    if (!p) return [n, '–', '–', '–', '–', c.strategies[n]?.invalidReason ?? 'no usable calibration'];
    return [
      n,
      fixed(p.requestsPerSecond),
      fixed(p.meanLatencyMs, 2),
      fixed(p.poolHoldMs, 2),
      fixed(p.poolWaitMs, 2),
      `${p.binding} (CPU ${fixed(100 * p.utilization.serverCpu)}%, pool ${fixed(100 * p.utilization.pool)}%, other CPUs ${fixed(100 * p.utilization.otherCpu)}%)`,
    ];
  });
  lines.push(
    renderTable(
      ['strategy', 'req/s', 'mean latency ms', 'pool hold ms', 'pool wait ms', 'binds (utilization)'],
      rows,
    ).trimEnd(),
  );
  const [baseline] = a.strategies;
  for (const [cand, g] of Object.entries(a.predicted.gains))
    lines.push(`predicted gain of ${cand} over ${baseline}: ${gain(g!)}`);
  lines.push('', 'how this model did where it was measured (predicted ÷ measured − 1):');
  for (const t of a.track) {
    const errors = Object.entries(t.error)
      .map(([n, e]) => `${n} ${gain(1 + e!)}`)
      .join(', ');
    lines.push(
      `  ${t.label}: ${errors || 'no measured strategy'}; gain predicted ${t.predictedGain === null ? '–' : gain(t.predictedGain)}, measured ${t.measuredGain === null ? '–' : gain(t.measuredGain)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
