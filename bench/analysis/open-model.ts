/**
 * The open-model runs as the record holds them (pure): per fraction, each strategy's runs with
 * their medians, and each candidate's latency differences from the baseline paired by
 * repetition — the same pairing and estimator as the closed rounds' comparisons.
 */
import type { StrategyName } from '../../servers/strategies/index.js';
import type {
  Estimate,
  LatencyMs,
  OpenModelComparison,
  OpenModelResult,
  OpenModelRun,
  StrategyMap,
} from '../schema/results.js';
import { bootstrap, median } from './stats.js';

/** One open-model run as the engine measured it. */
export interface OpenModelMeasurement extends OpenModelRun {
  /** Which fraction, as the plan numbers them (fractions may repeat). */
  run: number;
  fraction: number;
  targetRps: number;
  strategy: StrategyName;
}

const LATENCY_KEYS = ['p50', 'p90', 'p99', 'p999'] as const;

function medianLatency(runs: readonly OpenModelRun[]): LatencyMs {
  const m = Object.fromEntries(LATENCY_KEYS.map((k) => [k, median(runs.map((r) => r.latencyMs[k]))]));
  return { ...(m as Omit<LatencyMs, 'max'>), max: Math.max(...runs.map((r) => r.latencyMs.max)) };
}

export function openModelResults(
  measurements: readonly OpenModelMeasurement[],
  opts: {
    strategies: readonly StrategyName[];
    repetitions: number;
    warmupSeconds: number;
    iterations: number;
    seed: number;
  },
): OpenModelResult[] {
  const [baseline, ...candidates] = opts.strategies;
  const fractions = [...new Set(measurements.map((m) => m.run))].sort((a, b) => a - b);
  return fractions.map((run) => {
    const here = measurements.filter((m) => m.run === run);
    const strategies: OpenModelResult['strategies'] = {};
    const runsOf: StrategyMap<OpenModelRun[]> = {};
    for (const name of opts.strategies) {
      const runs = here
        .filter((m) => m.strategy === name)
        .map(({ run: _r, fraction: _f, targetRps: _t, strategy: _s, ...own }) => own)
        .sort((a, b) => a.repetition - b.repetition);
      if (runs.length === 0) continue;
      runsOf[name] = runs;
      const sum = (k: 'non2xx' | 'errors' | 'unfinished'): number => runs.reduce((a, r) => a + r[k], 0);
      strategies[name] = {
        achievedRps: median(runs.map((r) => r.achievedRps)),
        latencyMs: medianLatency(runs),
        non2xx: sum('non2xx'),
        errors: sum('errors'),
        unfinished: sum('unfinished'),
        generatorCpuPercent: median(runs.map((r) => r.generatorCpuPercent)),
        runs,
      };
    }
    const comparisons: OpenModelComparison[] = [];
    const base = baseline === undefined ? undefined : runsOf[baseline];
    for (const candidate of candidates) {
      const own = runsOf[candidate];
      if (!base || !own) continue;
      const byRep = new Map(base.map((r) => [r.repetition, r]));
      const pairs = own.flatMap((r) => {
        const b = byRep.get(r.repetition);
        return b ? [[b, r] as const] : [];
      });
      if (pairs.length === 0) continue;
      const estimate = (k: 'p50' | 'p99'): Estimate => {
        const b = bootstrap(
          pairs.map(([a, c]) => c.latencyMs[k] - a.latencyMs[k]),
          median,
          { iterations: opts.iterations, seed: opts.seed },
        );
        return { median: b.estimate, ci95: b.ci95 };
      };
      comparisons.push({
        baseline: baseline!,
        candidate,
        pairs: pairs.length,
        p50DeltaMs: estimate('p50'),
        p99DeltaMs: estimate('p99'),
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
