import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS } from '../../../bench/plan/config.js';
import type { BenchConfig, Environment, LatencyMs, RoundRecord } from '../../../bench/schema/results.js';
import { buildResults, pairRounds, type VerificationResult } from '../../../bench/analysis/build-record.js';
import { verdictSentence, verdicts } from '../../../bench/output/prose.js';
import { renderSummary } from '../../../bench/output/summary.js';
import type { StrategyName } from '../../../servers/strategies/index.js';

const env: Environment = {
  cpuModel: 'test cpu',
  cores: 2,
  memoryGiB: 24,
  os: 'Linux',
  node: 'v20',
  postgres: '15',
  redis: '7',
  gitCommit: 'abc',
  infrastructure: { postgres: 'local', redis: 'local', description: 'test' },
  serverCpu: 1,
  targets: null,
};

const verification: VerificationResult = {
  comparedResponses: 20,
  routes: ['/api/dashboard', '/api/articles'],
  costs: {
    'db-lookup': {
      queriesPerRequest: 3,
      queriesSource: 'pg_stat_statements',
      serverQueriesPerRequest: 3,
      redisCommandsPerRequest: 0,
      redisCommandsSource: 'redis',
      serverRedisCommandsPerRequest: 0,
      requests: 10,
    },
    'jwt-redis': {
      queriesPerRequest: 2,
      queriesSource: 'pg_stat_statements',
      serverQueriesPerRequest: 2,
      redisCommandsPerRequest: 1,
      redisCommandsSource: 'redis',
      serverRedisCommandsPerRequest: 1,
      requests: 10,
    },
  },
  warnings: [],
};

type Overrides = { invalidReasons?: string[]; non2xx?: number; generatorCpuPercent?: number };

function round(
  strategy: StrategyName,
  n: number,
  rps: number,
  p50: number,
  overrides: Overrides = {},
): RoundRecord {
  const { invalidReasons, ...counts } = overrides;
  const common = {
    index: 0,
    round: n,
    strategy,
    requestsPerSecond: rps,
    requests2xx: rps * 5,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    durationSeconds: 5,
    statusCodes: { 200: rps * 5 },
    serverCpuPercent: 95,
    generatorCpuPercent: 40,
    proxyCpuPercent: null,
    poolBusyConnections: null,
    dbExecuting: null,
    ...counts,
  };
  const latencyMs: LatencyMs = { p50, p90: p50 * 2, p99: p50 * 4, p999: p50 * 6, max: p50 * 10 };
  return invalidReasons
    ? { ...common, status: 'invalid', invalidReasons }
    : { ...common, status: 'valid', latencyMs };
}

const config: BenchConfig = { ...DEFAULTS, rounds: 4, bootstrapIterations: 2000 };
const build = (rounds: RoundRecord[]): ReturnType<typeof buildResults> =>
  buildResults({
    config,
    env,
    verification,
    warmup: [],
    rounds,
    createdAt: '2026-11-24T00:00:00.000Z',
    wallSeconds: 1,
    command: 'authbench run',
  });

test('the record follows the results contract', () => {
  const rounds = [1, 2, 3, 4].flatMap((i) => [
    round('db-lookup', i, 1000 + i, 10),
    round('jwt-redis', i, 1200 + i * 1.2, 8),
  ]);
  const r = build(rounds);
  assert.equal(r.schemaVersion, 2);
  assert.equal(r.valid, true);
  assert.equal(r.scenario, 'default');
  assert.equal(r.strategies['db-lookup']!.queriesPerRequest, 3);
  assert.equal(r.strategies['jwt-redis']!.redisCommandsPerRequest, 1);
  assert.equal(r.strategies['db-lookup']!.throughput.median, 1002.5, 'median of 1001..1004');
  assert.equal(r.strategies['db-lookup']!.latencyMs.p50, 10);
  assert.equal(r.comparisons[0]!.baseline, 'db-lookup');
  assert.equal(r.comparisons[0]!.candidate, 'jwt-redis');
  // every pair's ratio is exactly 1.2
  assert.ok(Math.abs(r.comparisons[0]!.throughputRatio.median - 1.2) < 1e-12);
  assert.deepEqual(
    r.comparisons[0]!.throughputRatio.ci95.map((x) => Math.round(x * 1e9) / 1e9),
    [1.2, 1.2],
  );
  assert.equal(r.comparisons[0]!.p50DeltaMs.median, -2);
  assert.match(
    verdicts(r)[0]!,
    /^jwt-redis served 20\.0% more requests per second than db-lookup \(95% CI \+20\.0% to \+20\.0%\), with 3 → 2 database queries per request\. That is below the write-up's \+30%\.$/,
  );
});

test('an invalid round is kept, flagged, excluded from statistics, and makes the run invalid', () => {
  const rounds = [1, 2, 3, 4].flatMap((i) => [
    round('db-lookup', i, 1000, 10),
    round('jwt-redis', i, 1500, 8),
  ]);
  rounds[3] = round('jwt-redis', 2, 99_999, 1, {
    invalidReasons: ['12 non-2xx responses (12× 503)'],
    non2xx: 12,
  });
  const r = build(rounds);
  assert.equal(r.valid, false);
  assert.equal(r.strategies['jwt-redis']!.validRounds, 3);
  assert.equal(r.strategies['jwt-redis']!.rounds.length, 4, 'kept in the record');
  assert.equal(r.strategies['jwt-redis']!.throughput.median, 1500, 'the invalid 99 999 req/s never counts');
  assert.equal(r.comparisons[0]!.throughputRatio.pairs, 3);
  assert.ok(r.warnings.some((w) => /jwt-redis round 2 is invalid: 12 non-2xx responses/.test(w)));
  assert.match(renderSummary(r), /INVALID/);
});

test('ratios around 1: "no significant difference"', () => {
  const rps = [
    [1000, 980],
    [1000, 1030],
    [1000, 1000],
    [1000, 990],
  ];
  const rounds = rps.flatMap(([a, b], i) => [
    round('db-lookup', i + 1, a!, 10),
    round('jwt-redis', i + 1, b!, 10),
  ]);
  const r = build(rounds);
  assert.equal(r.comparisons[0]!.throughputRatio.significant, false);
  assert.match(
    verdicts(r)[0]!,
    /^No significant difference: jwt-redis served 0\.5% fewer requests per second than db-lookup \(95% CI −2\.0% to \+3\.0%\)/,
  );
  assert.ok(r.warnings.some((w) => /no significant difference/.test(w)));
});

test('a saturated load generator is warned about', () => {
  const rounds = [1, 2, 3, 4].flatMap((i) => [
    round('db-lookup', i, 1000, 10, { generatorCpuPercent: 97 }),
    round('jwt-redis', i, 1100, 9),
  ]);
  assert.ok(
    build(rounds).warnings.some((w) => /load generator used 97% of a core in db-lookup round 1/.test(w)),
  );
});

test("verdict wording against the write-up's 30%", () => {
  const base = {
    baseline: 'db-lookup' as const,
    candidate: 'jwt-redis' as const,
    p50DeltaMs: { median: 0, ci95: [0, 0] as [number, number] },
    p99DeltaMs: { median: 0, ci95: [0, 0] as [number, number] },
  };
  const q = { baseline: 3, candidate: 2 };
  assert.match(
    verdictSentence(
      { ...base, throughputRatio: { median: 1.45, ci95: [1.35, 1.5], significant: true, pairs: 8 } },
      q,
    ),
    /That meets the write-up's \+30%\.$/,
  );
  assert.match(
    verdictSentence(
      { ...base, throughputRatio: { median: 1.3, ci95: [1.2, 1.4], significant: true, pairs: 8 } },
      q,
    ),
    /lies within the interval\.$/,
  );
  assert.match(
    verdictSentence(
      { ...base, throughputRatio: { median: 0.8, ci95: [0.7, 0.9], significant: true, pairs: 8 } },
      q,
    ),
    /served 20\.0% fewer requests per second/,
  );
});

test('N strategies: every candidate is paired with the baseline by round, and each gets a comparison', () => {
  const three: BenchConfig = { ...config, strategies: ['db-lookup', 'jwt-redis', 'jwt-only'] };
  const rounds = [1, 2, 3, 4].flatMap((i) => [
    round('db-lookup', i, 1000, 10),
    round('jwt-redis', i, 1100, 9),
    round('jwt-only', i, 1500, 6),
  ]);
  rounds[4] = round('jwt-redis', 2, 1, 1, { invalidReasons: ['1 socket errors'] });
  const costs = {
    ...verification.costs,
    'jwt-only': { ...verification.costs['jwt-redis']!, redisCommandsPerRequest: 0 },
  };
  const r = buildResults({
    config: three,
    env,
    verification: { ...verification, costs },
    warmup: [],
    rounds,
    createdAt: '2026-11-24T00:00:00.000Z',
    wallSeconds: 1,
    command: 'authbench run',
  });
  assert.deepEqual(
    r.comparisons.map((c) => [c.baseline, c.candidate]),
    [
      ['db-lookup', 'jwt-redis'],
      ['db-lookup', 'jwt-only'],
    ],
  );
  assert.equal(
    r.comparisons[0]!.throughputRatio.pairs,
    3,
    'the pair with the invalid jwt-redis round 2 is dropped',
  );
  assert.equal(r.comparisons[1]!.throughputRatio.pairs, 4, 'jwt-only keeps all four pairs');
  assert.ok(Math.abs(r.comparisons[1]!.throughputRatio.median - 1.5) < 1e-12);
  assert.deepEqual(
    pairRounds(rounds, 'db-lookup', 'jwt-redis').map(([a, b]) => [a.round, b.round]),
    [
      [1, 1],
      [3, 3],
      [4, 4],
    ],
  );
  assert.equal(verdicts(r).length, 2);
  assert.equal(r.valid, false, 'an invalid round makes the run invalid');
  const summary = renderSummary(r);
  assert.match(summary, /jwt-only served 50\.0% more requests per second than db-lookup/);
  assert.match(summary, /jwt-redis served 10\.0% more requests per second than db-lookup/);
});

test('a candidate without a valid pair: no comparison for it, a warning, and an invalid run', () => {
  const rounds = [1, 2].flatMap((i) => [
    round('db-lookup', i, 1000, 10),
    round('jwt-redis', i, 0, 1, { invalidReasons: ['no successful responses'] }),
  ]);
  const r = build(rounds);
  assert.deepEqual(r.comparisons, []);
  assert.equal(r.valid, false);
  assert.ok(r.warnings.includes('no pair of valid rounds: no comparison possible'), r.warnings.join('\n'));
  assert.deepEqual(verdicts(r), ['No comparison: no pair of valid rounds.']);
});

test('with no-auth in the run, every strategy is a fraction of the ceiling, paired by round', () => {
  const withCeiling: BenchConfig = { ...config, strategies: ['db-lookup', 'jwt-redis', 'no-auth'] };
  const rounds = [1, 2, 3, 4].flatMap((i) => [
    round('db-lookup', i, 800, 10),
    round('jwt-redis', i, 900, 9),
    round('no-auth', i, 1000, 8),
  ]);
  const costs = {
    ...verification.costs,
    'no-auth': { ...verification.costs['jwt-redis']!, redisCommandsPerRequest: 0 },
  };
  const r = buildResults({
    config: withCeiling,
    env,
    verification: { ...verification, costs },
    warmup: [],
    rounds,
    createdAt: '2026-11-24T00:00:00.000Z',
    wallSeconds: 1,
    command: 'authbench run',
  });
  assert.ok(Math.abs(r.strategies['db-lookup']!.ceilingRatio!.median - 0.8) < 1e-12);
  assert.ok(Math.abs(r.strategies['jwt-redis']!.ceilingRatio!.median - 0.9) < 1e-12);
  assert.equal(r.strategies['jwt-redis']!.ceilingRatio!.pairs, 4);
  assert.equal(r.strategies['no-auth']!.ceilingRatio, null, 'the ceiling is not a fraction of itself');
  assert.equal(r.strategies['db-lookup']!.freshness, null, 'no freshness phase in this run');
  const text = renderSummary(r);
  assert.match(text, /× no-auth ceiling/);
  assert.match(text, /^jwt-redis .* 0\.900× \(0\.900× to 0\.900×\)/m);
  assert.match(text, /^no-auth .*the ceiling/m);
});

test("one set of rounds: a strategy's median and interval are over the rounds its gain is over", () => {
  // Round 3 of jwt-redis failed: db-lookup's round 3 has no partner and leaves its median too.
  const rounds = [
    round('db-lookup', 1, 1000, 10),
    round('jwt-redis', 1, 1300, 8),
    round('db-lookup', 2, 1010, 10),
    round('jwt-redis', 2, 1310, 8),
    round('db-lookup', 3, 5000, 10),
    round('jwt-redis', 3, 0, 8, { invalidReasons: ['3 timeouts'] }),
    round('db-lookup', 4, 1020, 10),
    round('jwt-redis', 4, 1320, 8),
  ];
  const r = build(rounds);
  assert.equal(
    r.strategies['db-lookup']!.throughput.median,
    1010,
    'median of 1000, 1010, 1020: round 3 unpaired',
  );
  assert.equal(r.strategies['jwt-redis']!.throughput.median, 1310);
  assert.ok(
    r.strategies['db-lookup']!.throughput.ci95[1] < 5000,
    'the unpaired round is out of the interval too',
  );
  assert.equal(r.comparisons[0]!.throughputRatio.pairs, 3);
});
