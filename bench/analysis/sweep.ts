/** Folds a sweep's points (one full record each) into the sweep record (pure). */
import type { StrategyName } from '../../servers/strategies/index.js';
import type { ResultsRecord, StrategyMap } from '../schema/results.js';
import { SWEEP_SCHEMA_VERSION, type SweepPoint, type SweepRecord } from '../schema/sweep.js';
import { CLAIMED_LATENCY_GAIN_MS } from './claims.js';

function point(value: string, record: ResultsRecord): SweepPoint {
  const model = record.model;
  const strategies: SweepPoint['strategies'] = {};
  for (const [name, s] of Object.entries(record.strategies) as Array<
    [StrategyName, NonNullable<ResultsRecord['strategies'][StrategyName]>]
  >) {
    strategies[name] = {
      requestsPerSecond: s.throughput.median,
      p50Ms: s.latencyMs.p50,
      predictedRequestsPerSecond: model?.predicted[name]?.requestsPerSecond ?? null,
      modelError: model?.error[name] ?? null,
    };
  }
  let costs: SweepPoint['costs'] = null;
  if (model) {
    costs = {};
    for (const [name, c] of Object.entries(model.calibration.strategies) as Array<
      [StrategyName, NonNullable<(typeof model.calibration.strategies)[StrategyName]>]
    >) {
      const p = model.predicted[name];
      if (!p) continue;
      // The demands the model used: the ramp's lowest CPU, the unloaded hold.
      costs[name] = { cpuMs: p.cpuMs, poolMs: c.poolMs, dbExecMs: c.dbExecMs, binding: p.binding };
    }
  }
  return {
    value,
    valid: record.valid,
    strategies,
    comparisons: record.comparisons.map((c) => ({
      baseline: c.baseline,
      candidate: c.candidate,
      throughputRatio: { median: c.throughputRatio.median, ci95: c.throughputRatio.ci95 },
      p50DeltaMs: c.p50DeltaMs,
      p99DeltaMs: c.p99DeltaMs,
      modelRatio: model?.predicted.gains[c.candidate] ?? null,
    })),
    costs,
  };
}

export function summarizeSweep(
  scenario: string,
  param: string,
  createdAt: string,
  points: ReadonlyArray<{ value: string; record: ResultsRecord }>,
): SweepRecord {
  const summarized = points.map((p) => point(p.value, p.record));
  const candidates = [...new Set(summarized.flatMap((p) => p.comparisons.map((c) => c.candidate)))];
  const reached: StrategyMap<string | null> = {};
  for (const name of candidates) {
    const at = summarized.find((p) => {
      const c = p.comparisons.find((x) => x.candidate === name);
      return c !== undefined && c.p50DeltaMs.ci95[1] <= -CLAIMED_LATENCY_GAIN_MS;
    });
    reached[name] = at?.value ?? null;
  }
  return {
    schemaVersion: SWEEP_SCHEMA_VERSION,
    kind: 'sweep',
    scenario,
    param,
    createdAt,
    points: summarized,
    latencyClaimReachedAt: reached,
    records: points.map((p) => p.record),
  };
}
