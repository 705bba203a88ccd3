/**
 * The Redis side of revocation: key names, the record format and the scripts that change them.
 * docs/freshness.md argues why these rules keep the invariant; in short:
 *
 * - `meta` = "<gen>:<pos>": every revocation log entry up to position <pos> is reflected in the
 *   records of key space <gen>. Every script that writes keeps that true, atomically.
 * - A record = "<n>" (current token version n) or "-<n>" (user deleted, tombstone version n).
 *   Numbers only rise (versions come from one Postgres sequence, so higher is newer); nothing
 *   ever lowers a record, drops records while serving, or restores an older value.
 * - An *intent* = the transaction ids of API revocations in flight for a user, in a key of its own
 *   outside any key space: from before their COMMIT until their entries are applied (or they are
 *   known to have aborted) the user's tokens are undecided and requests fail closed. Being outside
 *   the key spaces, an intent survives a switch to a new one.
 * - A new key space (gen) replaces all records at once: after a Redis data loss (meta missing),
 *   after a revocation of everyone, or when the log no longer reaches back to `pos`.
 */
import type { Redis } from 'ioredis';

/** Records expire: Postgres holds the truth, so an expired record only costs one refill. */
export const RECORD_TTL_S = 24 * 3600;

export interface Meta {
  gen: string;
  pos: number;
}

export interface RecordValue {
  version: number;
  deleted: boolean;
}

export function parseMeta(raw: string | null): Meta | null {
  if (raw === null) return null;
  const colon = raw.lastIndexOf(':');
  const pos = Number(raw.slice(colon + 1));
  if (colon < 1 || !Number.isSafeInteger(pos)) return null;
  return { gen: raw.slice(0, colon), pos };
}

export function parseRecord(raw: string): RecordValue | null {
  const n = Number(raw);
  return Number.isSafeInteger(n) && n !== 0 ? { version: Math.abs(n), deleted: n < 0 } : null;
}

/** An intent key's value: the in-flight revocations' transaction ids. */
export function parseIntents(raw: string | null): string[] {
  return raw === null || raw === '' ? [] : raw.split('|');
}

/** One user's new state from the log: a version, or a tombstone version for a deleted user. */
export interface RecordUpdate {
  userId: number;
  version: number;
  deleted: boolean;
  /** The revocation's transaction: its intent, if any, is resolved by this update. */
  xid: string;
}

export class RevocationKeys {
  constructor(readonly datasetId: string) {}

  /** Hash-tagged by dataset, so every key of one dataset lives in one Redis Cluster slot. */
  get meta(): string {
    return `authbench:{${this.datasetId}}:meta`;
  }

  record(gen: string, userId: number): string {
    return `authbench:{${this.datasetId}}:${gen}:${userId}`;
  }

  /** rbac-cache's cached claims of a user, in the key space they were read in. */
  cache(gen: string, userId: number): string {
    return `authbench:{${this.datasetId}}:${gen}:c:${userId}`;
  }

  intent(userId: number): string {
    return `authbench:{${this.datasetId}}:intent:${userId}`;
  }
}

// Shared Lua: parse meta; numbers compare by absolute value ("-n" is a tombstone at version n).
const LUA_LIB = `
local function meta_of(raw)
  if not raw then return nil, nil end
  local c = string.find(raw, ':[^:]*$')
  return string.sub(raw, 1, c - 1), tonumber(string.sub(raw, c + 1))
end
local function higher(cur, new)
  if cur and math.abs(tonumber(cur)) >= math.abs(tonumber(new)) then return cur end
  return new
end
local function drop_intent(key, xid)
  local cur = redis.call('GET', key)
  if not cur then return end
  local out = {}
  for x in string.gmatch(cur, '[^|]+') do if x ~= xid then table.insert(out, x) end end
  if #out == 0 then redis.call('DEL', key) else redis.call('SET', key, table.concat(out, '|')) end
end
local gen, pos = meta_of(redis.call('GET', KEYS[1]))
`;

// KEYS: meta, n records, n intents.  ARGV: gen, mode ('log' | 'own'), ttl, from, to, then
// (value, xid) per record. 'log': the in-order applier; entries from..to, applied only when meta
// has every entry before `from`; then meta.pos rises to `to`. 'own': a writer's own committed
// entries, right after its COMMIT, whatever meta.pos is (records only rise: order does not
// matter for them). Either way the entries' intents are resolved.
const APPLY = `${LUA_LIB}
if gen == nil then return 'nometa' end
if gen ~= ARGV[1] then return 'gen' end
local from, to = tonumber(ARGV[4]), tonumber(ARGV[5])
if ARGV[2] == 'log' then
  if pos >= to then return 'ok' end
  if pos < from - 1 then return 'behind' end
end
local n = (#KEYS - 1) / 2
for i = 1, n do
  local value, xid = ARGV[4 + 2 * i], ARGV[5 + 2 * i]
  redis.call('SET', KEYS[1 + i], higher(redis.call('GET', KEYS[1 + i]), value), 'EX', ARGV[3])
  drop_intent(KEYS[1 + n + i], xid)
end
if ARGV[2] == 'log' then redis.call('SET', KEYS[1], gen .. ':' .. to) end
return 'ok'`;

// KEYS: intents…  ARGV: xid. The users' tokens are undecided until the transaction ends. No TTL:
// an intent lasts until resolved.
const INTENT = `
for i = 1, #KEYS do
  local cur = redis.call('GET', KEYS[i])
  redis.call('SET', KEYS[i], cur and (cur .. '|' .. ARGV[1]) or ARGV[1])
end
return 'ok'`;

// KEYS: meta, intent  ARGV: xid, pos. An intent whose transaction aborted (pos 0), or committed
// with its last entry at pos, which meta already covers (a key space started after it).
const CLEAR = `${LUA_LIB}
if tonumber(ARGV[2]) > 0 and (pos == nil or pos < tonumber(ARGV[2])) then return 'behind' end
drop_intent(KEYS[2], ARGV[1])
return 'ok'`;

// KEYS: meta, record  ARGV: gen, readPos, version, ttl. A miss, refilled from Postgres as of log
// position readPos. An existing record only rises (a refill that read before a revocation cannot
// undo it). A missing one is written only if meta has no entry past readPos: an entry past it
// may concern this user and have been written and then expired or evicted.
const REFILL = `${LUA_LIB}
if gen ~= ARGV[1] then return 'gen' end
local cur = redis.call('GET', KEYS[2])
if cur then
  redis.call('SET', KEYS[2], higher(cur, ARGV[3]), 'EX', ARGV[4])
elseif pos <= tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
end
return 'ok'`;

// KEYS: meta  ARGV: expected meta ('' = none), new meta. Starts a new key space, once: concurrent
// appliers agree on whichever came first.
const NEW_GEN = `
local cur = redis.call('GET', KEYS[1])
if (cur or '') == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return ARGV[2] end
return cur or ''`;

export type ScriptReply = 'ok' | 'gen' | 'nometa' | 'behind';

type Scripted = Redis & {
  authbenchApply(n: number, ...args: Array<string | number>): Promise<ScriptReply>;
  authbenchIntent(n: number, ...args: Array<string | number>): Promise<ScriptReply>;
  authbenchClear(meta: string, intent: string, xid: string, pos: number): Promise<ScriptReply>;
  authbenchRefill(n: number, ...args: Array<string | number>): Promise<ScriptReply>;
  authbenchNewGen(key: string, expected: string, next: string): Promise<string>;
};

/** The scripts above, bound to one client (ioredis sends EVALSHA, loading a script once). */
export function scripted(redis: Redis): Scripted {
  if (!('authbenchApply' in redis)) {
    redis.defineCommand('authbenchApply', { lua: APPLY });
    redis.defineCommand('authbenchIntent', { lua: INTENT });
    redis.defineCommand('authbenchClear', { numberOfKeys: 2, lua: CLEAR });
    redis.defineCommand('authbenchRefill', { lua: REFILL });
    redis.defineCommand('authbenchNewGen', { numberOfKeys: 1, lua: NEW_GEN });
  }
  return redis as Scripted;
}

export function encodeUpdate(u: Pick<RecordUpdate, 'version' | 'deleted'>): string {
  return u.deleted ? `-${u.version}` : String(u.version);
}
