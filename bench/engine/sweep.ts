/**
 * `authbench sweep`: one full interleaved comparison per value, on one infrastructure; one
 * results file holds every point. Progress shows an ETA from the points done so far.
 */
import { summarizeSweep } from '../analysis/sweep.js';
import { resolveInfra } from '../infra/index.js';
import { buildScenarioPlan } from '../plan/plan.js';
import { sweepEtaSeconds, type PointTiming, type SweepArgs } from '../plan/sweep.js';
import type { ResultsRecord } from '../schema/results.js';
import type { SweepRecord } from '../schema/sweep.js';
import { Progress } from './progress.js';
import { executeScenario } from './run.js';

export async function executeSweep(
  args: SweepArgs,
  command: string,
  progress = new Progress(),
): Promise<SweepRecord> {
  progress.phase('infrastructure');
  const infra = await resolveInfra({
    pgUrl: args.pgUrl,
    redisUrl: args.redisUrl,
    log: (l) => progress.info(l),
  });
  progress.info(infra.description);
  const done: Array<{ value: string; record: ResultsRecord }> = [];
  const timings: PointTiming[] = [];
  try {
    for (const [i, point] of args.points.entries()) {
      const left = sweepEtaSeconds(
        timings,
        args.points.slice(i).map((p) => p.config),
      );
      const eta = i === 0 ? `at least ${Math.round(left)} s of load in all` : `ETA ${Math.round(left)} s`;
      progress.phase(`sweep point ${i + 1}/${args.points.length}: ${args.param} = ${point.value} (${eta})`);
      const t0 = Date.now();
      const { record, seeding } = await executeScenario(
        buildScenarioPlan(point.config),
        infra,
        progress,
        command,
      );
      timings.push({
        config: point.config,
        seconds: (Date.now() - t0) / 1000,
        seededUsers: seeding.seededUsers,
        seedSeconds: seeding.seconds,
      });
      done.push({ value: point.value, record });
    }
  } finally {
    await infra.stop();
  }
  return summarizeSweep(args.scenario, args.param, new Date().toISOString(), done);
}
