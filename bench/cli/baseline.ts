import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../infra/paths.js';
import { toBencherMetricFormat, toGithubActionBenchmark } from '../output/exports.js';
import { UsageError } from '../plan/usage.js';
import { parseBaseline, type Baseline } from '../analysis/gate.js';
import type { ResultsRecord } from '../analysis/results.js';

export const DEFAULT_BASELINE = join(projectRoot(), 'bench', 'baseline.json');

/** Read and checked before anything starts: a bad baseline is a usage error (exit 2). */
export async function loadBaseline(path: string): Promise<Baseline> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--baseline must name a readable file (got ${JSON.stringify(path)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return parseBaseline(text, path);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Writes the trend-tracking exports next to a results file. */
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

export function describeExports(files: readonly string[]): string {
  return files.map((f) => `export: ${f}`).join('\n');
}
