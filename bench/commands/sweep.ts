import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchConfig } from '../config.js';
import { resolveInfra } from '../infra/index.js';
import type { ResultsRecord } from '../results.js';
import { Progress } from '../run/progress.js';
import { chartJsSource } from '../report/index.js';
import { renderSweepHtml } from '../report/sweep-html.js';
import { renderSweep, summarizeSweep, sweepConfigs } from '../sweep.js';
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
  const started = Date.now();
  const done: Array<{ value: string; record: ResultsRecord }> = [];
  try {
    for (const [i, point] of args.points.entries()) {
      const elapsed = (Date.now() - started) / 1000;
      const eta = i === 0 ? 'ETA after the first point' : `ETA ${Math.round((elapsed / i) * (args.points.length - i))} s`;
      progress.phase(`sweep point ${i + 1}/${args.points.length}: ${args.param} = ${point.value} (${eta})`);
      const { record } = await runScenario(point.config, infra, progress, command, { write: false });
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
  const table = renderSweep(sweep);
  const html = path.replace(/\.json$/, '.html');
  await writeFile(html, renderSweepHtml(sweep, await chartJsSource(), table));
  process.stdout.write(`\n${table}\nsweep results: ${path}\nsweep report: ${html}\n`);
  return { path, valid: sweep.points.every((p) => p.valid) };
}
