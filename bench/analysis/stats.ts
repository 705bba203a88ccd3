/**
 * Pure statistics: arrays in, numbers out, no clock and no I/O. Randomness (the bootstrap) comes
 * from a seeded generator, so the same samples always give the same interval.
 */

/** Median of a non-empty sample (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Linear-interpolation quantile (type 7, as R's default and numpy's 'linear'). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError('quantile of an empty sample');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile q must be within [0, 1] (got ${q})`);
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (pos - lo);
}

/** mulberry32: small, fast, good enough for resampling indices. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x100000000;
  };
}

export interface Interval {
  /** The statistic on the sample itself. */
  estimate: number;
  /** 95 % percentile-bootstrap interval [low, high]. */
  ci95: [number, number];
}

/**
 * Percentile bootstrap: resample with replacement, compute the statistic, take the 2.5th and
 * 97.5th percentiles. With one sample (or identical samples) the interval collapses to the
 * estimate — honest: the data show no spread to speak of.
 */
export function bootstrap(
  values: readonly number[],
  statistic: (sample: readonly number[]) => number = median,
  opts: { iterations?: number; seed?: number } = {},
): Interval {
  if (values.length === 0) throw new RangeError('bootstrap of an empty sample');
  const iterations = opts.iterations ?? 10_000;
  const random = seededRandom(opts.seed ?? 1);
  const estimate = statistic(values);
  const stats = new Float64Array(iterations);
  const resample = new Array<number>(values.length);
  for (let i = 0; i < iterations; i++) {
    for (let j = 0; j < values.length; j++) resample[j] = values[Math.floor(random() * values.length)]!;
    stats[i] = statistic(resample);
  }
  const all = Array.from(stats);
  return { estimate, ci95: [quantile(all, 0.025), quantile(all, 0.975)] };
}

/**
 * Ratios of paired rounds (candidate_i / baseline_i), the unit of comparison: the two ran back to
 * back, so slow changes in the machine hit both nearly alike. Linear drift within a round does
 * not: whoever runs second is shifted. The order alternates by round, so the shifts alternate in
 * sign, and the median of the ratios is unbiased over an even number of rounds; over an odd
 * number it leans toward the majority's shift (test/bench/analysis/stats.test.ts: −0.85 % after
 * 9 rounds at 1 % drift per slot, < 0.1 % after 8, 10 or 20).
 */
export function pairedRatios(baseline: readonly number[], candidate: readonly number[]): number[] {
  if (baseline.length !== candidate.length) {
    throw new RangeError(
      `paired samples must have equal lengths (${baseline.length} vs ${candidate.length})`,
    );
  }
  return baseline.map((b, i) => {
    if (!(b > 0)) throw new RangeError(`baseline value must be > 0 (round ${i + 1}: ${b})`);
    return candidate[i]! / b;
  });
}

/** Whether an interval for a ratio excludes 1 (no change). */
export function isSignificantRatio(ci95: readonly [number, number]): boolean {
  return ci95[0] > 1 || ci95[1] < 1;
}

/**
 * The difference of medians of two independent samples (new − old: rounds of two runs), with
 * the same percentile-bootstrap interval as `bootstrap`: both samples resampled per iteration.
 */
export function bootstrapMedianDifference(
  older: readonly number[],
  newer: readonly number[],
  opts: { iterations?: number; seed?: number } = {},
): Interval {
  if (older.length === 0 || newer.length === 0) throw new RangeError('bootstrap of an empty sample');
  const iterations = opts.iterations ?? 10_000;
  const random = seededRandom(opts.seed ?? 1);
  const pick = (xs: readonly number[]): number[] => xs.map(() => xs[Math.floor(random() * xs.length)]!);
  const diffs = Array.from({ length: iterations }, () => median(pick(newer)) - median(pick(older)));
  return { estimate: median(newer) - median(older), ci95: [quantile(diffs, 0.025), quantile(diffs, 0.975)] };
}
