import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  openModelResults,
  pairedMedian,
  type OpenModelMeasurement,
} from '../../../bench/analysis/open-model.js';

const lat = (p50: number, p99: number): OpenModelMeasurement['latencyMs'] => ({
  p50,
  p90: (p50 + p99) / 2,
  p99,
  p999: p99 + 1,
  max: p99 + 2,
});

function m(
  strategy: 'db-lookup' | 'jwt-redis',
  repetition: number,
  p50: number,
  p99: number,
  extra: Partial<OpenModelMeasurement> = {},
): OpenModelMeasurement {
  return {
    run: 0,
    fraction: 0.5,
    targetRps: 400,
    strategy,
    repetition,
    achievedRps: 399 + repetition,
    sent: 1200,
    latencyMs: lat(p50, p99),
    non2xx: 0,
    errors: 0,
    unfinished: 0,
    generatorCpuPercent: 10 * repetition,
    ...extra,
  };
}

const opts = {
  strategies: ['db-lookup', 'jwt-redis'] as const,
  repetitions: 3,
  warmupSeconds: 1,
};

test('open model: medians over the runs, failures summed, differences paired by repetition', () => {
  const [r] = openModelResults(
    [
      m('jwt-redis', 2, 1.0, 4.0),
      m('db-lookup', 1, 2.0, 9.0),
      m('jwt-redis', 1, 1.5, 5.0, { unfinished: 2 }),
      m('db-lookup', 2, 3.0, 6.0),
      m('db-lookup', 3, 2.5, 8.0),
      m('jwt-redis', 3, 1.2, 30.0),
    ],
    { ...opts, strategies: [...opts.strategies] },
  );
  assert.ok(r);
  assert.equal(r.repetitions, 3);
  assert.equal(r.warmupSeconds, 1);
  const a = r.strategies['db-lookup']!;
  const b = r.strategies['jwt-redis']!;
  assert.deepEqual(
    b.runs.map((x) => x.repetition),
    [1, 2, 3],
    'runs in repetition order',
  );
  assert.equal(a.latencyMs.p50, 2.5);
  assert.equal(a.latencyMs.p99, 8.0);
  assert.equal(b.latencyMs.p99, 5.0, 'a median, not a mean: one bad run does not move it');
  assert.equal(b.latencyMs.max, 32, 'the max is the worst of all runs');
  assert.equal(a.achievedRps, 401);
  assert.equal(a.non2xx + a.errors + a.unfinished, 0);
  assert.equal(
    b.unfinished,
    2,
    'unanswered requests are failures, but the run counts: they are in its latency',
  );
  const [c] = r.comparisons;
  assert.ok(c);
  assert.equal(c.pairs, 3);
  // Paired differences: p50 −0.5, −2.0, −1.3 → median −1.3; p99 −4, −2, +22 → median −2.
  assert.ok(Math.abs(c.p50DeltaMs.median - -1.3) < 1e-9, String(c.p50DeltaMs.median));
  assert.equal(c.p99DeltaMs.median, -2);
  // Three pairs: the range, which holds the true median with probability 1 − 2·(½)³ = 75 %.
  assert.deepEqual(c.p50DeltaMs.interval, [-2.0, -0.5]);
  assert.deepEqual(c.p99DeltaMs.interval, [-4, 22]);
  assert.equal(c.p99DeltaMs.coverage, 0.75);
});

test('open model: a repetition missing on one side is not paired; fractions stay apart', () => {
  const results = openModelResults(
    [
      m('db-lookup', 1, 2, 9),
      m('jwt-redis', 1, 1, 4),
      m('db-lookup', 2, 2, 9),
      m('db-lookup', 3, 2, 9),
      m('jwt-redis', 3, 1, 5),
      { ...m('db-lookup', 1, 5, 50), run: 1, fraction: 0.8, targetRps: 640 },
      { ...m('jwt-redis', 1, 4, 40), run: 1, fraction: 0.8, targetRps: 640 },
    ],
    { ...opts, strategies: [...opts.strategies] },
  );
  assert.equal(results.length, 2);
  assert.equal(results[0]!.comparisons[0]!.pairs, 2);
  assert.deepEqual(
    [results[1]!.fraction, results[1]!.targetRps, results[1]!.comparisons[0]!.p99DeltaMs.median],
    [0.8, 640, -10],
  );
  assert.deepEqual(openModelResults([], { ...opts, strategies: [...opts.strategies] }), []);
});

test('open model: a run with refusals or connection errors is left out of the medians and the pairs', () => {
  const [r] = openModelResults(
    [
      m('db-lookup', 1, 2, 9),
      m('jwt-redis', 1, 1, 4),
      m('db-lookup', 2, 2, 9),
      // Every request refused fast: an empty histogram would read as 0 ms.
      m('jwt-redis', 2, 0, 0, { non2xx: 1200 }),
      m('db-lookup', 3, 3, 10, { errors: 2 }),
      m('jwt-redis', 3, 1, 5),
    ],
    { ...opts, strategies: [...opts.strategies] },
  );
  const b = r!.strategies['jwt-redis']!;
  assert.deepEqual(
    b.runs.map((x) => x.excluded),
    [null, '1200 non-2xx, 0 connection errors', null],
  );
  assert.equal(b.latencyMs.p50, 1, 'the median of the runs that count');
  assert.equal(b.non2xx, 1200, 'the failures are still summed');
  assert.equal(r!.comparisons[0]!.pairs, 1, 'only repetition 1 has two runs that count');
  const none = openModelResults([m('db-lookup', 1, 2, 9, { errors: 5 }), m('jwt-redis', 1, 1, 4)], {
    ...opts,
    strategies: [...opts.strategies],
  });
  assert.ok(
    Number.isNaN(none[0]!.strategies['db-lookup']!.latencyMs.p50),
    'no run counts: no latency, not 0',
  );
  assert.equal(none[0]!.comparisons.length, 0);
});

test('paired medians: the order-statistic interval and its exact confidence', () => {
  assert.deepEqual(pairedMedian([3, 1, 2]), { median: 2, interval: [1, 3], coverage: 0.75 });
  assert.equal(pairedMedian([1, 2, 3, 4]).coverage, 0.875);
  // Six pairs: still the range (k = 2 would cover 1 − 2·7/64 = 78 %), now 96.9 %.
  assert.equal(pairedMedian([1, 2, 3, 4, 5, 6]).coverage, 1 - 2 / 64);
  // Nine pairs: the 2nd smallest to the 2nd largest covers 1 − 2·10/512 = 96.1 %.
  const nine = pairedMedian([9, 1, 8, 2, 7, 3, 6, 4, 5]);
  assert.deepEqual(nine.interval, [2, 8]);
  assert.ok(Math.abs(nine.coverage - (1 - 20 / 512)) < 1e-12);
  // Twenty pairs: k = 6 (coverage 95.9 %); k = 7 would fall to 88.5 %.
  const twenty = pairedMedian(Array.from({ length: 20 }, (_, i) => i + 1));
  assert.deepEqual(twenty.interval, [6, 15]);
  assert.ok(twenty.coverage >= 0.95 && twenty.coverage < 0.96, String(twenty.coverage));
});
