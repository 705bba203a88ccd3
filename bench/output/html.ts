import type { StrategyName } from '../../servers/strategies/index.js';
import type { ResultsRecord } from '../schema/results.js';
import { chartSpecs, type ChartSpec } from './charts.js';
import { errorBarsPlugin } from './error-bars.js';
import { gain, ms, num, signed, withCoverage } from './format.js';
import { esc, inlineScript, row, scriptJson, thead } from './html-parts.js';
import { strategyMatrix } from './matrix.js';
import { modelExplanation, verdicts } from './prose.js';

function headline(record: ResultsRecord): Array<[string, string, string]> {
  const names = Object.keys(record.strategies) as Array<keyof ResultsRecord['strategies']>;
  const all = names.map((n) => record.strategies[n]!);
  const joined = (f: (s: (typeof all)[number]) => string): string => all.map(f).join(' → ');
  // Two strategies: one comparison, the cards as they always read. More: every card names its pair.
  const pair = names.length === 2;
  const only = pair ? record.comparisons[0] : undefined;
  const [baseline, ...candidates] = names;
  const cards: Array<[string, string, string]> = candidates.map((name) => {
    const c = record.comparisons.find((x) => x.candidate === name);
    const label = pair ? 'Throughput gain' : `${name} vs ${baseline}`;
    if (!c) return [label, '–', 'no valid pairs'];
    const r = c.throughputRatio;
    return [label, gain(r.median), `95% CI ${gain(r.ci95[0])} to ${gain(r.ci95[1])}`];
  });
  return [
    ...cards,
    [
      'DB queries / request',
      joined((s) => num(s.queriesPerRequest, 2)),
      `measured (${esc(all[0]?.costs.queriesSource ?? '')})`,
    ],
    [
      'p50 latency',
      joined((s) => ms(s.latencyMs.p50)),
      only ? `paired Δ ${num(only.p50DeltaMs.median, 2)} ms` : '',
    ],
    [
      'p99 latency',
      joined((s) => ms(s.latencyMs.p99)),
      only ? `paired Δ ${num(only.p99DeltaMs.median, 2)} ms` : '',
    ],
  ];
}

/** The calibrated model: its demands, its prediction and the measured numbers side by side. */
function whySection(record: ResultsRecord, h: number): string {
  const m = record.model;
  if (!m) return '';
  const names = Object.keys(m.calibration.strategies) as StrategyName[];
  const rows = names
    .map((n) => {
      const c = m.calibration.strategies[n]!;
      const p = m.predicted[n];
      const e = m.error[n];
      const loaded = m.underLoad[n];
      return row(n, [
        `${num(c.cpuMs, 3)} ms`,
        `${num(c.poolMs, 2)} ms`,
        c.dbExecMs === null ? '–' : `${num(c.dbExecMs, 3)} ms`,
        c.otherCpuMs === null ? '–' : `${num(c.otherCpuMs, 3)} ms`,
        num(c.roundTripsPerRequest, 2),
        p ? `${num(p.poolHoldMs, 2)} ms` : '–',
        p ? esc(p.binding) : esc(c.invalidReason ?? '–'),
        p ? num(p.requestsPerSecond) : '–',
        num(m.measured[n]?.requestsPerSecond ?? NaN),
        e === undefined ? '–' : gain(1 + e),
        loaded?.cpuMs == null ? '–' : `${num(loaded.cpuMs, 3)} ms`,
        loaded?.poolMs == null ? '–' : `${num(loaded.poolMs, 2)} ms`,
      ]);
    })
    .join('\n');
  const head = thead([
    'strategy',
    'CPU / req',
    'pool hold / req',
    'Postgres exec / req',
    'other CPUs / req',
    'round trips / req',
    'predicted pool hold',
    'binds',
    'predicted req/s',
    'measured req/s',
    'error',
    'CPU / req under load',
    'pool hold / req under load',
  ]);
  return `<h${h}>Why: a model calibrated at low load, then checked</h${h}>
<p class="sub">Before the rounds, each strategy ran ${m.calibration.seconds} s at ${m.calibration.connections}
connection${m.calibration.connections === 1 ? '' : 's'} (then ${m.calibration.levels.slice(1).join(', ') || 'no more'}, until its server or pool was 60 % busy), where nothing queues; its costs per request (the first five
columns) are the model's only inputs. A queueing network (${esc(m.method)}) then predicts throughput for the run's
${m.conditions.connections} connections and pool of ${m.conditions.poolSize}; the measured rounds are compared
afterwards, never fed in. The last two columns are what the rounds themselves show per request, to say where a
miss comes from.</p>
<p id="why">${esc(modelExplanation(m))}</p>
<table>${head}
<tbody>
${rows}
</tbody></table>`;
}

function openModelSection(record: ResultsRecord, h: number): string {
  const runs = record.openModel;
  if (runs.length === 0) return '';
  const rows = runs
    .flatMap((o) =>
      Object.entries(o.strategies).map(([n, r]) =>
        [
          `<tr><td>${num(o.fraction * 100)}% · ${num(o.targetRps)} req/s</td>`,
          row(n, [
            `${num(r.achievedRps)} req/s`,
            ms(r.latencyMs.p50),
            ms(r.latencyMs.p90),
            ms(r.latencyMs.p99),
            ms(r.latencyMs.p999),
            String(r.non2xx + r.errors + r.unfinished),
          ]).slice('<tr>'.length),
        ].join(''),
      ),
    )
    .join('\n');
  const head = thead(['rate', 'strategy', 'achieved', 'p50', 'p90', 'p99', 'p99.9', 'failed']);
  const deltas = runs.flatMap((o) =>
    o.comparisons.map(
      (c) =>
        `<tr><td>${num(o.fraction * 100)}% · ${num(o.targetRps)} req/s</td>` +
        row(`${c.candidate} − ${c.baseline}`, [
          withCoverage(c.p50DeltaMs, (x) => `${signed(x)} ms`),
          withCoverage(c.p99DeltaMs, (x) => `${signed(x)} ms`),
          String(c.pairs),
        ]).slice('<tr>'.length),
    ),
  );
  const repeated = runs.find((o) => o.comparisons.length > 0);
  const pairedTable = deltas.length
    ? `
<table>${thead(['rate', 'candidate − baseline', 'p50 Δ (interval, confidence)', 'p99 Δ (interval, confidence)', 'paired runs'])}
<tbody>
${deltas.join('\n')}
</tbody></table>`
    : '';
  const how = repeated
    ? ` Each strategy ran ${repeated.repetitions} times per rate in alternating order, each run after
${num(repeated.warmupSeconds)} s of warm-up: the table shows medians over the runs, the differences are paired by
repetition with a distribution-free interval and its exact confidence (75 % for 3 pairs, 87.5 % for 4,
at least 95 % from 6), a run with refusals or connection errors is left out, and a request unanswered at the
timeout counts as failed and enters the latency at the timeout.`
    : '';
  return `<h${h}>Latency at a fixed arrival rate (open model)</h${h}>
<p class="sub">Each strategy at a constant arrival rate below the baseline's measured maximum; latency from each
request's intended send time, so stalls are not hidden.${how} The closed-model latencies above follow Little's law
(latency ≈ connections ÷ throughput) instead.</p>
<table>${head}
<tbody>
${rows}
</tbody></table>${pairedTable}`;
}

/** A canvas for one chart, with its caption. */
export function figure(canvasId: string, title: string): string {
  return [
    '  <figure><div class="chart">',
    `<canvas id="${esc(canvasId)}" role="img" aria-label="${esc(title)}"></canvas></div>`,
    `<figcaption class="sub">${esc(title)}</figcaption></figure>`,
  ].join('');
}

/** Where the record was measured, as key–value rows. */
export function environmentTable(record: ResultsRecord): string {
  const env = record.env;
  const envRows: Array<[string, string]> = [
    ['CPU', `${env.cpuModel} (${env.cores} cores)`],
    ['memory', `${env.memoryGiB} GiB`],
    ['OS', env.os],
    ['Node.js', env.node],
    ['PostgreSQL', env.postgres],
    ['Redis', env.redis],
    ['git commit', env.gitCommit ?? 'unknown'],
    ['infrastructure', env.infrastructure.description],
    ['server CPU pinning', env.serverCpu === null ? 'none' : `CPU ${env.serverCpu}`],
    ['command', record.command],
    ['created', record.createdAt],
    ['wall time', `${num(record.wallSeconds, 1)} s`],
  ];
  return `<table class="kv"><tbody>
${envRows.map(([k, v]) => row(k, [esc(v)])).join('\n')}
</tbody></table>`;
}

/**
 * One scenario's findings below its verdict: headline cards, warnings, charts (canvas ids
 * prefixed, so several scenarios share a page), the strategy matrix, why, the open model,
 * the environment, method, fairness and configuration. `h` is the heading level of its sections.
 */
export function scenarioBody(
  record: ResultsRecord,
  specs: readonly ChartSpec[],
  idPrefix: string,
  h = 2,
): string {
  const matrix = strategyMatrix(record);
  const rows = matrix.rows.map(([name, ...cells]) => row(name!, cells.map(esc))).join('\n');
  const cards = headline(record)
    .map(([label, value, note]) =>
      [
        '  <div class="card">',
        `<div class="label">${esc(label)}</div><div class="value">${esc(value)}</div><div class="note">${note}</div>`,
        '</div>',
      ].join(''),
    )
    .join('\n');
  const warnings = [
    ...record.warnings,
    ...(record.valid ? [] : ['This run is INVALID: at least one round failed; see above.']),
  ];
  const warningList = warnings.length
    ? `<section class="warnings" aria-label="warnings"><h${h} style="border:0;margin-top:8px">Warnings</h${h}>` +
      `<ul>${warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></section>`
    : '';
  const sub = h + 1;
  return `<section class="cards" aria-label="headline figures">
${cards}
</section>
${warningList}
<h${h}>Charts</h${h}>
<section class="charts">
${specs.map((s) => figure(`chart-${idPrefix}${s.id}`, s.title)).join('\n')}
</section>
<h${h}>The strategies</h${h}>
<table>
${thead(matrix.header)}
<tbody>
${rows}
</tbody>
</table>
${whySection(record, h)}
${openModelSection(record, h)}
<h${h}>Environment</h${h}>
${environmentTable(record)}
<h${h}>Method</h${h}>
<ul>${record.method.map((m) => `<li>${esc(m)}</li>`).join('')}</ul>
<h${sub}>Fairness: the same building blocks for every strategy</h${sub}>
<ul>${Object.entries(record.fairness)
    .map(([k, v]) => `<li><strong>${esc(k)}</strong>: ${esc(v)}</li>`)
    .join('')}</ul>
<h${sub}>Configuration</h${sub}>
<pre>${esc(JSON.stringify(record.config, null, 2))}</pre>`;
}

/**
 * A self-contained page around a body: CSS inline, Chart.js inline, each chart created on its
 * canvas by id. Opens offline: nothing is fetched.
 */
export function page(opts: {
  title: string;
  body: string;
  charts: ReadonlyArray<{ canvasId: string; config: Record<string, unknown> }>;
  chartJsSource: string;
}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(opts.title)}</title>
<style>${CSS}</style>
</head>
<body>
${opts.body}
${inlineScript(opts.chartJsSource)}
<script>
const specs = ${scriptJson(opts.charts)};
Chart.register((${errorBarsPlugin.toString()})());
for (const spec of specs) new Chart(document.getElementById(spec.canvasId), spec.config);
</script>
</body>
</html>
`;
}

/**
 * The self-contained HTML report of one scenario (pure: record and Chart.js source in, HTML
 * out). Opens offline: Chart.js is inlined, nothing is fetched.
 */
export function renderHtml(record: ResultsRecord, chartJsSource: string): string {
  const specs = chartSpecs(record);
  const names = Object.keys(record.strategies);
  const env = record.env;
  const body = `<header>
  <h1>authbench: ${esc(names.join(' vs '))}</h1>
  <p class="sub">scenario <strong>${esc(record.scenario)}</strong> · ${esc(record.createdAt)} ·
    ${esc(env.cpuModel)}, ${env.cores} cores</p>
  <p class="verdict" id="verdict">${verdicts(record).map(esc).join('<br>')}</p>
</header>
${scenarioBody(record, specs, '')}`;
  return page({
    title: `authbench — ${record.scenario} — ${record.createdAt}`,
    body,
    charts: specs.map((s) => ({ canvasId: `chart-${s.id}`, config: s.config })),
    chartJsSource,
  });
}

const CSS = `
  :root { color-scheme: light; --ink: #1b1b1b; --muted: #555; --line: #d0d0d0; --warn: #8a4b00; --warnbg: #fff4e0; }
  body {
    font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
    margin: 0 auto; padding: 24px; max-width: 1100px;
  }
  h1 { font-size: 24px; margin: 0 0 4px; }
  h2 { font-size: 19px; margin-top: 32px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
  .sub { color: var(--muted); margin: 0 0 16px; }
  .verdict {
    font-size: 18px; font-weight: 600; padding: 12px 16px; border-left: 5px solid #0072B2; background: #eef5fb;
  }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 12px; margin: 16px 0; }
  .card { border: 1px solid var(--line); border-radius: 6px; padding: 12px; }
  .card .label { color: var(--muted); font-size: 13px; text-transform: uppercase; letter-spacing: .04em; }
  .card .value { font-size: 24px; font-weight: 700; font-variant-numeric: tabular-nums; }
  .card .note { color: var(--muted); font-size: 13px; }
  .warnings {
    background: var(--warnbg); color: var(--warn); border: 1px solid #f0c080; border-radius: 6px; padding: 8px 16px;
  }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 16px; }
  figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
  .chart { position: relative; height: 320px; }
  .frontier .chart { height: 420px; }
  nav.toc a { margin-right: 16px; }
  .runverdicts { font-size: 16px; font-weight: 400; padding-left: 32px; }
  section.scenario { margin-top: 40px; }
  section.scenario > h2 { font-size: 22px; border-bottom: 2px solid var(--ink); }
  table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
  th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid var(--line); }
  th:first-child, td:first-child { text-align: left; }
  table.kv td { text-align: left; }
  pre { background: #f6f6f6; padding: 8px; overflow-x: auto; font-size: 13px; }
  @media print {
    body { max-width: none; padding: 0; }
    .charts { grid-template-columns: 1fr 1fr; }
    figure { break-inside: avoid; }
    .chart { height: 260px; }
  }
`;
