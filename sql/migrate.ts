import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import type pg from 'pg';

/**
 * The package root: the nearest folder above this module holding package.json. Modules run
 * compiled from dist/, while schema.sql stays in sql/ for people to read and psql -f.
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

export function schemaSql(): string {
  return readFileSync(join(projectRoot(), 'sql', 'schema.sql'), 'utf8');
}

/**
 * Applies sql/schema.sql (idempotent). An advisory lock keeps concurrent migrations (two
 * processes starting at once) from racing on CREATE ... IF NOT EXISTS; lock, migration and
 * unlock must share one session, hence one client.
 */
export async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(872354001)');
    try {
      await client.query(schemaSql());
    } finally {
      await client.query('SELECT pg_advisory_unlock(872354001)');
    }
  } finally {
    client.release();
  }
}
