import { test } from 'node:test';
import assert from 'node:assert/strict';
import { costModel } from '../../../bench/analysis/cost-model.js';
import { modelExplanation } from '../../../bench/output/prose.js';
import type { RoundRecord } from '../../../bench/schema/results.js';
import type { StrategyName } from '../../../servers/strategies/index.js';

function round(
  strategy: StrategyName,
  n: number,
  rps: number,
  cpuPercent: number | null,
  poolBusy: number | null,
  dbExecuting: number | null = null,
  status: RoundRecord['status'] = 'valid',
): RoundRecord {
  const common = {
    index: 0,
    round: n,
    strategy,
    requestsPerSecond: rps,
    requests2xx: rps * 3,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    durationSeconds: 3,
    statusCodes: { 200: rps * 3 },
    serverCpuPercent: cpuPercent,
    generatorCpuPercent: 20,
    proxyCpuPercent: null,
    poolBusyConnections: poolBusy,
    dbExecuting,
  };
  return status === 'valid'
    ? { ...common, status, latencyMs: { p50: 1, p90: 2, p99: 3, p999: 4, max: 5 } }
    : { ...common, status, invalidReasons: ['a failure'] };
}
const config = {
  poolSize: 10,
  connections: 200,
  dbDelayMs: 1,
  strategies: ['db-lookup', 'jwt-redis'] as StrategyName[],
};
const queries = { 'db-lookup': 3, 'jwt-redis': 2 };
const close = (a: number | null, b: number, tol = 1e-9): boolean =>
  a !== null && Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

test("a pool-bound pair: the gain is the ratio of pool time per request, and the database's share of it is shown", () => {
  // db-lookup: 1 000 req/s holding 9.9 of 10 connections → 9.9 ms per request;
  // jwt-redis: 1 500 req/s, 9.9 busy → 6.6 ms.
  // Postgres executes 0.9 statements at a time during db-lookup's rounds → 0.9 ms per request.
  const rounds = [1, 2, 3].flatMap((i) => [
    round('db-lookup', i, 1000, 50, 9.9, 0.9),
    round('jwt-redis', i, 1500, 60, 9.9, 0.6),
  ]);
  const m = costModel(config, rounds, queries)!;
  const a = m.strategies['db-lookup']!;
  const b = m.strategies['jwt-redis']!;
  assert.ok(close(a.poolMsPerRequest, 9.9));
  assert.ok(close(b.poolMsPerRequest, 6.6));
  assert.ok(close(a.cpuMsPerRequest, 0.5), 'CPU utilization ÷ throughput');
  assert.ok(close(a.dbExecMsPerRequest, 0.9));
  assert.equal(a.linkMsPerRequest, 6, '3 queries × a 2 ms round trip');
  assert.equal(a.roundTripSource, 'configured', 'no measured round trip: the configured delay');
  assert.ok(close(a.dbShare, 6.9 / 9.9));
  assert.equal(a.binding, 'database pool');
  assert.equal(b.binding, 'database pool');
  assert.ok(close(a.predictedRps, 10_000 / 9.9));
  assert.ok(close(m.comparisons[0]!.predictedRatio, 1.5), `${m.comparisons[0]!.predictedRatio}`);
  assert.ok(close(m.comparisons[0]!.measuredRatio, 1.5));
  assert.match(
    modelExplanation(m),
    /^db-lookup is bound by the database pool: 9\.90 ms holding a connection per request allows ≤ 1,010 req\/s with 10 connections \(9\.9 of 10 busy on average; of the 9\.90 ms held per request, 3 round trips take ≥ 6\.00 ms \(2\.00 ms each, configured\) and Postgres executes 0\.90 ms; 3\.00 ms more pass in the server\); jwt-redis is bound by the database pool: 6\.60 ms/,
  );
  assert.match(
    modelExplanation(m),
    /the model predicts \+50\.0%; the measured medians differ by \+50\.0%\.$/,
  );
});

test('a CPU-bound pair: the gain is the ratio of CPU per request', () => {
  const rounds = [1, 2].flatMap((i) => [
    round('db-lookup', i, 2000, 98, 4),
    round('jwt-redis', i, 2100, 98, 3),
  ]);
  const m = costModel({ ...config, connections: 32, dbDelayMs: 0 }, rounds, queries)!;
  assert.equal(m.strategies['db-lookup']!.binding, 'server CPU');
  assert.equal(m.strategies['db-lookup']!.dbShare, null, 'no execution times: no share');
  assert.ok(close(m.strategies['db-lookup']!.cpuMsPerRequest, 0.49));
  assert.ok(close(m.comparisons[0]!.predictedRatio, 1.05), `${m.comparisons[0]!.predictedRatio}`);
  assert.match(
    modelExplanation(m),
    /^db-lookup is bound by server CPU: 0\.490 ms of CPU per request allows ≤ 2,041 req\/s on one core \(it used 98%\); jwt-redis/,
  );
});

test('a nearly saturated core fills the pool too: pool-bound, and the explanation says the CPU is close', () => {
  // 1 500 req/s at 90% CPU (0.6 ms → ≤ 1 667 req/s) with 9.9 of 10 connections busy (6.6 ms → ≤ 1 515 req/s),
  // of which the round trips and Postgres take 0.9 ms: the rest is replies waiting for the event loop.
  const rounds = [round('db-lookup', 1, 1500, 90, 9.9, 0.675), round('jwt-redis', 1, 1650, 92, 9.8, 0.5)];
  const m = costModel({ ...config, connections: 32, dbDelayMs: 0, linkRoundTripMs: 0.15 }, rounds, queries)!;
  const a = m.strategies['db-lookup']!;
  assert.equal(a.roundTripSource, 'measured');
  assert.ok(close(a.linkMsPerRequest, 0.45), 'the measured idle round trip × 3 queries');
  assert.equal(a.binding, 'database pool');
  assert.ok(close(a.predictedRps, 10_000 / 6.6));
  assert.match(
    modelExplanation(m),
    /^db-lookup is bound by the database pool: 6\.60 ms holding a connection per request allows ≤ 1,515 req\/s with 10 connections \(9\.9 of 10 busy on average; of the 6\.60 ms held per request, 3 round trips take 0\.45 ms \(0\.15 ms each, measured idle\) and Postgres executes 0\.45 ms; 5\.70 ms more pass in the server; its core is 90% busy too \(CPU alone would allow ≤ 1,667 req\/s\), so that time is mostly replies waiting for the event loop\);/,
  );
});

test('few clients: the population bound binds before any resource saturates', () => {
  // 2 clients, 0.5 ms CPU + 9.5 ms pool per request → at most 200 req/s, far below 1/CPU and P/pool.
  const rounds = [round('db-lookup', 1, 190, 9.5, 1.805), round('jwt-redis', 1, 280, 14, 1.75)];
  const m = costModel({ ...config, connections: 2 }, rounds, queries)!;
  const a = m.strategies['db-lookup']!;
  assert.equal(a.binding, 'client connections');
  assert.ok(close(a.predictedRps, 2000 / (0.5 + 9.5)));
  assert.match(
    modelExplanation(m),
    /db-lookup is bound by its 2 clients: each waits ≥ 10\.00 ms per request \(CPU \+ pool\), so ≤ 200 req\/s/,
  );
});

test('medians over valid rounds only; no model without the measurements', () => {
  const rounds = [
    round('db-lookup', 1, 1000, 50, 9),
    round('jwt-redis', 1, 1500, 60, 9),
    round('db-lookup', 2, 1000, 50, 9),
    round('jwt-redis', 2, 1500, 60, 9),
    round('db-lookup', 3, 1, 100, 10, null, 'invalid'),
    round('jwt-redis', 3, 1500, 60, 9),
  ];
  assert.ok(
    close(costModel(config, rounds, queries)!.strategies['db-lookup']!.poolMsPerRequest, 9),
    'the invalid round is left out',
  );
  assert.equal(
    costModel(
      config,
      rounds.map((r) => ({ ...r, poolBusyConnections: null })),
      queries,
    ),
    null,
    'records from before pool time was counted',
  );
  assert.equal(
    costModel(
      config,
      rounds.map((r) => ({ ...r, serverCpuPercent: null })),
      queries,
    ),
    null,
    'CPU time unmeasurable',
  );
});
