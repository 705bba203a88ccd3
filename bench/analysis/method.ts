/**
 * What a run did and what it held equal, as stored in the record: derived from the config as
 * it was run, never a constant that could disagree with it.
 */
import type { BenchConfig, Environment } from '../schema/results.js';

export function fairness(config: BenchConfig, env: Environment): Record<string, string> {
  if (env.targets) return targetFairness(config, env);
  const all = `(all ${config.strategies.length} strategies)`;
  const verify = {
    keyobject: 'jsonwebtoken.verify with a KeyObject from crypto.createSecretKey',
    string: 'jsonwebtoken.verify with the secret as a string (parsed per call)',
    native: "HS256 checked with node:crypto's HMAC directly (servers/jwt.ts verifyHs256)",
    cached:
      "HS256 checked with node:crypto's HMAC directly, each verified token remembered until it expires (up to 10 000)",
  }[config.jwtVerify];
  return {
    statements: `every query is a named pg statement, prepared once per connection ${all}`,
    pool: `one pg pool of ${config.poolSize} connections per server ${all}`,
    jwtVerification: `${verify}, HS256 only ${all}`,
    tokens: `the same tokens, minted from the database's current claims, for every strategy`,
    redis:
      'ioredis, one round trip per request where a strategy uses Redis, no pipelining, offline queue off (fail fast)',
    processes:
      'each server and the load generator in its own process; only the server being measured is under load',
    cpu:
      env.serverCpu === null
        ? 'servers not pinned: the scheduler places them'
        : `every server pinned to CPU ${env.serverCpu} (one at a time under load); the load generator and the delay proxy kept off it`,
    loadGenerator: generator(config, env, 'the same connections and token rotation for every strategy'),
  };
}

/**
 * Target mode: the servers' configuration is theirs; what authbench controls is the load and
 * the tokens, and it says which servers each strategy had.
 */
function targetFairness(config: BenchConfig, env: Environment): Record<string, string> {
  const targets = env.targets ?? {};
  const counts = Object.entries(targets).map(([n, urls]) => `${n} ${urls.length}`);
  const equal = new Set(Object.values(targets).map((u) => u.length)).size === 1;
  return {
    servers:
      `target mode: servers already running, configured by their owners (pool size, token ` +
      `verification, CPU placement are theirs, not set here); servers per strategy: ${counts.join(', ')}` +
      (equal ? '' : ' — unequal: each throughput is of all its servers together'),
    tokens: 'the same tokens for every strategy, in the same rotation',
    loadGenerator: generator(
      config,
      env,
      "the same connections for every strategy, spread over a strategy's servers",
    ),
  };
}

/** Which generator sent the load, and how. */
function generator(config: BenchConfig, env: Pick<Environment, 'artillery'>, same: string): string {
  if (config.engine === 'wrk') return `wrk, one thread, ${same}`;
  if (config.engine !== 'artillery') return `autocannon in its own process, ${same}`;
  const a = env.artillery;
  return (
    `Artillery ${a?.version ?? '(version unknown)'}, ${a?.workers ?? 1} worker(s) each running the whole plan ` +
    `with its share of the connections (one virtual user per connection, a closed loop per slice), ${same}; ` +
    `timed in authbench's processor with process.hrtime`
  );
}

export function method(config: BenchConfig): string[] {
  const [baseline] = config.strategies;
  const fractions = config.openFractions.map((f) => `${f * 100}%`).join(' and ');
  return [
    `closed model: ${config.connections} connections, one request in flight each, ` +
      `rotating through ${config.tokenUsers} distinct users' tokens (mixed roles)`,
    `warm-up ${config.warmupSeconds} s per strategy, then ${config.rounds} rounds of ${config.roundSeconds} s ` +
      'per strategy, interleaved; the order within a round alternates (forward, then reversed) ' +
      'so linear drift hits every strategy alike over each pair of rounds (the median of the per-round ratios ' +
      'is unbiased by it over an even number of rounds, and leans toward one order over an odd number)',
    ...(config.adaptive
      ? [
          `adaptive rounds: at least ${config.minRounds} and at most ${config.rounds} per strategy; after each round, ` +
            `the rounds stop once every gain's 95% CI half-width is within ±${(config.targetPrecision * 100).toFixed(1)}% ` +
            'after two consecutive rounds, the second an even one. Stopping when the interval is narrow is optional ' +
            'stopping: in simulation (paired ratios scattering 6-10%) such intervals covered the true ratio ' +
            '92.5-94.0% of the time, against 94% with a fixed number of rounds; read them as about 92% intervals',
        ]
      : []),
    config.engine === 'artillery'
      ? 'the timed steps as time slices after a shared start (t0), back to back in the plan order; the first ' +
        "seconds of each slice (its guard band) not counted: the slice before drains into them and workers' clocks differ"
      : 'between timed steps a quiet gap: the next starts once the server measured last has nothing in flight ' +
        '(no response and no pooled connection held for 50 ms; at most 3 s)',
    'throughput = 2xx responses / round duration; any non-2xx, socket error or timeout makes a round invalid ' +
      '(kept, excluded from statistics)',
    config.engine === 'artillery'
      ? "latency percentiles of 2xx responses per round from Artillery's merged summaries (DDSketch, about 1% " +
        'relative accuracy) of microsecond timings; per strategy the median over valid rounds'
      : 'latency percentiles from an HDR histogram of 2xx responses at microsecond resolution, per round; ' +
        'per strategy the median over valid rounds',
    `gain = median of paired per-round ratios candidate/${baseline}, 95% percentile-bootstrap CI ` +
      `(${config.bootstrapIterations} resamples); "no significant difference" when the CI contains 1`,
    'queries and Redis commands per request measured before timing on the database side (pg_stat_statements) ' +
      "and Redis side (INFO commandstats) over the verification set, cross-checked with the servers' counters",
    ...(config.calibrationSeconds > 0
      ? [
          `model: before the rounds, each strategy calibrated for ${config.calibrationSeconds} s at ` +
            `${config.calibrationConnections.join(', ')} connections (the ramp stops once the server or pool is 60% busy); ` +
            'per request over the same window as the requests counted: server CPU, pool hold time, Postgres ' +
            "execution, the rest of the machine's CPU; throughput predicted from those alone by mean-value " +
            'analysis of a closed network (server CPU, other CPUs, delays, the pool by the surrogate-delay ' +
            'method), then compared with the rounds: error = predicted ÷ measured − 1',
        ]
      : []),
    `closed-loop load generator: ${{ wrk: 'wrk (one thread)', autocannon: 'autocannon (one process)', artillery: "Artillery (its workers, authbench's processor)" }[config.engine]}, kept off the servers' CPU where they are pinned`,
    ...(config.openFractions.length
      ? [
          `open model: after the rounds, each strategy at a constant arrival rate of ${fractions} of ` +
            `${baseline}'s median req/s, ${config.openRepetitions} times in alternating order, each run ` +
            `${config.openWarmupSeconds} s of warm-up (discarded) then ${config.openSeconds} s measured; ` +
            "latency timed from each request's intended send time (no coordinated omission), a request " +
            `unanswered ${config.timeoutSeconds} s after it was due counted as a failure at that time; ` +
            'p50/p99 differences paired by repetition, medians with a distribution-free interval and its ' +
            'exact confidence; closed-model latency ' +
            "follows Little's law (≈ connections ÷ throughput) instead",
        ]
      : []),
  ];
}
