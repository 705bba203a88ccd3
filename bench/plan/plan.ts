/**
 * The plan: what a run will do, in order, with every parameter, as data (pure: config in,
 * phases out). The engine executes it; `authbench run --dry-run` prints it; a distributed load
 * engine can run the same phases later. The order of the measured rounds is decided here, not
 * while measuring.
 */
import type { StrategyName } from '../../servers/strategies/index.js';
import type { FreshnessConfig } from '../schema/freshness.js';
import type { Phase, RunPlan, ScenarioPlan } from '../schema/plan.js';
import type { BenchConfig } from '../schema/results.js';

/**
 * Fixed costs of the phases around the load, for the estimate: medians seen on the 2-core
 * development machine (2026-11-26) with throwaway local Postgres and Redis. An estimate, said
 * to be one wherever it is shown; the load itself is exact.
 */
export const ESTIMATE_SECONDS = {
  /** initdb + start of Postgres and Redis, once per run. */
  infrastructure: 4,
  /** Seeding rate, users per second (100 000 users took 1.5 s). */
  seedUsersPerSecond: 60_000,
  mint: 1,
  /** The delay proxy and 50 idle round trips. */
  link: 0.5,
  perServer: 0.8,
  /** Per user of the verification set, every route and strategy included. */
  verifyPerUser: 0.02,
  /** Around each timed step: counters read before and after, the generator's report. */
  perTimedStep: 0.35,
  /** A freshness run: its own Postgres (logical decoding) and Redis, two datasets. */
  freshnessSetup: 8,
  /** Per strategy of a freshness run, beyond its seconds: servers, recovery, the checker. */
  freshnessPerStrategy: 6,
} as const;

/** Users spread evenly over the id range, so the token set mixes roles as the dataset does. */
export function tokenUserIds(users: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => 1 + Math.floor((i * users) / count));
}

/**
 * The order of the strategies in round `round` (1-based): forward in odd rounds, reversed in
 * even ones, so linear drift over a pair of rounds hits every strategy alike (A B, B A, … for two).
 */
export function roundOrder(strategies: readonly StrategyName[], round: number): StrategyName[] {
  return round % 2 === 1 ? [...strategies] : [...strategies].reverse();
}

/** Seconds the tokens must stay valid: the whole load with a wide margin. */
function tokenTtlSeconds(c: BenchConfig): number {
  return Math.max(3600, 4 * (c.rounds * c.strategies.length * c.roundSeconds + 600));
}

/** The phases of one scenario, in the order the engine runs them. */
export function scenarioPhases(c: BenchConfig): Phase[] {
  const phases: Phase[] = [
    { kind: 'seed', users: c.users, seed: c.seed },
    { kind: 'mint', tokenUsers: c.tokenUsers, ttlSeconds: tokenTtlSeconds(c) },
    { kind: 'link', dbDelayMs: c.dbDelayMs },
    {
      kind: 'start-servers',
      strategies: [...c.strategies],
      poolSize: c.poolSize,
      jwtVerify: c.jwtVerify,
      serverCpu: c.serverCpu,
    },
    {
      kind: 'verify',
      users: c.verifyUsers,
      routes: [...new Set([c.path, '/api/articles'])],
      measuredRoute: c.path,
      strategies: [...c.strategies],
    },
  ];
  if (c.warmupSeconds > 0) {
    for (const strategy of c.strategies)
      phases.push({ kind: 'warmup', strategy, seconds: c.warmupSeconds, connections: c.connections });
  }
  for (let round = 1; round <= c.rounds; round++) {
    for (const strategy of roundOrder(c.strategies, round)) {
      phases.push({ kind: 'round', round, strategy, seconds: c.roundSeconds, connections: c.connections });
    }
  }
  for (const fraction of c.openFractions) {
    for (const strategy of c.strategies)
      phases.push({ kind: 'open', fraction, strategy, seconds: c.openSeconds });
  }
  return phases;
}

/** Expected seconds of one phase, fixed costs included (see ESTIMATE_SECONDS). */
export function phaseSeconds(p: Phase): number {
  const e = ESTIMATE_SECONDS;
  switch (p.kind) {
    case 'seed':
      return p.users / e.seedUsersPerSecond;
    case 'mint':
      return e.mint;
    case 'link':
      return e.link;
    case 'start-servers':
      return e.perServer * p.strategies.length;
    case 'verify':
      return e.verifyPerUser * p.users * p.routes.length * p.strategies.length;
    case 'warmup':
    case 'round':
    case 'open':
      return p.seconds + e.perTimedStep;
    case 'freshness':
      return e.freshnessSetup + p.config.strategies.length * (p.config.seconds + e.freshnessPerStrategy);
  }
}

export function scenarioPlan(config: BenchConfig): ScenarioPlan {
  const phases = scenarioPhases(config);
  return {
    scenario: config.scenario,
    config,
    phases,
    estimatedSeconds: phases.reduce((a, p) => a + phaseSeconds(p), 0),
  };
}

/** Whether a phase is timed load (shown with a progress bar and counted in the step total). */
export const isTimed = (p: Phase): p is Extract<Phase, { kind: 'warmup' | 'round' | 'open' }> =>
  p.kind === 'warmup' || p.kind === 'round' || p.kind === 'open';

/** The whole run: scenarios back to back on one infrastructure, then the freshness phase if asked for. */
export function runPlan(configs: readonly BenchConfig[], freshness: FreshnessConfig | null = null): RunPlan {
  const scenarios = configs.map(scenarioPlan);
  const phase = freshness ? { kind: 'freshness' as const, config: freshness } : null;
  const fresh = phase ? { phase, estimatedSeconds: phaseSeconds(phase) } : null;
  const estimatedSeconds =
    ESTIMATE_SECONDS.infrastructure +
    scenarios.reduce((a, s) => a + s.estimatedSeconds, 0) +
    (fresh?.estimatedSeconds ?? 0);
  return { scenarios, freshness: fresh, estimatedSeconds };
}
