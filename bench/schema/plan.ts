/**
 * A plan, types only: what a run will do, in order, with every parameter — produced by a pure
 * function from the config (bench/plan/plan.ts), printed by `authbench run --dry-run`, and
 * executed phase by phase by the engine. Nothing in it depends on a measurement, except the
 * open-model rates, which are fractions of the baseline's measured median.
 */
import type { JwtVerifyVariant } from '../../servers/jwt.js';
import type { StrategyName } from '../../servers/strategies/index.js';
import type { FreshnessConfig } from './freshness.js';
import type { BenchConfig } from './results.js';

/** One strategy's servers in target mode: one URL, or its replicas (load spread, counts summed). */
export interface Target {
  strategy: StrategyName;
  urls: string[];
}

/** Where target mode's tokens come from (bench/plan/targets.ts); never the tokens or a secret. */
export type TokenSourceKind = 'file' | 'mint' | 'server';

export type Phase =
  | { kind: 'seed'; users: number; seed: number }
  /**
   * Target mode, in place of seed, mint, link and start-servers: servers already running; the
   * tokens from a file, minted from their database's claims, or from their /auth/token.
   */
  | { kind: 'targets'; targets: Target[]; tokens: TokenSourceKind; tokenUsers: number }
  | { kind: 'mint'; tokenUsers: number; ttlSeconds: number }
  /** The servers' database link: a delay proxy when dbDelayMs > 0, and the idle round trip measured. */
  | { kind: 'link'; dbDelayMs: number }
  | {
      kind: 'start-servers';
      strategies: StrategyName[];
      poolSize: number;
      jwtVerify: JwtVerifyVariant;
      serverCpu: BenchConfig['serverCpu'];
    }
  | { kind: 'verify'; users: number; routes: string[]; measuredRoute: string; strategies: StrategyName[] }
  | { kind: 'warmup'; strategy: StrategyName; seconds: number; connections: number }
  /** The model's calibration: a few connections, where nothing queues (bench/analysis/model.ts). */
  /** `level` 0 is the first level of connections, 1 the second. */
  | { kind: 'calibrate'; strategy: StrategyName; seconds: number; connections: number; level: number }
  | { kind: 'round'; round: number; strategy: StrategyName; seconds: number; connections: number }
  /** At `fraction` of the baseline's median req/s over the valid rounds. */
  /** `run` numbers the fractions given (even when fractions repeat); `repetition` from 1. */
  | {
      kind: 'open';
      run: number;
      fraction: number;
      repetition: number;
      strategy: StrategyName;
      seconds: number;
      warmupSeconds: number;
    }
  | { kind: 'freshness'; config: FreshnessConfig };

export type PhaseKind = Phase['kind'];

export interface ScenarioPlan {
  scenario: string;
  config: BenchConfig;
  phases: Phase[];
  /**
   * Seconds this scenario is expected to take, overheads included (an estimate, see plan.ts); with
   * adaptive rounds, the most it can take.
   */
  estimatedSeconds: number;
  /** Adaptive rounds: the round phases after the stop are skipped (bench/analysis/adaptive.ts); null: all run. */
  stopRule: { minRounds: number; maxRounds: number; targetPrecision: number } | null;
}

export interface RunPlan {
  scenarios: ScenarioPlan[];
  /** The freshness phase, run before the scenarios (their records carry its results), or null. */
  freshness: { phase: Extract<Phase, { kind: 'freshness' }>; estimatedSeconds: number } | null;
  estimatedSeconds: number;
}
