import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type { ResultsRecord } from '../analysis/results.js';
import { renderSweep, type SweepRecord } from '../plan/sweep.js';
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

async function writePngs(specs: ReadonlyArray<{ id: string; config: Record<string, unknown> }>, dir: string, base: string)
  : Promise<{ pngs: Record<string, string>; failures: ReportFiles['pngFailures'] }> {
  const outcome = await renderPngs(specs);
  const pngs: Record<string, string> = {};
  for (const [id, buffer] of Object.entries(outcome.rendered)) {
    const file = `${base}-${id}.png`;
    await writeFile(join(dir, file), buffer);
    pngs[id] = file;
  }
  return { pngs, failures: outcome.failures };
}

/** Reads a results or sweep file, checking it is one this version can render. */
export async function readReportable(path: string): Promise<{ kind: 'run'; record: ResultsRecord } | { kind: 'sweep'; sweep: SweepRecord }> {
  let data: Partial<ResultsRecord & SweepRecord> & { kind?: string };
  try {
    data = JSON.parse(await readFile(path, 'utf8')) as typeof data;
  } catch (err) {
    throw new Error(`cannot read results file ${path}: ${(err as Error).message}`);
  }
  if (data?.schemaVersion === 1 && data.kind === 'sweep' && Array.isArray(data.points)) return { kind: 'sweep', sweep: data as SweepRecord };
  if (data?.schemaVersion !== 1 || typeof data.strategies !== 'object') {
    throw new Error(`${path} is not an authbench results or sweep file (schemaVersion 1)`);
  }
  return { kind: 'run', record: data as ResultsRecord };
}

/** Reads a results file (one run), checking it is one this version can read. */
export async function readResults(path: string): Promise<ResultsRecord> {
  const file = await readReportable(path);
  if (file.kind !== 'run') throw new Error(`${path} is a sweep file, not the results of one run`);
  return file.record;
}

/** What was written, and which PNGs were not, for the terminal. */
export function describeReports(files: ReportFiles): string {
  const lines = [`report: ${files.html}`, ...(files.markdown ? [`summary: ${files.markdown}`] : []), ...files.pngs.map((p) => `chart: ${p}`)];
  for (const f of files.pngFailures) lines.push(`not rendered: ${f.id}.png — ${f.reason}`);
  return `${lines.join('\n')}\n`;
}
