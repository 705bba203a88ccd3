import { pg } from '../../../sql/pg-types.js';
import { parseChangeLine, type WalRow } from '../../analysis/freshness/wal.js';
import { RBAC_TABLES } from '../../analysis/freshness/model.js';

const SLOT = 'authbench_freshness';

/**
 * Reads every committed change to the RBAC tables back from Postgres' WAL through a logical
 * replication slot (test_decoding): the checker's ground truth, independent of the triggers
 * under test. Rows are kept raw (commit times are mapped onto the phase clock at the end); rows
 * of users outside the probed set are dropped as they arrive, so a revocation of everyone does
 * not fill memory.
 */
export class WalReader {
  readonly rows: WalRow[] = [];

  private constructor(
    private readonly client: pg.Client,
    private readonly probed: ReadonlySet<number>,
  ) {}

  /** Creates the slot: changes committed from now on are decoded. */
  static async open(pgUrl: string, probed: ReadonlySet<number>): Promise<WalReader> {
    const client = new pg.Client({ connectionString: pgUrl, application_name: 'authbench-freshness-wal' });
    await client.connect();
    try {
      await client.query(
        `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`,
        [SLOT],
      );
      await client.query(`SELECT pg_create_logical_replication_slot($1, 'test_decoding')`, [SLOT]);
    } catch (err) {
      await client.end().catch(() => {});
      throw new Error(
        `cannot start logical decoding (the freshness phase needs wal_level = logical and test_decoding): ${(err as Error).message}`,
      );
    }
    return new WalReader(client, probed);
  }

  async poll(): Promise<void> {
    const { rows } = await this.client.query<{ lsn: string; xid: string; data: string }>(
      `SELECT lsn::text, xid::text, data FROM pg_logical_slot_get_changes($1, NULL, NULL,
         'include-xids', '1', 'include-timestamp', '1', 'skip-empty-xacts', '1')`,
      [SLOT],
    );
    for (const row of rows) if (this.relevant(row.data)) this.rows.push(row);
  }

  async close(): Promise<void> {
    await this.client.query('SELECT pg_drop_replication_slot($1)', [SLOT]).catch(() => {});
    await this.client.end().catch(() => {});
  }

  private relevant(data: string): boolean {
    if (!data.startsWith('table ')) return true; // BEGIN / COMMIT
    if (!RBAC_TABLES.some((t) => data.includes(`public.${t}`))) return false;
    if (!data.startsWith('table public.users:') && !data.startsWith('table public.user_roles:')) return true;
    if (data.includes(': TRUNCATE:')) return true;
    return parseChangeLine(data).some((c) => {
      const ids = [c.old?.id, c.old?.user_id, c.new?.id, c.new?.user_id];
      return ids.some((id) => typeof id === 'number' && this.probed.has(id));
    });
  }
}
