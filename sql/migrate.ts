import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

/** sql/schema.sql, read from the source tree: this module runs compiled from dist/sql/. */
export function schemaSql(): string {
  return readFileSync(fileURLToPath(new URL('../../sql/schema.sql', import.meta.url)), 'utf8');
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
