/**
 * jwt-local's revocation map: every user's token version held in this process, kept current by
 * reading Postgres' revocation log in order (woken by LISTEN, else every 100 ms), so a request
 * is authorised without any network round trip. It fails closed: a request is answered from
 * the map only while the map has been confirmed against the log's head within the lease, the
 * same bound jwt-redis keeps for plain-SQL revocations (docs/freshness.md). A lost notification
 * costs at most one poll; a lost connection stops the confirmations, and requests get 503.
 */
import { pg } from '../../sql/pg-types.js';
import {
  REVOCATIONS_SINCE,
  REVOCATION_HEAD,
  TOKEN_VERSION_AT,
  VERSIONS_SNAPSHOT,
} from '../../sql/queries.js';
import type { Queryable } from '../db.js';
import { DependencyError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { BackgroundConnection } from './background.js';
import { PollLoop, waitUntil } from './poll-loop.js';
import { LEASE_MS, POLL_MS, contiguous, type UserVersion } from './revocations.js';

/** Positions read per query while catching up. */
const PAGE_POSITIONS = 2000;
/** Loading every user's version may take a while on a large dataset; it runs off the request path. */
const SNAPSHOT_TIMEOUT_MS = 60_000;

interface LogRow {
  pos: number;
  user_id: number | null;
  version: number | null;
  deleted: boolean;
}

export class LocalVersions {
  /** userId → version; a deleted user's entry is a tombstone (its last version, deleted). */
  private versions = new Map<number, UserVersion>();
  private head = -1;
  private confirmedAt = -Infinity;
  private trusted = false;
  private readonly bg: BackgroundConnection;
  private readonly follower = new PollLoop(
    () => this.pollOnce(),
    () => this.metrics.countRevocationEvent('poll_failed'),
    POLL_MS,
  );

  constructor(
    private readonly db: Queryable,
    private readonly pgUrl: string,
    private readonly datasetId: string,
    private readonly metrics: Metrics,
  ) {
    this.bg = new BackgroundConnection(pgUrl, metrics, () => this.poke());
  }

  /** Loads the map and starts following the log; resolves once requests can be answered. */
  async start(timeoutMs = 30_000): Promise<void> {
    this.bg.start();
    this.follower.start();
    await waitUntil(() => this.trusted, timeoutMs, 'could not load the revocation map from Postgres');
  }

  async stop(): Promise<void> {
    await this.follower.stop();
    await this.bg.stop();
  }

  /** Confirmed against the log within the lease (for /healthz). */
  get isReady(): boolean {
    return this.trusted && performance.now() - this.confirmedAt <= LEASE_MS;
  }

  poke(): void {
    this.follower.poke();
  }

  /**
   * The user's current version, or null when the user does not exist. From memory; only a user
   * created after the map was loaded (new users are not in the log) costs one query, once.
   * Throws DependencyError (503) while the map is not confirmed within the lease.
   */
  async lookup(userId: number): Promise<UserVersion | null> {
    if (!this.isReady) {
      this.metrics.countRevocationEvent('lease_lapsed');
      this.poke();
      throw new DependencyError('postgres');
    }
    const known = this.versions.get(userId);
    if (known !== undefined) return known;
    let row: { pos: number; token_version: number | null } | undefined;
    try {
      [row] = await this.db.query<{ pos: number; token_version: number | null }>(TOKEN_VERSION_AT, [userId]);
    } catch (err) {
      throw new DependencyError('postgres', { cause: err });
    }
    if (!row || row.token_version === null) return null;
    // Versions only rise: whichever of this read and the log's entries is newer wins.
    this.raise(userId, { version: row.token_version, deleted: false });
    return this.versions.get(userId)!;
  }

  private raise(userId: number, next: UserVersion): void {
    const current = this.versions.get(userId);
    if (current === undefined || next.version > current.version) this.versions.set(userId, next);
  }

  /**
   * One confirmation. The lease runs from before the head was read: every revocation that
   * committed before `confirmedAt` is in the map once this returns.
   */
  private async pollOnce(): Promise<void> {
    const t0 = performance.now();
    if (!this.trusted || this.head < 0) {
      await this.load();
      this.confirmedAt = t0;
      this.trusted = true;
      return;
    }
    const [row] = await this.bg.query<{ pos: number; dataset_id: string | null }>(REVOCATION_HEAD);
    if (row?.dataset_id !== this.datasetId) {
      // Re-seeded under this server: its tokens belong to a dataset that is gone.
      this.trusted = false;
      this.metrics.countRevocationEvent('dataset_replaced');
      return;
    }
    const head = row.pos;
    if (head < this.head) {
      // The log went backwards (a database restored to an earlier point): start again from it.
      this.trusted = false;
      return;
    }
    while (this.head < head) {
      const to = Math.min(head, this.head + PAGE_POSITIONS);
      const rows = await this.bg.query<LogRow>(REVOCATIONS_SINCE, [this.head, to]);
      if (!contiguous(rows, this.head, to)) {
        // A revocation of everyone, or entries pruned: read every version again. The map keeps
        // answering meanwhile, but only within the lease of its last confirmation: what it holds
        // is exactly as current as it was then, so a quick reload costs no 503 at all.
        this.metrics.countRevocationEvent('reload');
        await this.load();
        this.confirmedAt = t0;
        this.trusted = true;
        return;
      }
      for (const r of rows) this.raise(r.user_id!, { version: r.version ?? 0, deleted: r.deleted });
      this.metrics.countRevocationEvent('applied', rows.length);
      this.head = to;
    }
    this.confirmedAt = t0;
  }

  /** Every user's version as of one snapshot, with the position it is current as of. */
  private async load(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.pgUrl,
      application_name: 'authbench-server',
      connectionTimeoutMillis: 2000,
      statement_timeout: SNAPSHOT_TIMEOUT_MS,
      query_timeout: SNAPSHOT_TIMEOUT_MS,
    });
    client.on('error', () => {});
    await client.connect();
    try {
      this.metrics.countBackground(VERSIONS_SNAPSHOT.name);
      const { rows } = await client.query<{
        pos: number;
        dataset_id: string | null;
        id: number | null;
        token_version: number | null;
      }>(VERSIONS_SNAPSHOT.text);
      if (rows[0]?.dataset_id !== this.datasetId) {
        this.metrics.countRevocationEvent('dataset_replaced');
        throw new Error('the database holds another dataset than the one this server started with');
      }
      const versions = new Map<number, UserVersion>();
      for (const r of rows) {
        if (r.id !== null && r.token_version !== null)
          versions.set(r.id, { version: r.token_version, deleted: false });
      }
      this.versions = versions;
      this.head = rows[0]!.pos;
      this.metrics.countRevocationEvent('loaded', versions.size);
    } finally {
      await client.end().catch(() => {});
    }
  }
}
