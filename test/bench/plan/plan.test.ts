import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS } from '../../../bench/plan/config.js';
import { parseFreshnessArgs } from '../../../bench/plan/freshness.js';
import {
  ESTIMATE_SECONDS,
  isTimed,
  phaseSeconds,
  roundOrder,
  buildRunPlan,
  buildScenarioPlan,
  tokenUserIds,
} from '../../../bench/plan/plan.js';
import { renderPlan } from '../../../bench/output/plan-text.js';
import type { Phase } from '../../../bench/schema/plan.js';
import type { BenchConfig } from '../../../bench/schema/results.js';

const small: BenchConfig = {
  ...DEFAULTS,
  rounds: 3,
  roundSeconds: 2,
  warmupSeconds: 1,
  openFractions: [0.5, 0.8],
  openSeconds: 4,
  openRepetitions: 3,
  openWarmupSeconds: 1,
  calibrationSeconds: 0,
};

test('a scenario plan: set-up phases, then warm-ups, rounds in alternating order, open-model runs', () => {
  const { phases } = buildScenarioPlan(small);
  assert.deepEqual(
    phases.slice(0, 5).map((p) => p.kind),
    ['seed', 'mint', 'link', 'start-servers', 'verify'],
  );
  const timed = phases
    .filter(isTimed)
    .map(
      (p) =>
        `${p.kind}${p.kind === 'round' ? p.round : p.kind === 'open' ? `${p.run}.${p.repetition}` : ''}:${p.strategy}`,
    );
  assert.deepEqual(timed, [
    'warmup:db-lookup',
    'warmup:jwt-redis',
    'round1:db-lookup',
    'round1:jwt-redis',
    'round2:jwt-redis',
    'round2:db-lookup',
    'round3:db-lookup',
    'round3:jwt-redis',
    // Repetitions outermost, the order alternating like the rounds'; every fraction in each.
    'open0.1:db-lookup',
    'open0.1:jwt-redis',
    'open1.1:db-lookup',
    'open1.1:jwt-redis',
    'open0.2:jwt-redis',
    'open0.2:db-lookup',
    'open1.2:jwt-redis',
    'open1.2:db-lookup',
    'open0.3:db-lookup',
    'open0.3:jwt-redis',
    'open1.3:db-lookup',
    'open1.3:jwt-redis',
  ]);
  const open = phases.filter((p): p is Extract<Phase, { kind: 'open' }> => p.kind === 'open');
  assert.ok(open.every((p) => p.seconds === 4 && p.warmupSeconds === 1 && p.fraction === [0.5, 0.8][p.run]));
  const verify = phases[4] as Extract<Phase, { kind: 'verify' }>;
  assert.deepEqual(verify.routes, ['/api/dashboard', '/api/articles']);
});

test('N strategies: forward in odd rounds, reversed in even ones, so every pair sees both orders', () => {
  const three = ['db-lookup', 'jwt-redis', 'jwt-only'] as const;
  assert.deepEqual(roundOrder(three, 1), ['db-lookup', 'jwt-redis', 'jwt-only']);
  assert.deepEqual(roundOrder(three, 2), ['jwt-only', 'jwt-redis', 'db-lookup']);
  const { phases } = buildScenarioPlan({
    ...small,
    strategies: [...three],
    warmupSeconds: 0,
    openFractions: [],
  });
  assert.equal(phases.filter(isTimed).length, 9);
  assert.ok(
    phases.every((p) => p.kind !== 'warmup'),
    'no warm-up at 0 s',
  );
});

test('the estimate: exact load plus the fixed costs, per phase', () => {
  const plan = buildScenarioPlan(small);
  // Warm-ups, rounds, and 2 fractions × 3 repetitions × 2 strategies of open model (1 s warm-up + 4 s).
  const load = 2 * 1 + 3 * 2 * 2 + 2 * 3 * 2 * (1 + 4);
  const fixed =
    small.users / ESTIMATE_SECONDS.seedUsersPerSecond +
    ESTIMATE_SECONDS.mint +
    ESTIMATE_SECONDS.link +
    2 * ESTIMATE_SECONDS.perServer +
    ESTIMATE_SECONDS.verifyPerUser * small.verifyUsers * 2 * 2 +
    20 * ESTIMATE_SECONDS.perTimedStep;
  assert.ok(
    Math.abs(plan.estimatedSeconds - (load + fixed)) < 1e-9,
    `${plan.estimatedSeconds} vs ${load + fixed}`,
  );
  const fresh = parseFreshnessArgs({ strategy: 'db-lookup,jwt-redis', seconds: '30', seed: '1' });
  const run = buildRunPlan([small, { ...small, scenario: 'b' }], fresh);
  const seeding = small.users / ESTIMATE_SECONDS.seedUsersPerSecond;
  const expected =
    ESTIMATE_SECONDS.infrastructure +
    2 * plan.estimatedSeconds -
    seeding +
    phaseSeconds(run.freshness!.phase);
  assert.ok(
    Math.abs(run.estimatedSeconds - expected) < 1e-9,
    'the second scenario finds the dataset in place',
  );
  assert.equal(run.freshness!.phase.config.strategies.length, 2);
});

test("the calibration: a ramp of connections after the warm-ups, before any round, each level's order alternating", () => {
  const { phases } = buildScenarioPlan({
    ...small,
    calibrationSeconds: 2,
    calibrationConnections: [1, 4, 8],
  });
  const timed = phases.filter(isTimed);
  const cal = timed.filter((p) => p.kind === 'calibrate');
  assert.deepEqual(
    cal.map((p) => `${p.connections}:${p.strategy}`),
    ['1:db-lookup', '1:jwt-redis', '4:jwt-redis', '4:db-lookup', '8:db-lookup', '8:jwt-redis'],
  );
  assert.ok(cal.every((p) => p.seconds === 2));
  const kinds = timed.map((p) => p.kind);
  assert.ok(kinds.lastIndexOf('warmup') < kinds.indexOf('calibrate'), 'after the warm-ups');
  assert.ok(
    kinds.lastIndexOf('calibrate') < kinds.indexOf('round'),
    'before the rounds: none of them is an input',
  );
  assert.match(
    renderPlan(buildRunPlan([{ ...small, calibrationSeconds: 2 }])),
    /calibrate jwt-redis: 2 s at 1 connection \(the model's demands/,
  );
  assert.equal(
    buildScenarioPlan({ ...small, calibrationSeconds: 0 }).phases.filter((p) => p.kind === 'calibrate')
      .length,
    0,
    'no calibration at 0 s',
  );
});

test('the dry run prints every phase, rounds on one line each, and the estimate', () => {
  const text = renderPlan(buildRunPlan([small]));
  assert.match(text, /^scenario default: 20 timed steps, 74 s of load, about \d+ s in all$/m);
  assert.match(text, /^ +\d+\. round 2: jwt-redis → db-lookup, 2 s each, 32 connections$/m);
  assert.match(text, /seed 100000 users/);
  assert.match(
    text,
    /^ +\d+\. open model, repetition 2, 50% of the baseline's median req\/s: jwt-redis → db-lookup, 1 s warm-up \+ 4 s each$/m,
  );
  assert.match(text, /^estimated duration: about \d+ s/m);
});

test('token users spread over the id range', () => {
  assert.deepEqual(tokenUserIds(100, 4), [1, 26, 51, 76]);
});
