/**
 * The open-model runs as the record holds them (pure): per fraction, each strategy's runs with
 * their medians, and each candidate's latency differences from the baseline paired by
 * repetition. A run with refusals or connection errors is left out: a fast 503 would pass for a
 * fast answer. Few pairs get an honest interval: distribution-free, with its exact confidence.
 */
import type { StrategyName } from '../../servers/strategies/index.js';
import type {
  LatencyMs,
  OpenModelComparison,
  OpenModelResult,
  OpenModelRun,
  PairedMedian,
  StrategyMap,
} from '../schema/results.js';
import { median } from './stats.js';

/** One open-model run as the engine measured it. */
export interface OpenModelMeasurement extends Omit<OpenModelRun, 'excluded'> {
  /** Which fraction, as the plan numbers them (fractions may repeat). */
  run: number;
  fraction: number;
  targetRps: number;
  strategy: StrategyName;
  /** Why the run has no complete data (another engine's report was partial); counts as excluded. */
  missing?: string;
}

const LATENCY_KEYS = ['p50', 'p90', 'p99', 'p999'] as const;

function medianLatency(runs: readonly OpenModelRun[]): LatencyMs {
  if (runs.length === 0) return { p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN };
  const m = Object.fromEntries(LATENCY_KEYS.map((k) => [k, median(runs.map((r) => r.latencyMs[k]))]));
  return { ...(m as Omit<LatencyMs, 'max'>), max: Math.max(...runs.map((r) => r.latencyMs.max)) };
}

function exclusion(m: Omit<OpenModelRun, 'excluded'>): string | null {
  if (m.non2xx + m.errors > 0) return `${m.non2xx} non-2xx, ${m.errors} connection errors`;
  if (m.sent === 0) return 'nothing sent';
  return null;
}

/** P(X ≤ j) for X ~ Binomial(n, ½). */
function binomialHalfCdf(n: number, j: number): number {
  let term = 0.5 ** n;
  let sum = 0;
  for (let i = 0; i <= j; i++) {
    sum += term;
    term = (term * (n - i)) / (i + 1);
  }
  return sum;
}

/**
 * The median of paired differences with the order-statistic interval [x(k), x(n−k+1)]: its
 * confidence is 1 − 2·P(Bin(n, ½) ≤ k − 1) whatever the distribution. k is the largest that
 * keeps ≥ 95 %; below 6 pairs none does, and the range is given with what it covers.
 */
export function pairedMedian(diffs: readonly number[]): PairedMedian {
  const xs = [...diffs].sort((a, b) => a - b);
  const n = xs.length;
  if (n === 0) throw new RangeError('no pairs');
  let k = 1;
  while (k + 1 <= Math.ceil(n / 2) && 1 - 2 * binomialHalfCdf(n, k) >= 0.95) k++;
  return {
    median: median(xs),
    interval: [xs[k - 1]!, xs[n - k]!],
    coverage: 1 - 2 * binomialHalfCdf(n, k - 1),
  };
}

export function openModelResults(
  measurements: readonly OpenModelMeasurement[],
  opts: { strategies: readonly StrategyName[]; repetitions: number; warmupSeconds: number },
): OpenModelResult[] {
  const [baseline, ...candidates] = opts.strategies;
  const fractions = [...new Set(measurements.map((m) => m.run))].sort((a, b) => a - b);
  return fractions.map((run) => {
    const here = measurements.filter((m) => m.run === run);
    const strategies: OpenModelResult['strategies'] = {};
    const counted: StrategyMap<OpenModelRun[]> = {};
    for (const name of opts.strategies) {
      const runs: OpenModelRun[] = here
        .filter((m) => m.strategy === name)
        .map(({ run: _r, fraction: _f, targetRps: _t, strategy: _s, missing, ...own }) => ({
          ...own,
          excluded: missing ?? exclusion(own),
        }))
        .sort((a, b) => a.repetition - b.repetition);
      if (runs.length === 0) continue;
      const good = runs.filter((r) => r.excluded === null);
      counted[name] = good;
      const sum = (k: 'non2xx' | 'errors' | 'unfinished'): number => runs.reduce((a, r) => a + r[k], 0);
      strategies[name] = {
        achievedRps: median(runs.map((r) => r.achievedRps)),
        latencyMs: medianLatency(good),
        non2xx: sum('non2xx'),
        errors: sum('errors'),
        unfinished: sum('unfinished'),
        generatorCpuPercent: median(runs.map((r) => r.generatorCpuPercent)),
        runs,
      };
    }
    const comparisons: OpenModelComparison[] = [];
    const base = baseline === undefined ? undefined : counted[baseline];
    for (const candidate of candidates) {
      const own = counted[candidate];
      if (!base || !own) continue;
      const byRep = new Map(base.map((r) => [r.repetition, r]));
      const pairs = own.flatMap((r) => {
        const b = byRep.get(r.repetition);
        return b ? [[b, r] as const] : [];
      });
      if (pairs.length === 0) continue;
      const delta = (k: 'p50' | 'p99'): PairedMedian =>
        pairedMedian(pairs.map(([a, c]) => c.latencyMs[k] - a.latencyMs[k]));
      comparisons.push({
        baseline: baseline!,
        candidate,
        pairs: pairs.length,
        p50DeltaMs: delta('p50'),
        p99DeltaMs: delta('p99'),
      });
    }
    return {
      fraction: here[0]!.fraction,
      targetRps: here[0]!.targetRps,
      repetitions: opts.repetitions,
      warmupSeconds: opts.warmupSeconds,
      strategies,
      comparisons,
    };
  });
}
