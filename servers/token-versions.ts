import type { Redis } from 'ioredis';
import { USER_TOKEN_VERSION } from '../sql/queries.js';
import type { Queryable } from './db.js';
import { DependencyError } from './errors.js';
import type { Metrics } from './metrics.js';

/** Redis value for a deleted user: every token of theirs is dead, whatever its version. */
export const DELETED = 'deleted';

/**
 * Records expire: Postgres holds the truth, so an expired (or evicted, or flushed) record only
 * costs one repopulation. A day outlives every token this tool mints by far.
 */
export const RECORD_TTL_S = 24 * 3600;

// Writes only ever raise the version (or turn it into the tombstone), so a repopulation that read
// Postgres just before a role change committed cannot overwrite the newer version it published.
const RAISE_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if cur == '${DELETED}' then return 0 end
if ARGV[1] ~= '${DELETED}' and cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1`;

type RedisWithRaise = Redis & {
  raiseTokenVersion(key: string, value: string, ttl: number): Promise<number>;
};

/**
 * The per-user token version, mirrored from users.token_version into Redis so the jwt-redis
 * strategy checks revocation with one GET. The key carries the dataset id: a re-seeded
 * database starts a fresh key space instead of reading versions left from the previous one.
 */
export class TokenVersions {
  private readonly redis: RedisWithRaise;

  constructor(
    redis: Redis,
    private readonly db: Queryable,
    private readonly datasetId: string,
    private readonly metrics: Metrics,
  ) {
    if (!('raiseTokenVersion' in redis)) {
      redis.defineCommand('raiseTokenVersion', { numberOfKeys: 1, lua: RAISE_SCRIPT });
    }
    this.redis = redis as RedisWithRaise;
  }

  key(userId: number): string {
    return `tokenPayloadVersion::${this.datasetId}::${userId}`;
  }

  /**
   * The current version for this user, or null when the user no longer exists. Steady state is
   * one GET; a missing record means "ask Postgres and repopulate", never "valid".
   */
  async current(userId: number): Promise<number | null> {
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

  /** Raises the Redis record to this version (null: the user is deleted). */
  async publish(userId: number, version: number | null): Promise<void> {
    this.metrics.countRedis('evalsha');
    try {
      await this.redis.raiseTokenVersion(this.key(userId), version === null ? DELETED : String(version), RECORD_TTL_S);
    } catch (err) {
      throw new DependencyError('redis', { cause: err });
    }
  }

  /** Drops the record so the next check repopulates it from Postgres (after a rolled-back change). */
  async forget(userId: number): Promise<void> {
    this.metrics.countRedis('del');
    try {
      await this.redis.del(this.key(userId));
    } catch (err) {
      throw new DependencyError('redis', { cause: err });
    }
  }
}
