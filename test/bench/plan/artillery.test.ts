import { test } from 'node:test';
import assert from 'node:assert/strict';
import { artilleryScript, artillerySlices, vusPerWorker } from '../../../bench/plan/artillery.js';
import { DEFAULTS } from '../../../bench/plan/config.js';
import { buildScenarioPlan, scenarioPhases } from '../../../bench/plan/plan.js';
import { UsageError } from '../../../bench/plan/usage.js';

const config = {
  ...DEFAULTS,
  rounds: 2,
  roundSeconds: 3,
  warmupSeconds: 2,
  calibrationSeconds: 0,
  openFractions: [0.5],
  openRepetitions: 3,
  openSeconds: 4,
  openWarmupSeconds: 2,
};
const urls = (s: string): string[] => [`http://${s}.test`];

test("slices back to back in the plan's order, each a guard band then its seconds", () => {
  const slices = artillerySlices(scenarioPhases(config), urls, 1, null);
  assert.deepEqual(
    slices.map((s) => s.id),
    [
      'warmup.db-lookup',
      'warmup.jwt-redis',
      'round-1.db-lookup',
      'round-1.jwt-redis',
      'round-2.jwt-redis',
      'round-2.db-lookup',
    ],
    'no open-model runs without their rates',
  );
  let at = 0;
  for (const s of slices) {
    assert.equal(s.startMs, at, 'no gap, no overlap');
    assert.equal(s.measureFromMs - s.startMs, 1000);
    assert.equal(s.endMs - s.measureFromMs, (s.kind === 'warmup' ? 2 : 3) * 1000);
    assert.deepEqual(s.urls, urls(s.strategy));
    at = s.endMs;
  }
});

test('open-model runs with their rates: the warm-up at the rate is the lead-in when longer than the guard', () => {
  const slices = artillerySlices(scenarioPhases(config), urls, 1, new Map([[0, 300]]));
  const open = slices.filter((s) => s.kind === 'open');
  assert.equal(open.length, 6, '3 repetitions × 2 strategies');
  assert.deepEqual(
    open.map((s) => s.id),
    [
      'open-0-rep-1.db-lookup',
      'open-0-rep-1.jwt-redis',
      'open-0-rep-2.jwt-redis',
      'open-0-rep-2.db-lookup',
      'open-0-rep-3.db-lookup',
      'open-0-rep-3.jwt-redis',
    ],
  );
  for (const s of open) {
    assert.deepEqual(s.open, { run: 0, fraction: 0.5, targetRps: 300 });
    assert.equal(s.measureFromMs - s.startMs, 2000);
    assert.equal(s.endMs - s.measureFromMs, 4000);
  }
});

test('a calibration cannot be handed over; connections must split evenly over workers', () => {
  assert.throws(
    () => artillerySlices(scenarioPhases({ ...config, calibrationSeconds: 2 }), urls, 1, null),
    /calibration cannot run on Artillery/,
  );
  assert.equal(vusPerWorker(200, 4), 50);
  assert.throws(
    () => vusPerWorker(200, 3),
    (e: unknown) =>
      e instanceof UsageError && /--workers must be a divisor of --connections \(200\)/.test(e.message),
  );
});

test('the script: one phase starting a user per connection, the processor, the files workers need', () => {
  const s = artilleryScript({
    vusPerWorker: 50,
    slices: artillerySlices(scenarioPhases(config), urls, 1, null),
  }) as {
    config: {
      phases: Array<{ arrivalCount: number; duration: number }>;
      processor: string;
      includeFiles: string[];
    };
    scenarios: Array<{ flow: unknown[] }>;
  };
  assert.deepEqual(
    s.config.phases.map((p) => [p.duration, p.arrivalCount]),
    [[1, 50]],
  );
  assert.equal(s.config.processor, './processor.cjs');
  assert.deepEqual(s.config.includeFiles, ['./plan.json', './tokens.txt']);
  assert.deepEqual(s.scenarios[0]!.flow, [{ function: 'runPlan' }]);
});

test('the estimate on Artillery: a lead time per Artillery run and a guard band per slice', () => {
  const options = { leadSeconds: 20, guardSeconds: 1, workers: 1 };
  const plain = buildScenarioPlan(config).estimatedSeconds;
  // 2 warm-ups + 4 rounds + 6 open runs = 12 slices; two runs (closed, then open).
  assert.equal(buildScenarioPlan(config, null, options).estimatedSeconds - plain, 2 * 20 + 12 * 1);
  const closedOnly = { ...config, openFractions: [] };
  assert.equal(
    buildScenarioPlan(closedOnly, null, options).estimatedSeconds -
      buildScenarioPlan(closedOnly).estimatedSeconds,
    20 + 6 * 1,
  );
});
