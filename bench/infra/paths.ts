import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root: the nearest folder above this module holding package.json. Modules run
 * compiled from dist/, while scenarios, the baseline and schema.sql stay in the source tree.
 */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** A compiled entry point, e.g. `compiledModule('bench/cli/bin.js')`: children are started from dist/. */
export function compiledModule(path: string): string {
  return join(projectRoot(), 'dist', path);
}
