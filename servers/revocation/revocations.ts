/**
 * Revocation as a server sees it: the one-round-trip check on the request path, the freshness
 * lease that says when Redis may be believed, the applier that copies Postgres' revocation log
 * into Redis in commit order, and the write path's intents. docs/freshness.md has the invariant
 * and the argument; records.ts the Redis rules.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  LAST_EVERYONE,
  PRUNE_REVOCATIONS,
  REVOCATIONS_SINCE,
  REVOCATION_HEAD,
  TOKEN_VERSION_AT,
  XACT_STATUS,
} from '../../sql/queries.js';
import type { Queryable } from '../db.js';
import { DependencyError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { BackgroundConnection } from './background.js';
import { PollLoop, waitUntil } from './poll-loop.js';
import {
  RECORD_TTL_S,
  RevocationKeys,
  encodeUpdate,
  parseIntents,
  parseMeta,
  parseRecord,
  scripted,
  type Meta,
  type RecordUpdate,
} from './records.js';

/** How often the applier asks Postgres for the log's head when no notification wakes it. */
export const POLL_MS = 100;
/**
 * How long a confirmation stays good. Plain-SQL revocations reach Redis asynchronously; a
 * request is answered from Redis only if, at most this long before, the applier saw the log's
 * head and Redis held every entry up to it. The margin to the declared bound (1 s) covers the
 * gap between Postgres' commit timestamp and the commit becoming visible, and clock reading.
 */
export const LEASE_MS = 700;
/** The bound this design declares for plain-SQL revocations (δ, docs/freshness.md). */
export const SQL_BOUND_MS = 1000;
/** Log entries kept for catching up a Redis restored from an older snapshot. */
const LOG_RETENTION_S = 24 * 3600;
const PRUNE_EVERY_MS = 10 * 60_000;
/** Per script call: entries are applied in batches of about this many records. */
const BATCH = 500;
/** Positions read from the log per query while catching up. */
const PAGE_POSITIONS = 2000;

/** A key space started afresh (not after a revocation of everyone): a name no one used before. */
function freshGenName(): string {
  return `r${randomBytes(6).toString('hex')}`;
}

/** Every position from..to present (each position has at least one entry), none of everyone. */
export function contiguous(
  rows: ReadonlyArray<Pick<LogRow, 'pos' | 'user_id'>>,
  after: number,
  to: number,
): boolean {
  let expect = after + 1;
  for (const r of rows) {
    if (r.user_id === null) return false;
    if (r.pos === expect) expect++;
    else if (r.pos !== expect - 1) return false;
  }
  return expect === to + 1;
}

interface LogRow {
  pos: number;
  xid: string;
  user_id: number | null;
  version: number | null;
  deleted: boolean;
}

export interface UserVersion {
  version: number;
  deleted: boolean;
}

export class Revocations {
  readonly keys: RevocationKeys;
  private readonly redis: ReturnType<typeof scripted>;
  private readonly bg: BackgroundConnection;
  /** The log head as of the last confirmation, and when (this process's monotonic clock). */
  private head = -1;
  private confirmedAt = -Infinity;
  private trusted = false;
  private gen: string | null = null;
  private readonly follower = new PollLoop(
    () => this.pollOnce(),
    () => this.metrics.countRevocationEvent('poll_failed'),
    POLL_MS,
  );
  private lastPrune = -Infinity;
  private readonly resolving = new Map<string, number>();

  constructor(
    redis: Redis,
    private readonly db: Queryable,
    pgUrl: string,
    datasetId: string,
    private readonly metrics: Metrics,
    /** Whether this server answers requests from Redis (and so runs the applier). */
    private readonly applies: boolean,
  ) {
    this.keys = new RevocationKeys(datasetId);
    this.redis = scripted(redis);
    this.bg = new BackgroundConnection(pgUrl, metrics, () => this.poke());
    // Whatever Redis holds after a reconnect (a restart, a restored snapshot, another server
    // behind the same address) is unverified until the applier has looked again.
    redis.on('close', () => {
      this.trusted = false;
    });
    redis.on('ready', () => this.poke());
  }

  /** Starts the applier; resolves once Redis has been confirmed current (or throws). */
  async start(timeoutMs = 10_000): Promise<void> {
    if (!this.applies) return;
    this.bg.start();
    this.follower.start();
    await waitUntil(
      () => this.trusted,
      timeoutMs,
      'could not confirm the Redis revocation records against Postgres',
    );
  }

  async stop(): Promise<void> {
    await this.follower.stop();
    await this.bg.stop();
  }

  /** Ready to answer from Redis now (for /healthz). */
  get isReady(): boolean {
    return this.trusted && performance.now() - this.confirmedAt <= LEASE_MS;
  }

  /** Ask the applier to look now (a notification, a reconnect, a request that found Redis behind). */
  poke(): void {
    this.follower.poke();
  }

  /**
   * The user's current token version, or null when the user does not exist. Steady state: one
   * MGET (the record and meta, one round trip). Throws DependencyError (503) whenever Redis
   * cannot be believed: no confirmation within the lease, Redis behind the log, a revocation of
   * this user in flight.
   */
  async lookup(userId: number): Promise<UserVersion | null> {
    return (await this.check(userId, false)).current;
  }

  /**
   * lookup() and, in the same MGET (still one round trip), rbac-cache's cached claims of the user
   * in the current key space, with the key space they belong to.
   */
  async lookupCached(
    userId: number,
  ): Promise<{ current: UserVersion | null; cached: string | null; gen: string }> {
    return this.check(userId, true);
  }

  /** Caches a user's claims in key space `gen`; best effort (a failed write is a later miss). */
  async cacheClaims(gen: string, userId: number, value: string): Promise<void> {
    this.metrics.countRedis('set');
    await this.redis.set(this.keys.cache(gen, userId), value, 'EX', RECORD_TTL_S).catch(() => {});
  }

  private async check(
    userId: number,
    withCache: boolean,
  ): Promise<{ current: UserVersion | null; cached: string | null; gen: string }> {
    let gen = this.gen;
    if (gen === null) throw new DependencyError('redis');
    // A new key space means one more round trip (rare: a revocation of everyone, a Redis reset).
    for (let attempt = 0; attempt < 3; attempt++) {
      this.metrics.countRedis('mget');
      let raw: Array<string | null>;
      try {
        const record = this.keys.record(gen, userId);
        const intent = this.keys.intent(userId);
        raw = await (withCache
          ? this.redis.mget(record, this.keys.meta, intent, this.keys.cache(gen, userId))
          : this.redis.mget(record, this.keys.meta, intent));
      } catch (err) {
        throw new DependencyError('redis', { cause: err });
      }
      const now = performance.now();
      const meta = parseMeta(raw[1] ?? null);
      if (meta === null) {
        // Redis lost meta without a reconnect (flushed, evicted): the applier must look at Redis
        // again before anything is answered from it, not just renew the lease.
        this.trusted = false;
        this.poke();
        throw new DependencyError('redis');
      }
      if (meta.gen !== gen) {
        // Another server started a new key space; its records are as good as meta says.
        gen = meta.gen;
        this.poke();
        continue;
      }
      if (!this.trusted || meta.pos < this.head || now - this.confirmedAt > LEASE_MS) {
        this.metrics.countRevocationEvent(meta.pos < this.head ? 'redis_behind' : 'lease_lapsed');
        if (meta.pos < this.head) this.trusted = false;
        this.poke();
        throw new DependencyError('redis');
      }
      const intents = parseIntents(raw[2] ?? null);
      if (intents.length > 0) {
        this.metrics.countRevocationEvent('intent_seen');
        for (const xid of intents) this.resolve(xid, userId);
        throw new DependencyError('redis');
      }
      const record = raw[0] === null || raw[0] === undefined ? null : parseRecord(raw[0]);
      const cached = withCache ? (raw[3] ?? null) : null;
      return { current: record === null ? await this.refill(userId, meta) : record, cached, gen };
    }
    throw new DependencyError('redis');
  }

  /**
   * The write path, inside the revoking transaction before COMMIT: every user it revokes gets an
   * intent, so that from the moment the commit happens no server answers for those users from
   * their old record. Throws (and the transaction rolls back) if Redis cannot be told.
   */
  async publishIntents(updates: readonly RecordUpdate[], xid: string): Promise<void> {
    if (updates.length === 0) return;
    this.metrics.countRedis('evalsha');
    const keys = updates.map((u) => this.keys.intent(u.userId));
    await this.redisCall(() => this.redis.authbenchIntent(keys.length, ...keys, xid));
  }

  /** Right after COMMIT: the committed versions, into whatever key space is current; the intents go. */
  async applyOwn(updates: readonly RecordUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    for (let attempt = 0; attempt < 3; attempt++) {
      const gen = this.gen ?? parseMeta(await this.redis.get(this.keys.meta))?.gen;
      // No key space: nothing to raise; the intents stay until an applier resolves them.
      if (gen === undefined) {
        this.poke();
        return;
      }
      const reply = await this.applyBatch(gen, 'own', 0, 0, updates);
      if (reply === 'ok') return;
      this.gen = null;
    }
    this.poke();
  }

  private async refill(userId: number, meta: Meta): Promise<UserVersion | null> {
    this.metrics.countRevocationEvent('refill');
    const [row] = await this.db.query<{ pos: number; token_version: number | null }>(TOKEN_VERSION_AT, [
      userId,
    ]);
    if (!row || row.token_version === null) return null;
    this.metrics.countRedis('evalsha');
    try {
      await this.redis.authbenchRefill(
        2,
        this.keys.meta,
        this.keys.record(meta.gen, userId),
        meta.gen,
        row.pos,
        String(row.token_version),
        RECORD_TTL_S,
      );
    } catch {
      // The answer comes from Postgres either way; the record is filled another time.
    }
    return { version: row.token_version, deleted: false };
  }

  /** An intent blocks its user until resolved: ask Postgres how its transaction ended. */
  private resolve(xid: string, userId: number): void {
    const now = performance.now();
    if ((this.resolving.get(xid) ?? -Infinity) > now - 100) return;
    this.resolving.set(xid, now);
    if (this.resolving.size > 1000) this.resolving.clear();
    void (async () => {
      const [row] = await this.bg.query<{ status: string | null; pos: number | null }>(XACT_STATUS, [xid]);
      if (row?.status === 'in progress') return;
      // Aborted (or too old to know): nothing to wait for. Committed: resolved once meta covers its
      // last entry, whoever applied it (its own applier may have started a key space after it).
      const pos = row?.status === 'committed' ? (row.pos ?? 0) : 0;
      if (row?.status === 'committed') this.poke();
      this.metrics.countRedis('evalsha');
      if ((await this.redis.authbenchClear(this.keys.meta, this.keys.intent(userId), xid, pos)) === 'ok') {
        this.metrics.countRevocationEvent('intent_cleared');
      }
    })().catch(() => {});
  }

  /**
   * One confirmation: read the log's head; unless nothing changed since the last confirmation,
   * bring Redis up to it. The lease runs from *before* the head was read, so every revocation
   * that committed before `confirmedAt` is in Redis.
   */
  private async pollOnce(): Promise<void> {
    const t0 = performance.now();
    const [row] = await this.bg.query<{ pos: number; dataset_id: string | null }>(REVOCATION_HEAD);
    let head = row?.pos ?? 0;
    if (row?.dataset_id !== this.keys.datasetId) {
      // Re-seeded under this server: its key space and its tokens belong to a dataset that is
      // gone. Never trust Redis again; restart the server.
      this.trusted = false;
      this.metrics.countRevocationEvent('dataset_replaced');
      return;
    }
    if (this.trusted && head === this.head && this.gen !== null) {
      this.confirmedAt = t0;
      await this.maybePrune(t0);
      return;
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      let meta: Meta | null = parseMeta(await this.redis.get(this.keys.meta));
      if (meta === null) {
        // Redis lost everything (or never had this dataset): a new key space, empty, in which
        // every user is a miss and is read from Postgres.
        meta = await this.newGen('', freshGenName(), head);
        this.metrics.countRevocationEvent('new_key_space');
        if (meta === null) continue;
      }
      if (meta.pos > head) {
        // Another applier got further since the head was read: read it again. Only a meta ahead
        // of the head read *after* it means Redis claims revocations Postgres has not made (a
        // database restored to an earlier point, a clone sharing this Redis): nothing in that key
        // space can be vouched for.
        const [again] = await this.bg.query<{ pos: number }>(REVOCATION_HEAD);
        head = Math.max(head, again?.pos ?? 0);
        if (meta.pos > head) {
          meta = await this.newGen(`${meta.gen}:${meta.pos}`, freshGenName(), head);
          this.metrics.countRevocationEvent('new_key_space');
          if (meta === null) continue;
        }
      }
      let gen: string | null = meta.gen;
      if (meta.pos < head) gen = await this.catchUp(meta, head);
      if (gen === null) continue;
      this.gen = gen;
      this.head = head;
      this.confirmedAt = t0;
      this.trusted = true;
      return;
    }
    throw new Error('Redis kept changing under the applier');
  }

  /**
   * Applies log entries meta.pos+1 … head in order, a page at a time (a Redis restored from an old
   * snapshot may be far behind); the key space it ends in, or null when meta changed under it.
   */
  private async catchUp(meta: Meta, head: number): Promise<string | null> {
    let gen = meta.gen;
    let applied = meta.pos;
    // Only the last revocation of everyone matters: each starts an empty key space, so earlier
    // entries would be replaced at once. Jumping straight to it also spares requests a chain of
    // key-space switches.
    const [last] = await this.bg.query<{ pos: number | null }>(LAST_EVERYONE, [applied, head]);
    if (last?.pos != null) {
      const next = await this.newGen(`${gen}:${applied}`, `g${last.pos}`, last.pos);
      if (next === null) return null;
      gen = next.gen;
      applied = last.pos;
    }
    while (applied < head) {
      const to = Math.min(head, applied + PAGE_POSITIONS);
      const rows = await this.bg.query<LogRow>(REVOCATIONS_SINCE, [applied, to]);
      if (!contiguous(rows, applied, to)) {
        // The log no longer holds every entry this Redis lacks (pruned, or deleted by hand).
        const fresh = await this.newGen(`${gen}:${applied}`, freshGenName(), head);
        this.metrics.countRevocationEvent('new_key_space');
        return fresh?.gen ?? null;
      }
      for (let i = 0; i < rows.length;) {
        // Batches end on a position boundary, so meta never covers half a transaction.
        let j = Math.min(rows.length, i + BATCH);
        while (j < rows.length && rows[j]!.pos === rows[j - 1]!.pos) j++;
        const batch = rows
          .slice(i, j)
          .map((r) => ({ userId: r.user_id!, version: r.version ?? 0, deleted: r.deleted, xid: r.xid }));
        const batchTo = rows[j - 1]!.pos;
        if ((await this.applyBatch(gen, 'log', applied + 1, batchTo, batch)) !== 'ok') return null;
        this.metrics.countRevocationEvent('applied', batch.length);
        applied = batchTo;
        i = j;
      }
    }
    return gen;
  }

  private async applyBatch(
    gen: string,
    mode: 'log' | 'own',
    from: number,
    to: number,
    updates: readonly RecordUpdate[],
  ): Promise<string> {
    const keys = [
      ...updates.map((u) => this.keys.record(gen, u.userId)),
      ...updates.map((u) => this.keys.intent(u.userId)),
    ];
    const args = updates.flatMap((u) => [encodeUpdate(u), u.xid]);
    this.metrics.countRedis('evalsha');
    return this.redis.authbenchApply(
      1 + keys.length,
      this.keys.meta,
      ...keys,
      gen,
      mode,
      RECORD_TTL_S,
      from,
      to,
      ...args,
    );
  }

  /** Replaces meta `expected` ('' = none) by a new key space at `pos`; null when someone else won. */
  private async newGen(expected: string, gen: string, pos: number): Promise<Meta | null> {
    this.metrics.countRedis('evalsha');
    const now = await this.redis.authbenchNewGen(this.keys.meta, expected, `${gen}:${pos}`);
    const meta = parseMeta(now);
    return meta && meta.gen === gen ? meta : null;
  }

  private async maybePrune(now: number): Promise<void> {
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    await this.bg.query(PRUNE_REVOCATIONS, [LOG_RETENTION_S]).catch(() => {});
  }

  private async redisCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new DependencyError('redis', { cause: err });
    }
  }
}
