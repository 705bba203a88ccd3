/**
 * The report of one run (pure): every scenario it measured on one page, the frontier first, then
 * per regime the verdict, matrix, charts, why and method; and the same as Markdown.
 */
import type { FreshnessRecord } from '../schema/freshness.js';
import type { ResultsRecord } from '../schema/results.js';
import { chartSpecs, frontierChart } from './charts.js';
import { gain } from './format.js';
import { esc } from './html-parts.js';
import { figure, page, scenarioBody } from './html.js';
import { renderMarkdown } from './markdown.js';
import { verdicts } from './prose.js';

export interface RunReportInput {
  createdAt: string;
  command: string;
  /** Scenario records in the order they ran. */
  records: readonly ResultsRecord[];
  /** The run's freshness phase and its own report's file name, when it had one. */
  freshness: { record: FreshnessRecord; html: string } | null;
  /** False while the run is under way (or when it died): the page says what is missing. */
  complete: boolean;
}

/** An HTML id fragment from a scenario name (which may be a path to a scenario file). */
export const scenarioId = (scenario: string): string =>
  scenario
    .replace(/^.*\//, '')
    .replace(/\.json$/, '')
    .replace(/[^A-Za-z0-9_-]/g, '-');

/**
 * Each record's id on the page and in PNG names, in order: the scenario's, with -2, -3, … for a
 * scenario met again (as its record file is named).
 */
export function scenarioIds(records: readonly ResultsRecord[]): string[] {
  const seen = new Map<string, number>();
  return records.map((r) => {
    const id = scenarioId(r.scenario);
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    return n === 1 ? id : `${id}-${n}`;
  });
}

/** The run's page: self-contained, every chart on it drawn by the inlined Chart.js. */
export function renderRunHtml(run: RunReportInput, chartJsSource: string): string {
  const { records } = run;
  const frontier = frontierChart(records);
  const charts: Array<{ canvasId: string; config: Record<string, unknown> }> = [];
  if (frontier) charts.push({ canvasId: 'chart-frontier', config: frontier.config });
  const strategies = [...new Set(records.flatMap((r) => Object.keys(r.strategies)))];
  const ids = scenarioIds(records);
  const sections = records.map((record, i) => {
    const id = ids[i]!;
    const specs = chartSpecs(record, { frontier: false });
    for (const s of specs) charts.push({ canvasId: `chart-${id}-${s.id}`, config: s.config });
    return `<section class="scenario" id="scenario-${id}" aria-label="${esc(record.scenario)}">
<h2>Regime: ${esc(record.scenario)}</h2>
<p class="verdict" id="verdict-${id}">${verdicts(record).map(esc).join('<br>')}</p>
${scenarioBody(record, specs, `${id}-`, 3)}
</section>`;
  });
  const verdictList = records
    .map(
      (r, i) =>
        `<li><a href="#scenario-${ids[i]!}"><strong>${esc(r.scenario)}</strong></a>: ${esc(
          gainsLine(r),
        )}${r.valid ? '' : ' <strong>(INVALID)</strong>'}</li>`,
    )
    .join('\n');
  const first = records[0];
  const machine = first ? ` · ${esc(first.env.cpuModel)}, ${first.env.cores} cores` : '';
  const body = `<header>
  <h1>authbench: ${esc(strategies.join(', '))}</h1>
  <p class="sub">one run · ${esc(run.createdAt)}${machine} · <code>${esc(run.command)}</code></p>
  ${run.complete ? '' : '<p class="warnings" id="incomplete">This run did not finish: only the scenarios below were measured.</p>'}
  <ul class="verdict runverdicts" id="verdict">
${verdictList}
  </ul>
  <nav class="toc">${records
    .map((r, i) => `<a href="#scenario-${ids[i]!}">${esc(r.scenario)}</a>`)
    .join('')}${run.freshness ? '<a href="#freshness">freshness</a>' : ''}</nav>
</header>
${frontier ? `<section class="frontier" aria-label="the frontier">\n<h2>Speed and staleness</h2>\n<p class="sub">Each strategy in each regime: throughput as a fraction of the no-auth ceiling (measured in the same rounds) against the longest time a revoked permission kept working in the freshness phase. Filled: no stale acceptance beyond its declared δ; hollow: stale acceptances.</p>\n${figure('chart-frontier', frontier.title)}\n</section>` : ''}
${freshnessSection(run.freshness)}
${sections.join('\n')}`;
  return page({
    title: `authbench run — ${records.map((r) => r.scenario).join(', ')} — ${run.createdAt}`,
    body,
    charts,
    chartJsSource,
  });
}

/**
 * A scenario in one line for the top of a run's page: each candidate's gain over the baseline
 * with its interval (the sentences are in the scenario's own section).
 */
export function gainsLine(record: ResultsRecord): string {
  if (record.comparisons.length === 0) return 'no comparison: no pair of valid rounds';
  const [c0] = record.comparisons;
  if (record.comparisons.length === 1) return verdicts(record)[0]!;
  const parts = record.comparisons.map(
    (c) =>
      `${c.candidate} ${gain(c.throughputRatio.median)} (${gain(c.throughputRatio.ci95[0])} to ${gain(c.throughputRatio.ci95[1])})`,
  );
  return `req/s vs ${c0!.baseline}: ${parts.join(' · ')}`;
}

function freshnessSection(f: RunReportInput['freshness']): string {
  if (!f) return '';
  const lines = Object.values(f.record.strategies).map((s) => `<li>${esc(s.summary)}</li>`);
  return `<section id="freshness" aria-label="freshness">
<h2>Freshness: is it safe?</h2>
<p class="sub">seed ${f.record.seed}, ${f.record.config.seconds} s per strategy, with faults; every operation's history and the checker's verdict in <a href="${esc(f.html)}">the freshness report</a>.</p>
<ul>${lines.join('')}</ul>
</section>`;
}

/**
 * The run as Markdown (summary.md): a line per scenario, the frontier, then each scenario's
 * summary. `pngs` maps `frontier` and `<scenario id>-<chart>` to file names beside it.
 */
export function renderRunMarkdown(run: RunReportInput, pngs: Record<string, string>): string {
  const lines = [`# authbench run, ${run.createdAt}`, '', `\`${run.command}\``, ''];
  if (!run.complete) lines.push('**This run did not finish: only the scenarios below were measured.**', '');
  for (const r of run.records)
    lines.push(`- **${r.scenario}**: ${gainsLine(r)}${r.valid ? '' : ' **(INVALID)**'}`);
  lines.push('');
  if (pngs.frontier) lines.push(`![frontier](${pngs.frontier})`, '');
  if (run.freshness) {
    lines.push(
      '## Freshness',
      '',
      ...Object.values(run.freshness.record.strategies).map((s) => `- ${s.summary}`),
    );
    lines.push('', `Details: [${run.freshness.html}](${run.freshness.html})`, '');
  }
  const ids = scenarioIds(run.records);
  for (const [i, r] of run.records.entries()) {
    const id = ids[i]!;
    const own = Object.fromEntries(
      Object.entries(pngs)
        .filter(([k]) => k.startsWith(`${id}-`))
        .map(([k, v]) => [k.slice(id.length + 1), v]),
    );
    lines.push(renderMarkdown(r, own));
  }
  return lines.join('\n');
}
