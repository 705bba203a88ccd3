import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type { ResultsRecord } from '../results.js';
import { chartSpecs } from './charts.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { renderPngs } from './png.js';

export interface ReportFiles {
  html: string;
  markdown: string;
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
  const dir = dirname(resultsPath);
  const base = basename(resultsPath).replace(/\.json$/, '');
  const html = join(dir, `${base}.html`);
  await writeFile(html, renderHtml(record, await chartJsSource()));
  const outcome = await renderPngs(chartSpecs(record));
  const pngs: Record<string, string> = {};
  for (const [id, buffer] of Object.entries(outcome.rendered)) {
    const file = `${base}-${id}.png`;
    await writeFile(join(dir, file), buffer);
    pngs[id] = file;
  }
  const markdown = join(dir, `${base}.md`);
  await writeFile(markdown, renderMarkdown(record, pngs));
  return { html, markdown, pngs: Object.values(pngs).map((f) => join(dir, f)), pngFailures: outcome.failures };
}

/** Reads a results file, checking it is one this version can render. */
export async function readResults(path: string): Promise<ResultsRecord> {
  let record: ResultsRecord;
  try {
    record = JSON.parse(await readFile(path, 'utf8')) as ResultsRecord;
  } catch (err) {
    throw new Error(`cannot read results file ${path}: ${(err as Error).message}`);
  }
  if (record?.schemaVersion !== 1 || typeof record.strategies !== 'object') {
    throw new Error(`${path} is not an authbench results file (schemaVersion 1)`);
  }
  return record;
}

/** What was written, and which PNGs were not, for the terminal. */
export function describeReports(files: ReportFiles): string {
  const lines = [`report: ${files.html}`, `summary: ${files.markdown}`, ...files.pngs.map((p) => `chart: ${p}`)];
  for (const f of files.pngFailures) lines.push(`not rendered: ${f.id}.png — ${f.reason}`);
  return `${lines.join('\n')}\n`;
}
