import { pg } from '../../sql/pg-types.js';
import type { NamedQuery } from '../../sql/queries.js';
import type { Metrics } from '../metrics.js';

/** Channel the schema's revocation triggers notify on commit (sql/schema.sql). */
export const REVOCATION_CHANNEL = 'authbench_revocation';
const RETRY_MS = 200;

/**
 * One dedicated Postgres connection per server for revocation bookkeeping: it LISTENs for
 * revocations and runs the applier's queries, never waiting behind requests for a pool slot.
 * It reconnects by itself; while it is down queries reject at once, so the freshness lease is
 * not renewed and requests fail closed.
 */
export class BackgroundConnection {
  private client: pg.Client | undefined;
  private ready = false;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly metrics: Metrics,
    private readonly onNotify: () => void,
    private readonly timeoutMs = 1000,
  ) {}

  start(): void {
    void this.connect();
  }

  get connected(): boolean {
    return this.ready;
  }

  async query<R extends pg.QueryResultRow>(q: NamedQuery, values: unknown[] = []): Promise<R[]> {
    const client = this.client;
    if (!client || !this.ready) throw new Error('the revocation connection to Postgres is down');
    this.metrics.countBackground(q.name);
    try {
      const result = await client.query<R>({ name: q.name, text: q.text, values });
      return result.rows;
    } catch (err) {
      // A timed-out or broken connection cannot be trusted to pair the next reply with the next
      // query: start over. A plain SQL error leaves it usable.
      const code = (err as { code?: unknown }).code;
      if (typeof code !== 'string' || code === '57014' || /^(08|57)/.test(code)) this.drops.get(client)?.();
      throw err;
    }
  }

  /** Per client: a timeout on an old connection must not drop its replacement. */
  private readonly drops = new WeakMap<pg.Client, () => void>();

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.ready = false;
    await this.client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'authbench-server',
      connectionTimeoutMillis: 2000,
      query_timeout: this.timeoutMs,
      statement_timeout: this.timeoutMs,
    });
    this.client = client;
    let gone = false;
    const again = (): void => {
      if (gone) return;
      gone = true;
      this.ready = false;
      client.end().catch(() => {});
      if (!this.stopped)
        this.retry = setTimeout(() => {
          this.retry = undefined;
          void this.connect();
        }, RETRY_MS);
    };
    // Every pg client needs an 'error' listener: a dropped connection emits one, and an
    // unhandled 'error' event would end the process.
    this.drops.set(client, again);
    client.on('error', again);
    client.on('end', again);
    client.on('notification', () => this.onNotify());
    try {
      await client.connect();
      await client.query(`LISTEN ${REVOCATION_CHANNEL}`);
      this.ready = true;
      // Revocations that committed while nobody listened: the caller's next poll finds them.
      this.onNotify();
    } catch {
      again();
    }
  }
}
