/** The record of `authbench sweep`, types only: one full run per value of one parameter. */
import type { StrategyName } from '../../servers/strategies/index.js';
import type { Estimate, Resource, ResultsRecord, StrategyMap } from './results.js';

export const SWEEP_SCHEMA_VERSION = 2;

/** One candidate against the baseline at one point. */
export interface SweepComparison {
  baseline: StrategyName;
  candidate: StrategyName;
  throughputRatio: Estimate;
  p50DeltaMs: Estimate;
  p99DeltaMs: Estimate;
  /** The cost model's predicted ratio; null where its costs were not measured. */
  modelRatio: number | null;
}

export interface SweepPoint {
  value: string;
  valid: boolean;
  strategies: StrategyMap<{ requestsPerSecond: number; p50Ms: number }>;
  comparisons: SweepComparison[];
  /** Per strategy, the model's costs per request (ms) and the resource that binds; null: not measured. */
  costs: StrategyMap<{ cpuMs: number; poolMs: number; dbExecMs: number | null; binding: Resource }> | null;
}

export interface SweepRecord {
  schemaVersion: typeof SWEEP_SCHEMA_VERSION;
  kind: 'sweep';
  scenario: string;
  param: string;
  createdAt: string;
  points: SweepPoint[];
  /** Per candidate, the first value at which its p50 is ≥ 80 ms lower (CI upper bound), or null. */
  latencyClaimReachedAt: StrategyMap<string | null>;
  /** Every point's full record. */
  records: ResultsRecord[];
}
