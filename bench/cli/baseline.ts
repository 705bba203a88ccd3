import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseBaseline, type Baseline } from '../analysis/gate.js';
import { projectRoot } from '../infra/paths.js';
import { UsageError } from '../plan/usage.js';

export const DEFAULT_BASELINE = join(projectRoot(), 'bench', 'baseline.json');

/** Read and checked before anything starts: a bad baseline is a usage error (exit 2). */
export async function loadBaseline(path: string): Promise<Baseline> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UsageError(`--baseline must name a readable file (got ${JSON.stringify(path)}: ${why})`);
  }
  try {
    return parseBaseline(text, path);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
