/**
 * `authbench import artillery`: an Artillery report and the plan it ran, back into the results
 * record `authbench run` writes, so the usual statistics, reports, compare and the CI gate apply.
 */
import { readFile } from 'node:fs/promises';
import { buildResults } from '../analysis/build-record.js';
import type { ResultsRecord } from '../schema/results.js';
import { readArtilleryPlan } from './load/artillery.js';
import { importArtilleryReport } from './load/artillery-report.js';

export async function importArtilleryRun(
  reportPath: string,
  planDir: string,
  command: string,
): Promise<ResultsRecord> {
  const plan = await readArtilleryPlan(planDir);
  let report: unknown;
  try {
    report = JSON.parse(await readFile(reportPath, 'utf8'));
  } catch (err) {
    throw new Error(`${reportPath}: not a readable JSON report (${(err as Error).message})`);
  }
  const imported = importArtilleryReport(report, plan);
  return buildResults({
    config: plan.config,
    env: plan.env,
    verification: plan.verification,
    warmup: imported.warmup,
    rounds: imported.rounds,
    openModel: imported.openModel,
    createdAt: new Date().toISOString(),
    // From t0 to the last slice's end: the load's own duration (export and launch were elsewhere).
    wallSeconds: (plan.slices.at(-1)?.endMs ?? 0) / 1000,
    command: plan.command ? `${plan.command}; ${command}` : command,
    linkRoundTripMs: plan.linkRoundTripMs,
    calibration: null,
    freshness: null,
  });
}
