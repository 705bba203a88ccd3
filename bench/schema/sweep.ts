/** The record of `authbench sweep`, types only: one full run per value of one parameter. */
import type { StrategyName } from '../../servers/strategies/index.js';
import type { Estimate, ModelResource, ResultsRecord, StrategyMap } from './results.js';

export const SWEEP_SCHEMA_VERSION = 2;

/** One candidate against the baseline at one point. */
export interface SweepComparison {
  baseline: StrategyName;
  candidate: StrategyName;
  throughputRatio: Estimate;
  p50DeltaMs: Estimate;
  p99DeltaMs: Estimate;
  /** The calibrated model's predicted ratio; null without a calibration. */
  modelRatio: number | null;
}

export interface SweepPoint {
  value: string;
  valid: boolean;
  strategies: StrategyMap<{
    requestsPerSecond: number;
    p50Ms: number;
    /** The calibrated model's prediction and its error (predicted ÷ measured − 1); null: none. */
    predictedRequestsPerSecond: number | null;
    modelError: number | null;
  }>;
  comparisons: SweepComparison[];
  /**
   * Per strategy, the costs per request the point's calibration measured (ms) and the resource
   * the model says binds; null: no calibration.
   */
  costs: StrategyMap<{
    cpuMs: number;
    poolMs: number;
    dbExecMs: number | null;
    binding: ModelResource;
  }> | null;
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
