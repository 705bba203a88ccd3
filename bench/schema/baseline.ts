/** The CI gate's committed thresholds (bench/baseline.json), types only: ratios and counts, never absolute req/s. */
export interface Baseline {
  schemaVersion: 1;
  baseline: string;
  candidate: string;
  queriesPerRequest: Record<string, number>;
  redisCommandsPerRequest: Record<string, number>;
  maxInvalidRounds: number;
  /** The 95% CI lower bound of candidate/baseline throughput must not fall below this. */
  minThroughputRatioLowerBound: number;
  /** Candidate p99 / baseline p99 must not exceed this. */
  maxP99LatencyRatio: number;
}
