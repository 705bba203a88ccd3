/** `authbench compare` as a terminal table or Markdown (pure). */
import { changeVerdict, type MetricChange } from '../analysis/compare.js';
import { compact, percentChange } from './format.js';
import { renderTable } from './table.js';

export function renderComparisonText(changes: readonly MetricChange[]): string {
  const header = ['strategy', 'metric', 'old → new', 'change', 'significance'];
  const rows = changes.map((c) => [
    c.strategy,
    c.metric,
    `${compact(c.old)} → ${compact(c.new)} ${c.unit}`,
    percentChange(c.changePercent),
    changeVerdict(c),
  ]);
  return renderTable(header, rows);
}

export function renderComparisonMarkdown(
  changes: readonly MetricChange[],
  oldName: string,
  newName: string,
): string {
  return [
    `## authbench: ${oldName} → ${newName}`,
    '',
    '| strategy | metric | old | new | change | significance |',
    '|---|---|---:|---:|---:|---|',
    ...changes.map(
      (c) =>
        `| ${c.strategy} | ${c.metric} | ${compact(c.old)} ${c.unit} | ${compact(c.new)} ${c.unit} | ${percentChange(c.changePercent)} | ${changeVerdict(c)} |`,
    ),
    '',
    'Significance: 95% bootstrap CI of the difference of round medians excludes 0; counts (queries, commands) change only when they change.',
    '',
  ].join('\n');
}
