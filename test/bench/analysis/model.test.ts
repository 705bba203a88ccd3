import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MISS_THRESHOLD,
  calibratedModel,
  demandsOf,
  holdShares,
  predict,
  predictStrategy,
} from '../../../bench/analysis/model.js';
import type {
  Comparison,
  ModelCalibration,
  RoundRecord,
  StrategyCalibration,
} from '../../../bench/schema/results.js';

/** A calibration at one connection: the cycle is the sum of the CPUs and the delays. */
function cal(over: Partial<StrategyCalibration> = {}): StrategyCalibration {
  const base: StrategyCalibration = {
    requests: 1000,
    requestsPerSecond: 100,
    cycleMs: 10,
    cpuMs: 0.5,
    loopMs: 0.5,
    poolMs: 6.3,
    dbExecMs: 0.1,
    otherCpuMs: 0.3,
    generatorCpuMs: 0.1,
    roundTripsPerRequest: 3,
    redisCommandsPerRequest: 0,
    invalidReason: null,
    levels: [],
  };
  const c = { ...base, ...over };
  return { ...c, requestsPerSecond: over.requestsPerSecond ?? 1000 / c.cycleMs };
}

function calibration(strategies: ModelCalibration['strategies']): ModelCalibration {
  return {
    connections: 1,
    levels: [1],
    seconds: 3,
    linkRoundTripMs: 2,
    otherCores: 1,
    proxied: true,
    strategies,
  };
}

const close = (a: number, b: number, tol: number, what: string): void =>
  assert.ok(Math.abs(a / b - 1) <= tol, `${what}: ${a} vs ${b}`);

test("at the calibration's own conditions the model gives back the calibration's throughput", () => {
  const c = calibration({ 'db-lookup': cal() });
  const p = predictStrategy(c.strategies['db-lookup']!, c, {
    connections: 1,
    poolSize: 10,
    linkRoundTripMs: 2,
  })!;
  close(p.requestsPerSecond, 100, 1e-9, 'req/s');
  close(p.meanLatencyMs, 10, 1e-9, 'cycle');
  assert.equal(p.poolWaitMs, 0);
});

test('many clients and a small pool: throughput approaches pool ÷ hold time, the pool binds', () => {
  // CPU demands small enough that the hold time barely grows: X → P / 6.3 ms.
  const c = calibration({ 'db-lookup': cal({ cpuMs: 0.05, otherCpuMs: 0.05, generatorCpuMs: 0.01 }) });
  const p = predictStrategy(c.strategies['db-lookup']!, c, {
    connections: 400,
    poolSize: 10,
    linkRoundTripMs: 2,
  })!;
  close(p.requestsPerSecond, 10_000 / 6.3, 0.03, 'req/s');
  assert.equal(p.binding, 'database pool');
  assert.ok(p.utilization.pool > 0.999 && p.utilization.pool <= 1 + 1e-6, `pool ${p.utilization.pool}`);
  // Little's law holds for the whole: N = X · cycle.
  close((p.requestsPerSecond / 1000) * p.meanLatencyMs, 400, 1e-6, 'N = X · R');
});

test('a CPU-heavy strategy with a short hold: throughput approaches 1 ÷ CPU, the server CPU binds', () => {
  const c = calibration({
    'jwt-redis': cal({ cpuMs: 2, poolMs: 0.5, roundTripsPerRequest: 0.2, otherCpuMs: 0.2 }),
  });
  const p = predictStrategy(c.strategies['jwt-redis']!, c, {
    connections: 64,
    poolSize: 10,
    linkRoundTripMs: 2,
  })!;
  close(p.requestsPerSecond, 500, 0.01, 'req/s');
  assert.equal(p.binding, 'server CPU');
});

test('a slower link adds round trips × the difference to the hold time, and lowers a pool-bound throughput', () => {
  const c = calibration({ 'db-lookup': cal() });
  const near = demandsOf(c.strategies['db-lookup']!, c, 2, 10);
  const far = demandsOf(c.strategies['db-lookup']!, c, 6, 10);
  close(far.hold - near.hold, 3 * 4, 1e-9, 'hold grows by q · ΔRTT');
  close(far.delay - near.delay, 3 * 4, 1e-9, 'so do the delays');
  const at = (rtt: number): number =>
    predictStrategy(c.strategies['db-lookup']!, c, { connections: 200, poolSize: 10, linkRoundTripMs: rtt })!
      .requestsPerSecond;
  assert.ok(at(6) < at(2) * 0.6, `${at(6)} vs ${at(2)}`);
});

test("visits: the share of each CPU's visits made while a connection is held", () => {
  // db-lookup through the proxy: 3 of the server's 4 visits, 9 of the other CPUs' 11.
  assert.deepEqual(holdShares(3, 0, true), { cpu: 3 / 4, other: 9 / 11 });
  // jwt-redis next door: 2 of 4 (request, Redis reply, two results), 2 of 5.
  assert.deepEqual(holdShares(2, 1, false), { cpu: 2 / 4, other: 2 / 5 });
  assert.deepEqual(holdShares(0, 0, false), { cpu: 0, other: 0 });
});

test("a ramp: the lowest demands any level showed are the ones used, the first level's cycle gives the delays", () => {
  const one = cal({ cpuMs: 1, poolMs: 0.5, roundTripsPerRequest: 0.2, otherCpuMs: 0.1 });
  const level = (connections: number, requestsPerSecond: number, cpuMs: number) => ({
    connections,
    requestsPerSecond,
    cpuMs,
    loopMs: cpuMs,
    poolMs: 0.5,
    otherCpuMs: 0.1,
  });
  // The busiest level was disturbed (1.3 ms after 0.9): the lowest is the one used.
  const ramp = { ...one, levels: [level(1, 100, 1), level(2, 210, 0.9), level(4, 380, 1.3)] };
  const cond = { connections: 64, poolSize: 10, linkRoundTripMs: 2 };
  const flat = predictStrategy(one, calibration({ 'jwt-redis': one }), cond)!;
  const falling = predictStrategy(ramp, calibration({ 'jwt-redis': ramp }), cond)!;
  assert.ok(
    falling.requestsPerSecond > flat.requestsPerSecond * 1.1,
    `${falling.requestsPerSecond} vs ${flat.requestsPerSecond}`,
  );
  assert.equal(falling.cpuMs, 0.9);
  close(falling.requestsPerSecond / 1000, 1 / 0.9, 0.02, 'saturated at 1 ÷ the lowest demand');
  const d = demandsOf(ramp, calibration({ 'jwt-redis': ramp }), 2, 10);
  close(d.delay, 10 - 1 - 0.1, 1e-9, 'delays from the first level: cycle − its CPU demands');
});

test('predicted gains are ratios to the baseline; an unusable calibration predicts nothing', () => {
  const c = calibration({
    'db-lookup': cal(),
    'jwt-redis': cal({ poolMs: 4.2, roundTripsPerRequest: 2, cycleMs: 8 }),
    'jwt-local': cal({ invalidReason: '3 timeouts' }),
  });
  const p = predict(c, { connections: 200, poolSize: 10, linkRoundTripMs: 2 }, [
    'db-lookup',
    'jwt-redis',
    'jwt-local',
  ]);
  close(p.gain!, p['jwt-redis']!.requestsPerSecond / p['db-lookup']!.requestsPerSecond, 1e-12, 'gain');
  assert.equal(p['jwt-local'], undefined);
  assert.deepEqual(Object.keys(p.gains), ['jwt-redis']);
});

function round(strategy: 'db-lookup' | 'jwt-redis', n: number, rps: number): RoundRecord {
  return {
    index: 0,
    round: n,
    strategy,
    requests2xx: rps * 3,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    durationSeconds: 3,
    statusCodes: { '200': rps * 3 },
    serverCpuPercent: 50,
    generatorCpuPercent: 20,
    proxyCpuPercent: null,
    poolBusyConnections: 9.9,
    dbExecuting: 0.1,
    status: 'valid',
    requestsPerSecond: rps,
    latencyMs: { p50: 1, p90: 2, p99: 3, p999: 4, max: 5 },
  };
}

test('the record: error = predicted ÷ measured − 1, the measured gain is the comparison’s paired median, misses explained', () => {
  const c = calibration({
    'db-lookup': cal(),
    'jwt-redis': cal({ poolMs: 4.2, roundTripsPerRequest: 2, cycleMs: 8 }),
  });
  const conditions = { connections: 200, poolSize: 10, linkRoundTripMs: 2 };
  const p = predict(c, conditions, ['db-lookup', 'jwt-redis']);
  const a = p['db-lookup']!.requestsPerSecond;
  const b = p['jwt-redis']!.requestsPerSecond;
  // db-lookup measured as predicted; jwt-redis 30 % below its prediction.
  const rounds = [1, 2, 3].flatMap((i) => [round('db-lookup', i, a), round('jwt-redis', i, b / 1.3)]);
  const comparison = {
    baseline: 'db-lookup',
    candidate: 'jwt-redis',
    throughputRatio: { median: 1.111, ci95: [1.05, 1.2], significant: true, pairs: 3 },
  } as unknown as Comparison;
  const m = calibratedModel({
    calibration: c,
    conditions,
    strategies: ['db-lookup', 'jwt-redis'],
    rounds,
    comparisons: [comparison],
  })!;
  close(m.error['db-lookup']! + 1, 1, 1e-9, 'no error where measured = predicted');
  close(m.error['jwt-redis']!, 0.3, 1e-9, 'error');
  assert.equal(m.measured.gain, 1.111, 'one estimator: the paired median of the comparison');
  assert.equal(m.predicted.gain, b / a);
  assert.equal(m.misses.length, 1);
  assert.match(m.misses[0]!, /^jwt-redis: predicted \d+ req\/s, measured \d+ \(\+30\.0 %\)/);
  assert.ok(MISS_THRESHOLD === 0.1);
  assert.equal(
    calibratedModel({ calibration: null, conditions, strategies: ['db-lookup'], rounds, comparisons: [] }),
    null,
  );
});

test('random calibrations: the pool is never more than fully busy, Little’s law holds, the ramp never raises a prediction above its bounds', () => {
  let seed = 7;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let i = 0; i < 60; i++) {
    const cpu1 = 0.2 + 2 * rnd();
    const other1 = 0.1 + 2 * rnd();
    const c = cal({
      cycleMs: cpu1 + other1 + 10 * rnd(),
      cpuMs: cpu1,
      otherCpuMs: other1,
      generatorCpuMs: 0.1 * rnd(),
      poolMs: 0.2 + 9 * rnd(),
      roundTripsPerRequest: 1 + Math.floor(3 * rnd()),
      redisCommandsPerRequest: Math.floor(2 * rnd()),
    });
    c.levels = [
      {
        connections: 1,
        requestsPerSecond: 1000 / c.cycleMs,
        cpuMs: cpu1,
        loopMs: cpu1,
        poolMs: c.poolMs,
        otherCpuMs: other1,
      },
      {
        connections: 8,
        requestsPerSecond: 4000 / c.cycleMs,
        cpuMs: cpu1 * (0.4 + 0.6 * rnd()),
        loopMs: null,
        poolMs: c.poolMs,
        otherCpuMs: other1 * (0.4 + 0.6 * rnd()),
      },
    ];
    const model = { ...calibration({ 'db-lookup': c }), otherCores: 1 + Math.floor(3 * rnd()) };
    const cond = {
      connections: 1 + Math.floor(400 * rnd()),
      poolSize: 1 + Math.floor(40 * rnd()),
      linkRoundTripMs: 4 * rnd(),
    };
    const p = predictStrategy(c, model, cond);
    assert.ok(p, `case ${i}`);
    const what = `case ${i}: ${JSON.stringify({ cond, p })}`;
    assert.ok(p.utilization.pool <= 1 + 1e-6, what);
    assert.ok(p.utilization.serverCpu <= 1 + 1e-6 && p.utilization.otherCpu <= 1 + 1e-6, what);
    close((p.requestsPerSecond / 1000) * p.meanLatencyMs, cond.connections, 1e-6, what);
    assert.ok(p.poolWaitMs >= 0 && p.poolHoldMs > 0, what);
  }
});
