import type { ResultsRecord } from '../schema/results.js';

/** Okabe–Ito colours: distinguishable with the common colour-vision deficiencies. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#F0E442', '#000000'] as const;
/** A shape per strategy too, so the charts read in greyscale. */
export const POINT_STYLES = [
  'circle',
  'rectRot',
  'triangle',
  'rect',
  'star',
  'crossRot',
  'rectRounded',
] as const;
const INVALID = '#D55E00';

export interface ChartSpec {
  /** File-name and element-id friendly. */
  id: 'throughput' | 'rounds' | 'latency' | 'costs';
  title: string;
  /** A Chart.js configuration: plain data, JSON-serialisable. */
  config: Record<string, unknown>;
}

const base = (
  title: string,
  yTitle: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> => ({
  animation: false,
  responsive: true,
  maintainAspectRatio: false,
  plugins: { title: { display: true, text: title, font: { size: 15 } }, legend: { position: 'bottom' } },
  scales: { y: { title: { display: true, text: yTitle }, beginAtZero: true } },
  ...extra,
});

/** The report's charts, from the results record alone (pure). */
export function chartSpecs(record: ResultsRecord): ChartSpec[] {
  const names = Object.keys(record.strategies);
  const strategies = Object.values(record.strategies);
  const colour = (i: number): string => PALETTE[i % PALETTE.length]!;

  const throughput: ChartSpec = {
    id: 'throughput',
    title: 'Throughput: median requests/s with 95% CI',
    config: {
      type: 'bar',
      data: {
        labels: names,
        datasets: [
          {
            label: 'median requests/s (error bars: 95% bootstrap CI)',
            data: strategies.map((s) => round1(s.throughput.median)),
            errorBars: strategies.map((s) => s.throughput.ci95.map(round1)),
            backgroundColor: names.map((_, i) => colour(i)),
          },
        ],
      },
      options: base('Throughput: median requests/s with 95% CI', 'requests/s', {
        plugins: {
          legend: { display: false },
          title: { display: true, text: 'Throughput: median requests/s with 95% CI', font: { size: 15 } },
        },
      }),
    },
  };

  // Run order among measured rounds (warm-ups, which come first, are not shown).
  const firstIndex = Math.min(...strategies.flatMap((s) => s.rounds.map((r) => r.index)));
  const rounds: ChartSpec = {
    id: 'rounds',
    title: 'Requests/s of every round, in run order',
    config: {
      type: 'line',
      data: {
        datasets: names.map((n, i) => {
          const rs = strategies[i]!.rounds;
          return {
            label: `${n} (✕ = invalid round)`,
            data: rs.map((r) => ({ x: r.index - firstIndex + 1, y: round1(r.requestsPerSecond) })),
            borderColor: colour(i),
            backgroundColor: colour(i),
            showLine: false,
            pointRadius: rs.map((r) => (r.status === 'valid' ? 4 : 8)),
            pointStyle: rs.map((r) =>
              r.status === 'valid' ? POINT_STYLES[i % POINT_STYLES.length] : 'crossRot',
            ),
            pointBorderColor: rs.map((r) => (r.status === 'valid' ? colour(i) : INVALID)),
            pointBorderWidth: rs.map((r) => (r.status === 'valid' ? 1 : 3)),
          };
        }),
      },
      options: base('Requests/s of every round, in run order', 'requests/s', {
        scales: {
          x: {
            type: 'linear',
            title: { display: true, text: 'measured round, in run order' },
            ticks: { precision: 0 },
          },
          y: { title: { display: true, text: 'requests/s' }, beginAtZero: false },
        },
      }),
    },
  };

  const percentiles = [
    ['p50', 'p50'],
    ['p90', 'p90'],
    ['p99', 'p99'],
    ['p99.9', 'p999'],
    ['max', 'max'],
  ] as const;
  const latency: ChartSpec = {
    id: 'latency',
    title: 'Latency percentiles (median over valid rounds)',
    config: {
      type: 'line',
      data: {
        labels: percentiles.map(([label]) => label),
        datasets: names.map((n, i) => ({
          label: n,
          data: percentiles.map(([, key]) => round3(strategies[i]!.latencyMs[key])),
          borderColor: colour(i),
          backgroundColor: colour(i),
          pointStyle: POINT_STYLES[i % POINT_STYLES.length],
          pointRadius: 5,
        })),
      },
      options: base('Latency percentiles (median over valid rounds)', 'milliseconds (log scale)', {
        scales: {
          x: {
            title: {
              display: true,
              text: 'percentile: 1 in 2, 10, 100, 1 000 requests is slower; max over all rounds',
            },
          },
          y: { type: 'logarithmic', title: { display: true, text: 'milliseconds (log scale)' } },
        },
      }),
    },
  };

  const costs: ChartSpec = {
    id: 'costs',
    title: 'Measured work per request',
    config: {
      type: 'bar',
      data: {
        labels: ['database queries / request', 'Redis commands / request'],
        datasets: names.map((n, i) => ({
          label: n,
          data: [strategies[i]!.queriesPerRequest, strategies[i]!.redisCommandsPerRequest],
          backgroundColor: colour(i),
        })),
      },
      options: base('Measured work per request', 'per request'),
    },
  };
  return [throughput, rounds, latency, costs];
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
