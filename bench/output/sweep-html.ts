import type { StrategyName } from '../../servers/strategies/index.js';
import type { Estimate } from '../schema/results.js';
import type { SweepComparison, SweepRecord } from '../schema/sweep.js';
import { PALETTE, POINT_STYLES } from './charts.js';
import { esc, inlineScript, scriptJson } from './html-parts.js';
import { modelExplanation } from './prose.js';

type Comparison = SweepComparison;

/**
 * Line charts against the swept parameter, each candidate with its 95% CI as a shaded band; the
 * gain with the cost model's prediction, and the costs per request that explain it (pure).
 */
export function sweepChartSpecs(
  s: SweepRecord,
): Array<{ id: string; title: string; config: Record<string, unknown> }> {
  const labels = s.points.map((p) => p.value);
  const candidates = [...new Set(s.points.flatMap((p) => p.comparisons.map((c) => c.candidate)))];
  const options = (
    title: string,
    yTitle: string,
    y: Record<string, unknown> = {},
  ): Record<string, unknown> => ({
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    plugins: { title: { display: true, text: title, font: { size: 15 } }, legend: { position: 'bottom' } },
    scales: {
      x: { title: { display: true, text: s.param } },
      y: { title: { display: true, text: yTitle }, ...y },
    },
  });
  const of = (name: string) => s.points.map((p) => p.comparisons.find((c) => c.candidate === name) ?? null);
  const colour = (i: number): string => PALETTE[(i * 2) % PALETTE.length]!;
  const band = (
    title: string,
    yTitle: string,
    pick: (c: Comparison) => Estimate,
    scale = 1,
    offset = 0,
    extra: unknown[] = [],
  ) => ({
    type: 'line',
    data: {
      labels,
      datasets: [
        ...candidates.flatMap((name, i) => {
          const values = of(name).map((c) => (c ? pick(c) : null));
          const at = (f: (e: Estimate) => number) => values.map((e) => (e ? (f(e) - offset) * scale : null));
          const who = candidates.length > 1 ? `${name}: ` : '';
          return [
            {
              label: `${who}95% CI (upper)`,
              data: at((e) => e.ci95[1]),
              borderWidth: 0,
              pointRadius: 0,
              backgroundColor: `${colour(i)}2e`,
              fill: '+1',
            },
            {
              label: `${who}95% CI (lower)`,
              data: at((e) => e.ci95[0]),
              borderWidth: 0,
              pointRadius: 0,
              fill: false,
            },
            {
              label: `${who}median`,
              data: at((e) => e.median),
              borderColor: colour(i),
              backgroundColor: colour(i),
              pointRadius: 4,
            },
          ];
        }),
        ...extra,
      ],
    },
    options: options(title, yTitle),
  });
  const model = candidates.map((name, i) => ({
    label: `${candidates.length > 1 ? `${name}: ` : ''}model: predicted from the low-load calibration`,
    data: of(name).map((c) => (c?.modelRatio == null ? null : (c.modelRatio - 1) * 100)),
    borderColor: PALETTE[(i * 2 + 1) % PALETTE.length],
    backgroundColor: PALETTE[(i * 2 + 1) % PALETTE.length],
    borderDash: [6, 4],
    pointStyle: 'rectRot',
    pointRadius: 5,
  }));
  const names = [...new Set(s.points.flatMap((p) => Object.keys(p.costs ?? {})))] as StrategyName[];
  const cost = (name: StrategyName, i: number, key: 'poolMs' | 'cpuMs') => ({
    label: `${name}: ${key === 'poolMs' ? 'pool connection held' : 'server CPU'} (calibration)`,
    data: s.points.map((p) => p.costs?.[name]?.[key] ?? null),
    borderColor: PALETTE[i % PALETTE.length],
    backgroundColor: PALETTE[i % PALETTE.length],
    borderDash: key === 'cpuMs' ? [6, 4] : [],
    pointStyle: POINT_STYLES[i % POINT_STYLES.length],
    pointRadius: 4,
  });
  const specs = [
    {
      id: 'gain',
      title: 'Throughput gain (candidate/baseline − 1), measured and predicted',
      config: band('Throughput gain', '%', (c) => c.throughputRatio, 100, 1, model),
    },
    {
      id: 'p50',
      title: 'p50 latency difference (candidate − baseline)',
      config: band('p50 latency difference', 'ms', (c) => c.p50DeltaMs),
    },
    {
      id: 'p99',
      title: 'p99 latency difference (candidate − baseline)',
      config: band('p99 latency difference', 'ms', (c) => c.p99DeltaMs),
    },
  ];
  if (names.length > 0) {
    specs.push({
      id: 'costs',
      title: 'Cost per request at low load (the calibration): pool time and server CPU',
      config: {
        type: 'line',
        data: { labels, datasets: names.flatMap((n, i) => [cost(n, i, 'poolMs'), cost(n, i, 'cpuMs')]) },
        options: options('Cost per request', 'ms per request (log scale)', { type: 'logarithmic' }),
      },
    });
  }
  return specs;
}

/** A self-contained HTML page for a sweep (Chart.js inlined). */
export function renderSweepHtml(s: SweepRecord, chartJsSource: string, table: string): string {
  const specs = sweepChartSpecs(s);
  const figures = specs
    .map((c) =>
      [
        `<figure><div class="chart"><canvas id="chart-${c.id}" role="img" aria-label="${esc(c.title)}"></canvas>`,
        `</div><figcaption>${esc(c.title)}</figcaption></figure>`,
      ].join(''),
    )
    .join('\n');
  const why = s.records
    .map((r, i) => {
      const said = r.model ? modelExplanation(r.model) : 'not measured in this record';
      return `<li><strong>${esc(s.param)} = ${esc(s.points[i]?.value ?? '')}</strong>: ${esc(said)}</li>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>authbench sweep — ${esc(s.scenario)} — ${esc(s.param)}</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; color: #1b1b1b; margin: 0 auto; padding: 24px; max-width: 1100px; }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 16px; }
  figure { margin: 0; border: 1px solid #d0d0d0; border-radius: 6px; padding: 8px; }
  .chart { position: relative; height: 320px; }
  pre { background: #f6f6f6; padding: 8px; overflow-x: auto; font-size: 13px; }
  .why li { margin-bottom: 6px; }
  @media print { .charts { grid-template-columns: 1fr 1fr; } figure { break-inside: avoid; } }
</style></head><body>
<h1>authbench sweep: ${esc(s.scenario)}, varying ${esc(s.param)}</h1>
<p>${esc(s.createdAt)} · ${s.points.length} points, each a full interleaved comparison. In a closed-model run
latency follows Little's law (latency ≈ connections ÷ throughput): the latency gain grows with the number of
waiting clients even when the throughput gain does not.</p>
<section class="charts">
${figures}
</section>
<h2>Points</h2>
<pre>${esc(table)}</pre>
<h2>Why: the calibrated model at each point</h2>
<p>Before its rounds, each point calibrates every strategy at a few connections, where nothing queues: server
CPU, pool time, Postgres execution and the rest of the machine's CPU per request. A queueing network solved by
mean-value analysis predicts each strategy's throughput from those costs alone for the point's connections, pool
and link; the ratio of a candidate's prediction to the baseline's is the dashed line in the gain chart, and the
table gives each strategy's error (predicted ÷ measured − 1) beside its measured req/s. Where the line leaves the
measured band, the model names what it does not cover.</p>
<ul class="why">
${why}
</ul>
${inlineScript(chartJsSource)}
<script>
for (const spec of ${scriptJson(specs)}) new Chart(document.getElementById('chart-' + spec.id), spec.config);
</script>
</body></html>
`;
}
