/**
 * The plan handed to Artillery, types only: written as plan.json by `authbench export artillery`
 * (and by `run --engine artillery`), read by the processor on every worker (it runs the slices)
 * and by `authbench import artillery` (it turns the report back into a results record).
 * The processor (bench/engine/load/artillery-processor.cts) reads `planId`, `t0Ms`, `path`,
 * `timeoutSeconds`, `workers`, `vusPerWorker` and `slices`; keep those names.
 */
import type { StrategyName } from '../../servers/strategies/index.js';
import type { BenchConfig, Environment, MeasuredCosts, StrategyMap } from './results.js';

/** The newest Artillery that runs on Node 20 (2.0.23 on want Node ≥ 22.13). */
export const ARTILLERY_VERSION = '2.0.20';

/**
 * How to install it where this machine's Node can run it: without the browser download, and
 * with TypeScript 5 beside it (npm otherwise resolves TypeScript 7 for a parser of Artillery's,
 * and its CLI fails with "Cannot read properties of undefined (reading 'BarBarToken')").
 */
export const ARTILLERY_INSTALL = `PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix ~/.authbench/artillery artillery@${ARTILLERY_VERSION} typescript@5.9.3`;

/**
 * One time slice of the plan: one strategy's servers for a warm-up, a closed-model round or an
 * open-model run. Times are ms after t0. Nothing is counted before `measureFromMs` (the guard
 * band: the slice before drains, workers' clocks differ) nor after `endMs`.
 */
export interface ArtillerySlice {
  /** The metric names' prefix, `authbench.<id>.`: round and strategy, unique in the plan. */
  id: string;
  kind: 'warmup' | 'round' | 'open';
  strategy: StrategyName;
  /** Rounds: 1-based; warm-ups 0; open runs: the plan's repetition. */
  round: number;
  startMs: number;
  measureFromMs: number;
  endMs: number;
  /** The strategy's servers: virtual user i sends to urls[i % length]. */
  urls: string[];
  /** Open runs: requests per second of every worker together, and which fraction (plan numbering). */
  open: { run: number; fraction: number; targetRps: number } | null;
}

/** plan.json: the slices, and what import needs to build the same record `authbench run` would. */
export interface ArtilleryPlan {
  kind: 'authbench-artillery-plan';
  version: 1;
  /** Random: every virtual user counts `authbench.plan.<planId>`, so a report of another plan is refused. */
  planId: string;
  createdAt: string;
  /** The shared start, ms since the epoch; a worker's AUTHBENCH_T0_MS overrides it (a later launch). */
  t0Ms: number;
  leadSeconds: number;
  guardSeconds: number;
  /**
   * Artillery workers that each run the whole script (run-fargate --count): connections and rates
   * are split over them.
   */
  workers: number;
  /** Virtual users per worker: the closed model's connections ÷ workers. */
  vusPerWorker: number;
  path: string;
  timeoutSeconds: number;
  slices: ArtillerySlice[];
  /** The scenario's configuration (engine: artillery), as a record of `authbench run` holds it. */
  config: BenchConfig;
  /** The verification pass export ran against the servers (bench/analysis/build-record.ts reads it). */
  verification: {
    comparedResponses: number;
    routes: string[];
    costs: StrategyMap<MeasuredCosts>;
    warnings: string[];
  };
  env: Environment;
  command: string;
  linkRoundTripMs: number | null;
}

/** What one slice's metrics were called; the processor builds the same names. */
export const sliceMetric = (id: string, name: string): string => `authbench.${id}.${name}`;
