/**
 * The committed records: results.json and sweep.json were written by schemaVersion 1; every
 * test reads them through the same upgrade `authbench report` and `compare` use.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRecord } from '../../bench/analysis/upgrade.js';
import { projectRoot } from '../../bench/infra/paths.js';
import type { ResultsRecord } from '../../bench/schema/results.js';
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
