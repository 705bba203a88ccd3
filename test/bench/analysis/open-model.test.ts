import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openModelResults, type OpenModelMeasurement } from '../../../bench/analysis/open-model.js';

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
  iterations: 2000,
  seed: 7,
};

test('open model: medians over the runs, failures summed, differences paired by repetition', () => {
  const [r] = openModelResults(
    [
      m('jwt-redis', 2, 1.0, 4.0),
      m('db-lookup', 1, 2.0, 9.0),
      m('jwt-redis', 1, 1.5, 5.0, { unfinished: 2 }),
      m('db-lookup', 2, 3.0, 6.0, { non2xx: 1 }),
      m('db-lookup', 3, 2.5, 8.0),
      m('jwt-redis', 3, 1.2, 30.0, { errors: 3 }),
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
  assert.equal(a.non2xx + a.errors + a.unfinished, 1);
  assert.equal(b.unfinished + b.errors, 5);
  const [c] = r.comparisons;
  assert.ok(c);
  assert.equal(c.pairs, 3);
  // Paired differences: p50 −0.5, −2.0, −1.3 → median −1.3; p99 −4, −2, +22 → median −2.
  assert.ok(Math.abs(c.p50DeltaMs.median - -1.3) < 1e-9, String(c.p50DeltaMs.median));
  assert.equal(c.p99DeltaMs.median, -2);
  assert.ok(c.p50DeltaMs.ci95[0] >= -2.0 && c.p50DeltaMs.ci95[1] <= -0.5, 'within the pairs’ range');
  assert.ok(
    c.p99DeltaMs.ci95[1] === 22 && c.p99DeltaMs.ci95[0] === -4,
    'three pairs: the interval spans them',
  );
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
