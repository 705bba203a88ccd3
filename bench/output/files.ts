/**
 * The writers and readers of results files and the reports beside them; with run-folder.ts (one
 * run's folder), the only file I/O of output/.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type { ResultsRecord } from '../schema/results.js';
import { readRecord } from '../analysis/upgrade.js';
import type { SweepRecord } from '../schema/sweep.js';
import { toBencherMetricFormat, toGithubActionBenchmark } from './exports.js';
import { renderSweep } from './sweep-text.js';
import { chartSpecs } from './charts.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { renderPngs } from './png.js';
import { renderSweepHtml, sweepChartSpecs } from './sweep-html.js';

export interface ReportFiles {
  html: string;
  markdown?: string;
  pngs: string[];
  /** Charts that could not be rendered as PNG, and why. */
  pngFailures: Array<{ id: string; reason: string }>;
}

/** Chart.js's UMD build from the installed package, for inlining. */
export async function chartJsSource(): Promise<string> {
  // chart.js's "exports" hide package.json; its CommonJS entry lives in dist/ next to the UMD build.
  const require = createRequire(import.meta.url);
  return readFile(join(dirname(require.resolve('chart.js')), 'chart.umd.js'), 'utf8');
}

/**
 * Writes <base>.html, <base>-<chart>.png and <base>.md next to a results file, from the
 * record alone. PNGs that cannot be rendered are listed, not fatal.
 */
export async function writeReports(record: ResultsRecord, resultsPath: string): Promise<ReportFiles> {
  const { dir, base, html } = siblings(resultsPath);
  await writeFile(html, renderHtml(record, await chartJsSource()));
  const { pngs, failures } = await writePngs(chartSpecs(record), dir, base);
  const markdown = join(dir, `${base}.md`);
  await writeFile(markdown, renderMarkdown(record, pngs));
  return { html, markdown, pngs: Object.values(pngs).map((f) => join(dir, f)), pngFailures: failures };
}

/** The same for a sweep: <base>.html and one PNG per chart (gain with the model, p50, p99, costs). */
export async function writeSweepReports(sweep: SweepRecord, sweepPath: string): Promise<ReportFiles> {
  const { dir, base, html } = siblings(sweepPath);
  await writeFile(html, renderSweepHtml(sweep, await chartJsSource(), renderSweep(sweep)));
  const { pngs, failures } = await writePngs(sweepChartSpecs(sweep), dir, base);
  return { html, pngs: Object.values(pngs).map((f) => join(dir, f)), pngFailures: failures };
}

function siblings(path: string): { dir: string; base: string; html: string } {
  const dir = dirname(path);
  const base = basename(path).replace(/\.json$/, '');
  return { dir, base, html: join(dir, `${base}.html`) };
}

/** Renders charts into `dir` as <base>-<id>.png (<id>.png without a base); chart id → file name. */
export async function writePngs(
  specs: ReadonlyArray<{ id: string; config: Record<string, unknown> }>,
  dir: string,
  base = '',
): Promise<{ pngs: Record<string, string>; failures: ReportFiles['pngFailures'] }> {
  const outcome = await renderPngs(specs);
  const pngs: Record<string, string> = {};
  for (const [id, buffer] of Object.entries(outcome.rendered)) {
    const file = base ? `${base}-${id}.png` : `${id}.png`;
    await writeFile(join(dir, file), buffer);
    pngs[id] = file;
  }
  return { pngs, failures: outcome.failures };
}

/** Reads a results or sweep file of any version this code knows, upgraded to the current schema. */
export async function readReportable(path: string): Promise<ReturnType<typeof readRecord>> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read results file ${path}: ${(err as Error).message}`);
  }
  try {
    return readRecord(data);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
}

/** Reads a results file (one run), upgraded to the current schema. */
export async function readResults(path: string): Promise<ResultsRecord> {
  const file = await readReportable(path);
  if (file.kind !== 'run') throw new Error(`${path} is a sweep file, not the results of one run`);
  return file.record;
}

/** results/<timestamp>-sweep-<scenario>-<param>.json, never over an existing file. */
export async function writeSweep(sweep: SweepRecord, dir: string): Promise<string> {
  return writeNew(
    dir,
    `${stamp(sweep.createdAt)}-sweep-${sweep.scenario}-${sweep.param}`,
    `${JSON.stringify(sweep, null, 2)}\n`,
  );
}

/** A file name safe timestamp: 2026-11-26T02-32-03-123Z. */
export const stamp = (iso: string): string => iso.replace(/[:.]/g, '-');

/** `<dir>/<base>.json`, or `<base>-2.json`, `-3`, … when taken: results are never overwritten. */
export async function writeNew(dir: string, base: string, text: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (let n = 1; ; n++) {
    const path = join(dir, n === 1 ? `${base}.json` : `${base}-${n}.json`);
    try {
      await writeFile(path, text, { flag: 'wx' });
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** Writes the trend-tracking exports (Bencher, github-action-benchmark) next to a results file. */
export async function writeExports(record: ResultsRecord, resultsPath: string): Promise<string[]> {
  const base = resultsPath.replace(/\.json$/, '');
  const gab = toGithubActionBenchmark(record);
  const files: Array<[string, unknown]> = [
    [`${base}.bencher.json`, toBencherMetricFormat(record)],
    [`${base}.gab-bigger.json`, gab.biggerIsBetter],
    [`${base}.gab-smaller.json`, gab.smallerIsBetter],
  ];
  for (const [file, data] of files) await writeFile(file, `${JSON.stringify(data, null, 2)}\n`);
  return files.map(([file]) => file);
}

/** What was written, and which PNGs were not, for the terminal. */
export function describeReports(files: ReportFiles): string {
  const lines = [
    `report: ${files.html}`,
    ...(files.markdown ? [`summary: ${files.markdown}`] : []),
    ...files.pngs.map((p) => `chart: ${p}`),
  ];
  for (const f of files.pngFailures) lines.push(`not rendered: ${f.id}.png — ${f.reason}`);
  return `${lines.join('\n')}\n`;
}
