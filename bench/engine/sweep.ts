import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchConfig } from '../plan/config.js';
import { resolveInfra } from '../infra/index.js';
import type { ResultsRecord } from '../analysis/results.js';
import { Progress } from './progress.js';
import { describeReports, writeSweepReports } from '../output/files.js';
import { renderSweep, summarizeSweep, sweepConfigs, sweepEtaSeconds, type PointTiming } from '../plan/sweep.js';
import { runScenario } from './run.js';

export interface SweepArgs {
  scenario: string;
  param: string;
  points: Array<{ value: string; config: BenchConfig }>;
  pgUrl?: string;
  redisUrl?: string;
}

export function parseSweepArgs(base: BenchConfig, param: string, values: string, urls: { pgUrl?: string; redisUrl?: string }): SweepArgs {
  return { scenario: base.scenario, param, points: sweepConfigs(base, param, values), ...urls };
}

/**
 * `authbench sweep`: one full interleaved comparison per value, on one infrastructure; one
 * results file holds every point. Progress shows an ETA from the points done so far.
 */
export async function runSweep(args: SweepArgs, command: string): Promise<{ path: string; valid: boolean }> {
  const progress = new Progress();
  progress.phase('infrastructure');
  const infra = await resolveInfra({ pgUrl: args.pgUrl, redisUrl: args.redisUrl, log: (l) => progress.info(l) });
  progress.info(infra.description);
  const done: Array<{ value: string; record: ResultsRecord }> = [];
  const timings: PointTiming[] = [];
  try {
    for (const [i, point] of args.points.entries()) {
      const left = sweepEtaSeconds(timings, args.points.slice(i).map((p) => p.config));
      const eta = i === 0 ? `at least ${Math.round(left)} s of load in all` : `ETA ${Math.round(left)} s`;
      progress.phase(`sweep point ${i + 1}/${args.points.length}: ${args.param} = ${point.value} (${eta})`);
      const t0 = Date.now();
      const { record, seeding } = await runScenario(point.config, infra, progress, command, { write: false });
      timings.push({ config: point.config, seconds: (Date.now() - t0) / 1000, seededUsers: seeding.seededUsers, seedSeconds: seeding.seconds });
      done.push({ value: point.value, record });
    }
  } finally {
    await infra.stop();
  }
  const createdAt = new Date().toISOString();
  const sweep = summarizeSweep(args.scenario, args.param, createdAt, done);
  const dir = args.points[0]!.config.resultsDir;
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${createdAt.replace(/[:.]/g, '-')}-sweep-${args.scenario}-${args.param}.json`);
  await writeFile(path, `${JSON.stringify(sweep, null, 2)}\n`, { flag: 'wx' });
  process.stdout.write(`\n${renderSweep(sweep)}\nsweep results: ${path}\n`);
  process.stdout.write(describeReports(await writeSweepReports(sweep, path)));
  return { path, valid: sweep.points.every((p) => p.valid) };
}
