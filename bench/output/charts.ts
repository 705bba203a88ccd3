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
  id: 'frontier' | 'throughput' | 'rounds' | 'latency' | 'costs';
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

/**
 * The report's charts, from the results record alone (pure). A run's report draws one frontier
 * for all its regimes, so it asks for the scenario's charts without one.
 */
export function chartSpecs(record: ResultsRecord, opts: { frontier?: boolean } = {}): ChartSpec[] {
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
  const frontier = opts.frontier === false ? null : frontierChart([record]);
  return [...(frontier ? [frontier] : []), throughput, rounds, latency, costs];
}

/** Staleness at or below this draws on the floor of the log axis, labelled "0 (none)". */
export const FRONTIER_FLOOR_MS = 1;

/**
 * The trade-off in one picture: x = throughput as a fraction of the no-auth ceiling, y = the
 * longest stale claims were honoured after a revocation (log scale; never at the floor), one
 * point per strategy and regime (a colour per strategy, a shape per regime); filled points
 * accepted nothing stale beyond their declared δ. Only for records with no-auth and a freshness
 * phase (null when none has both).
 */
export function frontierChart(records: readonly ResultsRecord[]): ChartSpec | null {
  const strategyNames = [...new Set(records.flatMap((r) => Object.keys(r.strategies)))];
  const several = records.length > 1;
  const datasets = records.flatMap((record, regime) =>
    Object.entries(record.strategies)
      .filter(([, s]) => s.ceilingRatio !== null && s.freshness !== null)
      .map(([name, s]) => {
        const f = s.freshness!;
        const safe = f.staleAccepted === 0;
        const colour = PALETTE[strategyNames.indexOf(name) % PALETTE.length]!;
        const stale =
          f.maxStalenessMs === null || f.maxStalenessMs <= FRONTIER_FLOOR_MS
            ? FRONTIER_FLOOR_MS
            : f.maxStalenessMs;
        const who = several ? `${name} · ${record.scenario}` : name;
        return {
          label: `${who}${safe ? ' (0 stale acceptances)' : ` (${f.staleAccepted} stale acceptances)`}`,
          data: [{ x: round3(s.ceilingRatio!.median), y: round1(stale) }],
          backgroundColor: safe ? colour : 'rgba(0,0,0,0)',
          borderColor: colour,
          borderWidth: 2,
          pointStyle: several
            ? POINT_STYLES[regime % POINT_STYLES.length]
            : POINT_STYLES[strategyNames.indexOf(name) % POINT_STYLES.length],
          pointRadius: 9,
        };
      }),
  );
  if (datasets.length === 0) return null;
  const title = `Speed and staleness (${records.map((r) => r.scenario).join(', ')}): × the no-auth ceiling against the worst staleness`;
  return {
    id: 'frontier',
    title,
    config: {
      type: 'scatter',
      data: { datasets },
      options: base(title, 'worst staleness, ms (log; floor: none)', {
        scales: {
          x: {
            type: 'linear',
            min: 0,
            max: 1.05,
            title: { display: true, text: 'throughput × the no-auth ceiling' },
          },
          y: {
            type: 'logarithmic',
            min: FRONTIER_FLOOR_MS,
            title: {
              display: true,
              text: 'worst staleness after a revocation, ms (log; floor = none accepted)',
            },
          },
        },
      }),
    },
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
