import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResultsRecord } from '../analysis/results.js';

/**
 * Writes results/<timestamp>-<scenario>.json (never over an existing file: 'wx') and then
 * results/latest.json by rename, so a reader never sees a half-written latest.json.
 */
export async function writeResults(record: ResultsRecord, dir: string): Promise<{ path: string; latest: string }> {
  await mkdir(dir, { recursive: true });
  const stamp = record.createdAt.replace(/[:.]/g, '-');
  const text = `${JSON.stringify(record, null, 2)}\n`;
  let path = join(dir, `${stamp}-${record.scenario}.json`);
  for (let n = 2; ; n++) {
    try {
      await writeFile(path, text, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      path = join(dir, `${stamp}-${record.scenario}-${n}.json`);
    }
  }
  const latest = join(dir, 'latest.json');
  const tmp = `${latest}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, latest);
  return { path, latest };
}
