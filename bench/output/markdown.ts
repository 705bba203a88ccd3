import type { ResultsRecord } from '../schema/results.js';
import { gain, ms, num, signed, withCoverage } from './format.js';
import { strategyMatrix } from './matrix.js';
import { modelExplanation, verdicts } from './prose.js';

/** A summary fit for a CI job summary or a pull-request comment (pure). */
export function renderMarkdown(record: ResultsRecord, pngFiles: Record<string, string>): string {
  const matrix = strategyMatrix(record);
  const lines = [
    `## authbench: ${Object.keys(record.strategies).join(' vs ')} (${record.scenario})`,
    '',
    ...verdicts(record).flatMap((v) => [`**${v}**`, '']),
    `| ${matrix.header.join(' | ')} |`,
    `|---|${matrix.header
      .slice(1)
      .map(() => '---:')
      .join('|')}|`,
    ...matrix.rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ];
  for (const c of record.comparisons) {
    lines.push(
      `Throughput ratio ${c.candidate}/${c.baseline}: ${gain(c.throughputRatio.median)} (95% CI ${gain(c.throughputRatio.ci95[0])} to ${gain(c.throughputRatio.ci95[1])}, ${c.throughputRatio.pairs} paired rounds).`,
      '',
    );
  }
  if (record.model) lines.push(`**Why:** ${modelExplanation(record.model)}`, '');
  const open = record.openModel;
  if (open.length) {
    lines.push('| open model (fixed rate) | strategy | achieved | p50 | p99 |', '|---|---|---:|---:|---:|');
    for (const o of open) {
      for (const [n, r] of Object.entries(o.strategies))
        lines.push(
          `| ${num(o.fraction * 100)}% · ${num(o.targetRps)} req/s | ${n} | ${num(r.achievedRps)} req/s | ${ms(r.latencyMs.p50)} | ${ms(r.latencyMs.p99)} |`,
        );
    }
    lines.push('');
    const deltas = open.flatMap((o) => o.comparisons.map((c) => ({ o, c })));
    if (deltas.length) {
      lines.push(
        '| open model (fixed rate) | candidate − baseline | p50 Δ (interval, confidence) | p99 Δ (interval, confidence) | paired runs |',
        '|---|---|---:|---:|---:|',
      );
      for (const { o, c } of deltas)
        lines.push(
          `| ${num(o.fraction * 100)}% · ${num(o.targetRps)} req/s | ${c.candidate} − ${c.baseline} | ${withCoverage(c.p50DeltaMs, (x) => `${signed(x)} ms`)} | ${withCoverage(c.p99DeltaMs, (x) => `${signed(x)} ms`)} | ${c.pairs} |`,
        );
      lines.push('');
    }
  }
  if (record.warnings.length) lines.push('**Warnings**', '', ...record.warnings.map((w) => `- ${w}`), '');
  if (!record.valid) lines.push('**This run is INVALID.**', '');
  const pngs = Object.entries(pngFiles);
  if (pngs.length) lines.push(...pngs.map(([id, file]) => `![${id}](${file})`), '');
  lines.push(
    `<sub>${record.env.cpuModel}, ${record.env.cores} cores · Node ${record.env.node} · PostgreSQL ${record.env.postgres} · Redis ${record.env.redis} · ${record.env.infrastructure.postgres}/${record.env.infrastructure.redis} infrastructure · commit ${record.env.gitCommit ?? 'unknown'} · ${record.createdAt}</sub>`,
    '',
  );
  return lines.join('\n');
}
