/**
 * The plan: what a run will do, in order, with every parameter, as data (pure: config in,
 * phases out). The engine executes it; `authbench run --dry-run` prints it; a distributed load
 * engine can run the same phases later. The order of the measured rounds is decided here, not
 * while measuring.
 */
import type { StrategyName } from '../../servers/strategies/index.js';
import type { FreshnessConfig } from '../schema/freshness.js';
import type { Phase, RunPlan, ScenarioPlan, Target, TokenSourceKind } from '../schema/plan.js';
import type { BenchConfig } from '../schema/results.js';
import type { ArtilleryOptions } from './artillery.js';

/**
 * Fixed costs of the phases around the load, for the estimate. Calibrated on the 2-core
 * development machine (2026-11-26) with throwaway local Postgres and Redis: `npm run bench`
 * took 113 s for seed-regime (106 s of load) and 149 s for local (146 s of load, the dataset
 * already in place), 270 s in all. An estimate, said to be one wherever it is shown; the load
 * itself is exact.
 */
export const ESTIMATE_SECONDS = {
  /** initdb + start of Postgres and Redis, once per run. */
  infrastructure: 4,
  /** Seeding rate, users per second (100 000 users took 1.5 s). */
  seedUsersPerSecond: 60_000,
  mint: 0.5,
  /** The delay proxy and 50 idle round trips. */
  link: 0.5,
  perServer: 0.5,
  /** Per user of the verification set, every route and strategy included. */
  verifyPerUser: 0.003,
  /** Around each timed step: counters read before and after, the generator's report. */
  perTimedStep: 0.02,
  /** A freshness run: its own Postgres (logical decoding) and Redis, two datasets. */
  freshnessSetup: 8,
  /**
   * Per strategy of a freshness run, beyond its seconds: servers, recovery, the checker (three
   * strategies × 60 s took 186–194 s wall).
   */
  freshnessPerStrategy: 1,
} as const;

/** Users spread evenly over the id range, so the token set mixes roles as the dataset does. */
export function tokenUserIds(users: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => 1 + Math.floor((i * users) / count));
}

/**
 * The order of the strategies in round `round` (1-based): forward in odd rounds, reversed in
 * even ones (A B, B A, … for two), so over each pair of rounds linear drift hits every strategy
 * alike; a single round's ratio still carries it, with the sign alternating (see pairedRatios).
 */
export function roundOrder(strategies: readonly StrategyName[], round: number): StrategyName[] {
  return round % 2 === 1 ? [...strategies] : [...strategies].reverse();
}

/** Seconds the tokens must stay valid: the whole load with a wide margin. */
export function tokenTtlSeconds(c: BenchConfig): number {
  return Math.max(3600, 4 * (c.rounds * c.strategies.length * c.roundSeconds + 600));
}

/** Target mode as the plan shows it: the servers, and where the tokens come from. */
export interface TargetPlan {
  targets: Target[];
  tokens: TokenSourceKind;
}

/** The phases of one scenario, in the order the engine runs them. */
export function scenarioPhases(c: BenchConfig, target: TargetPlan | null = null): Phase[] {
  const setUp: Phase[] = target
    ? [{ kind: 'targets', targets: target.targets, tokens: target.tokens, tokenUsers: c.tokenUsers }]
    : [
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
      ];
  const phases: Phase[] = [
    ...setUp,
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
  // After the warm-ups (the code is hot), before the rounds (none of them is an input).
  if (c.calibrationSeconds > 0) {
    for (const [level, connections] of c.calibrationConnections.entries()) {
      for (const strategy of roundOrder(c.strategies, level + 1))
        phases.push({ kind: 'calibrate', strategy, seconds: c.calibrationSeconds, connections, level });
    }
  }
  for (let round = 1; round <= c.rounds; round++) {
    for (const strategy of roundOrder(c.strategies, round)) {
      phases.push({ kind: 'round', round, strategy, seconds: c.roundSeconds, connections: c.connections });
    }
  }
  // Repetitions outermost: a slow change in the machine spreads over every fraction alike.
  for (let repetition = 1; repetition <= (c.openFractions.length ? c.openRepetitions : 0); repetition++) {
    for (const [run, fraction] of c.openFractions.entries()) {
      for (const strategy of roundOrder(c.strategies, repetition))
        phases.push({
          kind: 'open',
          run,
          fraction,
          repetition,
          strategy,
          seconds: c.openSeconds,
          warmupSeconds: c.openWarmupSeconds,
        });
    }
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
    case 'targets':
      return e.mint;
    case 'link':
      return e.link;
    case 'start-servers':
      return e.perServer * p.strategies.length;
    case 'verify':
      return e.verifyPerUser * p.users * p.routes.length * p.strategies.length;
    case 'warmup':
    case 'calibrate':
    case 'round':
      return p.seconds + e.perTimedStep;
    case 'open':
      return p.warmupSeconds + p.seconds + e.perTimedStep;
    case 'freshness':
      return e.freshnessSetup + p.config.strategies.length * (p.config.seconds + e.freshnessPerStrategy);
  }
}

export function buildScenarioPlan(
  config: BenchConfig,
  target: TargetPlan | null = null,
  artillery: ArtilleryOptions | null = null,
): ScenarioPlan {
  const phases = scenarioPhases(config, target);
  return {
    scenario: config.scenario,
    config,
    phases,
    estimatedSeconds: phases.reduce((a, p) => a + phaseSeconds(p), 0) + artilleryOverhead(phases, artillery),
    stopRule: config.adaptive
      ? { minRounds: config.minRounds, maxRounds: config.rounds, targetPrecision: config.targetPrecision }
      : null,
  };
}

/**
 * On Artillery (--engine artillery), besides the load: the lead time before each of its runs (one
 * for the warm-ups and rounds, one for the open-model runs) and a guard band per slice.
 */
function artilleryOverhead(phases: readonly Phase[], artillery: ArtilleryOptions | null): number {
  if (!artillery) return 0;
  const slices = phases.filter((p) => p.kind === 'warmup' || p.kind === 'round' || p.kind === 'open');
  const runs =
    (slices.some((p) => p.kind !== 'open') ? 1 : 0) + (slices.some((p) => p.kind === 'open') ? 1 : 0);
  return runs * artillery.leadSeconds + slices.length * artillery.guardSeconds;
}

/** Whether a phase is timed load (shown with a progress bar and counted in the step total). */
export const isTimed = (p: Phase): p is Extract<Phase, { kind: 'warmup' | 'calibrate' | 'round' | 'open' }> =>
  p.kind === 'warmup' || p.kind === 'calibrate' || p.kind === 'round' || p.kind === 'open';

/** The whole run: scenarios back to back on one infrastructure, then the freshness phase if asked for. */
export function buildRunPlan(
  configs: readonly BenchConfig[],
  freshness: FreshnessConfig | null = null,
  target: TargetPlan | null = null,
  artillery: ArtilleryOptions | null = null,
): RunPlan {
  const scenarios = configs.map((c, i) => {
    const plan = buildScenarioPlan(c, target, artillery);
    if (target) return plan;
    // The dataset the scenario before seeded is found in place: no seeding time.
    const before = configs[i - 1];
    const inPlace = before !== undefined && before.users === c.users && before.seed === c.seed;
    return inPlace
      ? { ...plan, estimatedSeconds: plan.estimatedSeconds - c.users / ESTIMATE_SECONDS.seedUsersPerSecond }
      : plan;
  });
  const phase = freshness ? { kind: 'freshness' as const, config: freshness } : null;
  const fresh = phase ? { phase, estimatedSeconds: phaseSeconds(phase) } : null;
  const estimatedSeconds =
    (target ? 0 : ESTIMATE_SECONDS.infrastructure) +
    scenarios.reduce((a, s) => a + s.estimatedSeconds, 0) +
    (fresh?.estimatedSeconds ?? 0);
  return { scenarios, freshness: fresh, estimatedSeconds };
}
