/**
 * The committed records: results.json and sweep.json were written by schemaVersion 1,
 * results-model.json and sweep-model.json by version 2 with the calibrated model; every test
 * reads them through the same upgrade `authbench report` and `compare` use.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRecord } from '../../bench/analysis/upgrade.js';
import { projectRoot } from '../../bench/infra/paths.js';
import type { ResultsRecord, StrategyFreshness } from '../../bench/schema/results.js';
import type { SweepRecord } from '../../bench/schema/sweep.js';

export const RESULTS_V1 = join(projectRoot(), 'test', 'fixtures', 'data', 'results.json');
export const SWEEP_V1 = join(projectRoot(), 'test', 'fixtures', 'data', 'sweep.json');

export const rawJson = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

export function resultsFixture(): ResultsRecord {
  const file = readRecord(rawJson(RESULTS_V1));
  if (file.kind !== 'run') throw new Error('results.json is not a run record');
  return file.record;
}

export function sweepFixture(): SweepRecord {
  const file = readRecord(rawJson(SWEEP_V1));
  if (file.kind !== 'sweep') throw new Error('sweep.json is not a sweep record');
  return file.sweep;
}

const freshness = (staleAccepted: number, maxStalenessMs: number | null): StrategyFreshness => ({
  staleAccepted,
  maxStalenessMs,
  revocationLatencyMs: null,
  declared: { apiMs: 0, sqlMs: 1000 },
  lockouts: 0,
  crashes: 0,
  pass: staleAccepted === 0,
  onRedisLoss: null,
  onPostgresLoss: null,
  record: 'f.json',
});

/** The committed record as a matrix run would write it: × ceiling and freshness per strategy. */
export function matrixFixture(scenario = 'local'): ResultsRecord {
  const r = resultsFixture();
  r.scenario = scenario;
  r.strategies['db-lookup']!.ceilingRatio = { median: 0.7, ci95: [0.65, 0.75], pairs: 20 };
  r.strategies['db-lookup']!.freshness = freshness(0, null);
  r.strategies['jwt-redis']!.ceilingRatio = { median: 0.712, ci95: [0.65, 0.8], pairs: 20 };
  r.strategies['jwt-redis']!.freshness = freshness(0, 142.26);
  r.strategies['jwt-only'] = {
    ...r.strategies['jwt-redis']!,
    ceilingRatio: { median: 0.9, ci95: [0.86, 0.94], pairs: 20 },
  };
  r.strategies['jwt-only']!.freshness = freshness(8329, 29_000);
  return r;
}

/** A record with the calibrated model: the seed-regime point of a real connections sweep. */
export const MODEL_FIXTURE = join(projectRoot(), 'test', 'fixtures', 'data', 'results-model.json');

export function modelFixture(): ResultsRecord {
  const file = readRecord(rawJson(MODEL_FIXTURE));
  if (file.kind !== 'run') throw new Error('results-model.json is not a run record');
  return file.record;
}

/** A sweep with the calibrated model at every point (a real connections sweep, two strategies). */
export const MODEL_SWEEP_FIXTURE = join(projectRoot(), 'test', 'fixtures', 'data', 'sweep-model.json');

export function modelSweepFixture(): SweepRecord {
  const file = readRecord(rawJson(MODEL_SWEEP_FIXTURE));
  if (file.kind !== 'sweep') throw new Error('sweep-model.json is not a sweep record');
  return file.sweep;
}
