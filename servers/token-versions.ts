import type { Redis } from 'ioredis';
import { REVOCATION_LAST_VERSION, USER_TOKEN_VERSION } from '../sql/queries.js';
import type { Queryable } from './db.js';
import { DependencyError } from './errors.js';
import type { Metrics } from './metrics.js';

/** Redis value for a deleted user: every token of theirs is dead, whatever its version. */
export const DELETED = 'deleted';

/**
 * Records expire: Postgres holds the truth, so an expired (or evicted, or flushed) record only
 * costs one repopulation, whatever the tokens' lifetime.
 */
export const RECORD_TTL_S = 24 * 3600;

// Raises a user's record to a version (or to the tombstone) and the key space's epoch with it.
// Never lowers either: a repopulation that read Postgres before a revocation committed cannot
// overwrite the newer version the revocation published.
const RAISE_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if ARGV[3] ~= '' then
  local epoch = tonumber(redis.call('GET', KEYS[2]) or '0')
  if tonumber(ARGV[3]) > epoch then redis.call('SET', KEYS[2], ARGV[3]) end
end
if cur == '${DELETED}' then return 0 end
if ARGV[1] ~= '${DELETED}' and cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1`;

// After a revocation rolled back: put back the committed version, but only if the record still
// holds the version that revocation published (a later one may have replaced it since).
const RESTORE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0`;

type ScriptedRedis = Redis & {
  raiseTokenVersion(key: string, epochKey: string, value: string, ttl: number, epoch: string): Promise<number>;
  restoreTokenVersion(key: string, published: string, committed: string, ttl: number): Promise<number>;
};

/**
 * The per-user token version, mirrored from users.token_version into Redis so the jwt-redis
 * strategy checks revocation with one GET. Keys carry the dataset id, so a re-seeded database
 * starts a fresh key space instead of reading versions left from the previous one.
 *
 * Redis is trusted only after `reconcile()` found it up to date with Postgres' revocation
 * high-water mark; a reconnect (restart, restore from a snapshot, failover) withdraws that
 * trust until the next reconcile, and until then the check fails closed.
 */
export class TokenVersions {
  private readonly redis: ScriptedRedis;
  private trusted = false;
  private reconciling: Promise<void> | undefined;
  private reconcileAgain = false;

  constructor(
    redis: Redis,
    private readonly db: Queryable,
    private readonly datasetId: string,
    private readonly metrics: Metrics,
  ) {
    if (!('raiseTokenVersion' in redis)) {
      redis.defineCommand('raiseTokenVersion', { numberOfKeys: 2, lua: RAISE_SCRIPT });
      redis.defineCommand('restoreTokenVersion', { numberOfKeys: 1, lua: RESTORE_SCRIPT });
    }
    this.redis = redis as ScriptedRedis;
  }

  key(userId: number): string {
    return `tokenPayloadVersion::${this.datasetId}::${userId}`;
  }

  /** Highest revocation version this Redis has been told of, for this dataset. */
  get epochKey(): string {
    return `tokenRevocationEpoch::${this.datasetId}`;
  }

  get isTrusted(): boolean {
    return this.trusted;
  }

  /** Called when the connection drops: whatever Redis holds after it returns is unverified. */
  distrust(): void {
    this.trusted = false;
  }

  /**
   * The current version for this user, or null when the user no longer exists. Steady state is
   * one GET; a missing record means "ask Postgres and repopulate", never "valid".
   */
  async current(userId: number): Promise<number | null> {
    if (!this.trusted) throw new DependencyError('redis');
    const key = this.key(userId);
    let cached: string | null;
    this.metrics.countRedis('get');
    try {
      cached = await this.redis.get(key);
    } catch (err) {
      throw new DependencyError('redis', { cause: err });
    }
    if (cached === DELETED) return null;
    if (cached !== null) return Number(cached);
    const rows = await this.db.query<{ token_version: number }>(USER_TOKEN_VERSION, [userId]);
    const version = rows[0]?.token_version ?? null;
    await this.publish(userId, version);
    return version;
  }

  /**
   * Raises the Redis record to this version (null: the user is deleted) and, for a
   * revocation, the epoch to the revocation high-water mark.
   */
  async publish(userId: number, version: number | null, epoch?: number): Promise<void> {
    this.metrics.countRedis('evalsha');
    try {
      await this.redis.raiseTokenVersion(this.key(userId), this.epochKey,
        version === null ? DELETED : String(version), RECORD_TTL_S, epoch === undefined ? '' : String(epoch));
    } catch (err) {
      throw new DependencyError('redis', { cause: err });
    }
  }

  /** Undoes a publication whose transaction rolled back, unless something newer replaced it. */
  async restore(userId: number, published: number | null, committed: number | null): Promise<void> {
    this.metrics.countRedis('evalsha');
    try {
      await this.redis.restoreTokenVersion(this.key(userId), published === null ? DELETED : String(published),
        committed === null ? DELETED : String(committed), RECORD_TTL_S);
    } catch (err) {
      throw new DependencyError('redis', { cause: err });
    }
  }

  /**
   * Compares Redis' epoch with Postgres' revocation high-water mark. If Redis is behind (it
   * lost or missed a revocation: restored from a snapshot, a lagging replica, a change made in
   * SQL), every record of this dataset is dropped, to be repopulated from Postgres, and the
   * check fails closed until that is done. Single-flight: calls during a run queue one more run.
   */
  reconcile(): Promise<void> {
    if (this.reconciling) {
      this.reconcileAgain = true;
      return this.reconciling;
    }
    this.reconciling = (async () => {
      try {
        do {
          this.reconcileAgain = false;
          await this.reconcileOnce();
        } while (this.reconcileAgain);
      } finally {
        this.reconciling = undefined;
      }
    })();
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<void> {
    const [row] = await this.db.query<{ last_version: number }>(REVOCATION_LAST_VERSION);
    const last = row?.last_version ?? 0;
    try {
      this.metrics.countRedis('get');
      const epoch = Number((await this.redis.get(this.epochKey)) ?? '0');
      if (epoch >= last) {
        this.trusted = true;
        return;
      }
      this.trusted = false;
      await this.dropRecords();
      this.metrics.countRedis('set');
      await this.redis.set(this.epochKey, String(last));
      this.trusted = true;
    } catch (err) {
      throw new DependencyError('redis', { cause: err });
    }
  }

  private async dropRecords(): Promise<void> {
    let cursor = '0';
    do {
      this.metrics.countRedis('scan');
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.key(0).slice(0, -1)}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) {
        this.metrics.countRedis('unlink');
        await this.redis.unlink(...keys);
      }
    } while (cursor !== '0');
  }
}
