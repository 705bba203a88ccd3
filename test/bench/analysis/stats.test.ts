import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bootstrap,
  isSignificantRatio,
  median,
  pairedRatios,
  quantile,
  seededRandom,
} from '../../../bench/analysis/stats.js';

test('median and quantiles, hand-computed', () => {
  assert.equal(median([3, 1, 2]), 2, 'odd count');
  assert.equal(median([4, 1, 3, 2]), 2.5, 'even count');
  assert.equal(median([7]), 7, 'one sample');
  assert.equal(quantile([1, 2, 3, 4], 0.25), 1.75, 'type-7 interpolation');
  assert.equal(quantile([1, 2, 3, 4], 0), 1, 'min');
  assert.equal(quantile([1, 2, 3, 4], 1), 4, 'max');
  assert.throws(() => median([]), /empty sample/);
  assert.throws(() => quantile([1], 1.5), /within \[0, 1\]/);
});

test('the bootstrap is deterministic for a seed and collapses without spread', () => {
  const xs = [1.1, 1.3, 1.2, 1.25, 1.15, 1.22];
  assert.deepEqual(
    bootstrap(xs, median, { seed: 3, iterations: 2000 }),
    bootstrap(xs, median, { seed: 3, iterations: 2000 }),
  );
  assert.deepEqual(bootstrap([5], median, { iterations: 100 }), { estimate: 5, ci95: [5, 5] }, 'one sample');
  assert.deepEqual(
    bootstrap([2, 2, 2], median, { iterations: 100 }),
    { estimate: 2, ci95: [2, 2] },
    'identical samples',
  );
  const ci = bootstrap(xs, median, { iterations: 5000 }).ci95;
  assert.ok(ci[0] >= 1.1 && ci[1] <= 1.3 && ci[0] < ci[1], `CI within the sample's range: ${ci.join('–')}`);
});

test('paired ratios and significance', () => {
  assert.deepEqual(pairedRatios([100, 200], [150, 100]), [1.5, 0.5]);
  assert.throws(() => pairedRatios([1], [1, 2]), /equal lengths/);
  assert.throws(() => pairedRatios([0], [1]), /baseline value must be > 0/);
  assert.equal(isSignificantRatio([0.9, 1.1]), false, 'a CI that contains 1');
  assert.equal(isSignificantRatio([1.01, 1.2]), true, 'a gain');
  assert.equal(isSignificantRatio([0.8, 0.95]), true, 'a loss');
  const noisy = bootstrap([0.9, 1.1, 1.0, 0.95, 1.05], median, { iterations: 4000 });
  assert.equal(noisy.estimate, 1);
  assert.equal(isSignificantRatio(noisy.ci95), false, 'ratios around 1 are no significant difference');
});

test('seededRandom is uniform enough for resampling', () => {
  const r = seededRandom(42);
  const n = 20_000;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = r();
    assert.ok(x >= 0 && x < 1);
    sum += x;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.01, `mean ${sum / n}`);
});

test('linear drift under alternating order: the median of paired ratios is unbiased over an even number of rounds, not an odd one', () => {
  // Two strategies, true ratio 1.10, the machine slowing 1% per slot, no noise. Odd rounds run
  // A then B (B one slot later), even rounds B then A: the per-round ratios alternate around 1.10.
  const slots = (rounds: number): { a: number[]; b: number[] } => {
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 1; r <= rounds; r++) {
      const first = 2 * (r - 1);
      const [slotA, slotB] = r % 2 === 1 ? [first, first + 1] : [first + 1, first];
      a.push(1000 / (1 + 0.01 * slotA));
      b.push(1100 / (1 + 0.01 * slotB));
    }
    return { a, b };
  };
  const gain = (rounds: number): number => {
    const { a, b } = slots(rounds);
    return median(pairedRatios(a, b));
  };
  for (const even of [8, 10, 20]) assert.ok(Math.abs(gain(even) / 1.1 - 1) < 0.001, `${even}: ${gain(even)}`);
  for (const odd of [9, 11]) assert.ok(Math.abs(gain(odd) / 1.1 - 1) > 0.005, `${odd} rounds: ${gain(odd)}`);
});
