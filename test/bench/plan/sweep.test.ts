import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS } from '../../../bench/plan/config.js';
import { summarizeSweep } from '../../../bench/analysis/sweep.js';
import { verdicts } from '../../../bench/output/prose.js';
import { renderSweep } from '../../../bench/output/sweep-text.js';
import { plannedLoadSeconds, sweepConfigs, sweepEtaSeconds } from '../../../bench/plan/sweep.js';
import {
  RESULTS_V1,
  SWEEP_V1,
  rawJson,
  resultsFixture as fixture,
  sweepFixture,
} from '../fixture-records.js';

test('sweep points: one validated config per value', () => {
  const points = sweepConfigs(DEFAULTS, 'connections', '10, 50,200');
  assert.deepEqual(
    points.map((p) => [p.value, p.config.connections]),
    [
      ['10', 10],
      ['50', 50],
      ['200', 200],
    ],
  );
  assert.ok(
    points.every((p) => p.config.rounds === DEFAULTS.rounds),
    'everything else from the base',
  );
  assert.deepEqual(
    sweepConfigs(DEFAULTS, 'jwt-verify', 'keyobject,string').map((p) => p.config.jwtVerify),
    ['keyobject', 'string'],
  );
  assert.deepEqual(
    sweepConfigs(DEFAULTS, 'db-delay-ms', '0,1,2').map((p) => p.config.dbDelayMs),
    [0, 1, 2],
  );
});

test('bad sweep input names the flag and the rule', () => {
  assert.throws(() => sweepConfigs(DEFAULTS, 'colour', '1,2'), {
    message:
      /^--param must be one of connections, db-delay-ms, pool-size, users, jwt-verify \(got "colour"\)$/,
  });
  assert.throws(() => sweepConfigs(DEFAULTS, 'connections', '10'), {
    message: /^--values must be at least two distinct comma-separated values/,
  });
  assert.throws(() => sweepConfigs(DEFAULTS, 'connections', '10,0'), {
    message: /^--connections must be an integer from 1 to 10000 \(got "0"\)$/,
  });
});

test("the summary finds where the latency difference reaches the write-up's 80 ms", () => {
  const small = fixture();
  const large = fixture();
  large.comparisons[0]!.p50DeltaMs = { median: -95, ci95: [-110, -85] };
  const s = summarizeSweep('seed-regime', 'connections', 'now', [
    { value: '50', record: small },
    { value: '400', record: large },
  ]);
  assert.equal(s.points.length, 2);
  assert.equal(
    s.points[0]!.comparisons[0]!.throughputRatio.median,
    small.comparisons[0]!.throughputRatio.median,
  );
  assert.equal(s.latencyClaimReachedAt['jwt-redis'], '400');
  assert.match(
    renderSweep(s),
    /reaches the write-up's 80 ms \(95% CI entirely beyond it\) at 400 connections, measured\./,
  );
  const none = summarizeSweep('local', 'connections', 'now', [
    { value: '8', record: small },
    { value: '16', record: fixture() },
  ]);
  assert.equal(none.latencyClaimReachedAt['jwt-redis'], null);
  assert.match(renderSweep(none), /does not reach the write-up's 80 ms anywhere in the measured range/);
});

test('the ETA: planned load, the fixed overhead finished points took, and re-seeding at the rate seeding ran', () => {
  const base = {
    ...DEFAULTS,
    warmupSeconds: 5,
    rounds: 10,
    roundSeconds: 3,
    openFractions: [0.5, 0.8],
    openSeconds: 4,
    openRepetitions: 3,
    openWarmupSeconds: 1,
    calibrationSeconds: 0,
  };
  // Per strategy: warm-up, rounds, 2 fractions × 3 repetitions × (1 s warm-up + 4 s).
  assert.equal(plannedLoadSeconds(base), 2 * (5 + 30 + 30));
  assert.equal(
    plannedLoadSeconds({ ...base, calibrationSeconds: 3, calibrationConnections: [1, 4] }),
    2 * (5 + 2 * 3 + 30 + 30),
    'two calibration levels, at most',
  );
  const at = (users: number): typeof base => ({ ...base, users });
  // Before any point: the plan alone.
  assert.equal(sweepEtaSeconds([], [at(2000), at(100_000)]), 2 * 130);
  // The first point: 10 s fixed overhead beyond its plan, plus 0.1 s seeding 2 000 users (20 000 users/s).
  const first = { config: at(2000), seconds: 130 + 10 + 0.1, seededUsers: 2000, seedSeconds: 0.1 };
  // 100 000 users re-seed (5 s at that rate); 1 000 000 more (50 s); the overhead per point stays 10 s.
  const eta = sweepEtaSeconds([first], [at(100_000), at(1_000_000)]);
  assert.ok(Math.abs(eta - (2 * (130 + 10) + 5 + 50)) < 1e-9, `${eta}`);
  // A connections sweep keeps the dataset: no re-seeding after the first point.
  const conns = [
    { ...at(2000), connections: 50 },
    { ...at(2000), connections: 100 },
  ];
  assert.ok(
    Math.abs(sweepEtaSeconds([first], conns) - 2 * (130 + 10)) < 1e-9,
    'same users and seed as the point before: nothing to seed',
  );
});

test("records from before the calibrated model carry no model: the sweep's columns say so", () => {
  const real = sweepFixture();
  for (const p of real.points) {
    assert.equal(p.comparisons[0]!.modelRatio, null);
    assert.equal(p.costs, null);
    assert.equal(p.strategies['db-lookup']!.predictedRequestsPerSecond, null);
  }
  const table = renderSweep(real);
  assert.match(
    table,
    /^connections +db-lookup req\/s \(model\) +jwt-redis req\/s \(model\) +gain \(95% CI\) +model +bound by +p50 ms/,
  );
});

test('version-1 files upgrade: the same numbers under the new names', () => {
  const v1 = rawJson(RESULTS_V1) as {
    comparison: { throughputRatio: { median: number } };
    strategies: Record<string, { rounds: unknown[] }>;
  };
  const r = fixture();
  assert.equal(r.schemaVersion, 2);
  assert.equal(r.comparisons.length, 1);
  assert.equal(r.comparisons[0]!.throughputRatio.median, v1.comparison.throughputRatio.median);
  assert.equal(r.strategies['db-lookup']!.rounds.length, v1.strategies['db-lookup']!.rounds.length);
  assert.ok(
    r.strategies['db-lookup']!.rounds.every((x) => x.poolBusyConnections === null),
    'not measured then: null, not missing',
  );
  assert.equal(r.linkRoundTripMs, null);
  assert.equal(r.model, null, 'the old, circular bounds analysis is not carried forward');
  const sweep = rawJson(SWEEP_V1) as {
    points: unknown[];
    records: Array<{ comparison: { verdict: string } }>;
  };
  const upgraded = sweepFixture();
  assert.equal(upgraded.points.length, sweep.points.length);
  for (const [i, stored] of sweep.records.entries()) {
    const record = upgraded.records[i]!;
    assert.equal(record.model, null);
    assert.deepEqual(
      verdicts(record),
      [stored.comparison.verdict],
      `point ${i}: the sentences come back from the numbers`,
    );
  }
});
