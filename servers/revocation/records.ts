/**
 * The Redis side of revocation: key names, the record format and the scripts that change them.
 * docs/freshness.md argues why these rules keep the invariant; in short:
 *
 * - `meta` = "<gen>:<pos>": every revocation log entry up to position <pos> is reflected in the
 *   records of key space <gen>. Every script that writes keeps that true, atomically.
 * - A record = "<n>" (current token version n), "-<n>" (user deleted, tombstone version n) or
 *   "?" (not known), followed by "|<xid>" for each API revocation in flight (an *intent*: the
 *   user's tokens are undecided until it commits or aborts, and requests fail closed).
 * - Numbers only rise (versions come from one Postgres sequence, so higher is newer); nothing
 *   ever lowers a record, drops records while serving, or restores an older value.
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
  /** Token version, null when unknown ('?'). */
  version: number | null;
  deleted: boolean;
  /** Transaction ids of API revocations in flight for this user. */
  intents: string[];
}

export function parseMeta(raw: string | null): Meta | null {
  if (raw === null) return null;
  const colon = raw.lastIndexOf(':');
  const pos = Number(raw.slice(colon + 1));
  if (colon < 1 || !Number.isSafeInteger(pos)) return null;
  return { gen: raw.slice(0, colon), pos };
}

export function parseRecord(raw: string): RecordValue {
  const [head = '?', ...intents] = raw.split('|');
  if (head === '?') return { version: null, deleted: false, intents };
  const n = Number(head);
  return { version: Math.abs(n), deleted: n < 0, intents };
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
}

// Shared Lua: parse meta, parse and rewrite records (numbers compare by absolute value:
// "-n" is a tombstone at version n).
const LUA_LIB = `
local function meta_of(raw)
  if not raw then return nil, nil end
  local c = string.find(raw, ':[^:]*$')
  return string.sub(raw, 1, c - 1), tonumber(string.sub(raw, c + 1))
end
local function split(raw)
  local head, intents = raw, {}
  local bar = string.find(raw, '|', 1, true)
  if bar then
    head = string.sub(raw, 1, bar - 1)
    for x in string.gmatch(string.sub(raw, bar + 1), '[^|]+') do table.insert(intents, x) end
  end
  return head, intents
end
local function higher(a, b)
  if a == '?' then return b end
  if b == '?' then return a end
  if math.abs(tonumber(b)) > math.abs(tonumber(a)) then return b end
  return a
end
local function write(key, head, intents, ttl)
  if head == '?' and #intents == 0 then redis.call('DEL', key) return end
  local v = head
  for _, x in ipairs(intents) do v = v .. '|' .. x end
  if #intents > 0 then redis.call('SET', key, v) else redis.call('SET', key, v, 'EX', ttl) end
end
local function without(intents, xid)
  local out = {}
  for _, x in ipairs(intents) do if x ~= xid then table.insert(out, x) end end
  return out
end
local gen, pos = meta_of(redis.call('GET', KEYS[1]))
`;

// KEYS: meta, records…  ARGV: gen, mode ('log' | 'own'), ttl, from, to, then (value, xid) per record.
// 'log': the in-order applier; entries from..to, applied only when meta has every entry before
// `from`; then meta.pos rises to `to`. 'own': a writer's own committed entries, right after its
// COMMIT, whatever meta.pos is (records only rise, so order does not matter for them).
const APPLY = `${LUA_LIB}
if gen == nil then return 'nometa' end
if gen ~= ARGV[1] then return 'gen' end
local from, to = tonumber(ARGV[4]), tonumber(ARGV[5])
if ARGV[2] == 'log' then
  if pos >= to then return 'ok' end
  if pos < from - 1 then return 'behind' end
end
for i = 2, #KEYS do
  local value, xid = ARGV[4 + 2 * (i - 1)], ARGV[5 + 2 * (i - 1)]
  local cur = redis.call('GET', KEYS[i])
  local head, intents = '?', {}
  if cur then head, intents = split(cur) end
  write(KEYS[i], higher(head, value), without(intents, xid), ARGV[3])
end
if ARGV[2] == 'log' then redis.call('SET', KEYS[1], gen .. ':' .. to) end
return 'ok'`;

// KEYS: meta, records…  ARGV: gen, xid. Marks each user's tokens undecided until the revoking
// transaction ends; intents persist (no TTL) until resolved.
const INTENT = `${LUA_LIB}
if gen == nil then return 'nometa' end
if gen ~= ARGV[1] then return 'gen' end
for i = 2, #KEYS do
  local cur = redis.call('GET', KEYS[i])
  local head, intents = '?', {}
  if cur then head, intents = split(cur) end
  table.insert(intents, ARGV[2])
  write(KEYS[i], head, intents, 0)
end
return 'ok'`;

// KEYS: meta, record  ARGV: gen, xid, ttl. An intent whose transaction aborted.
const CLEAR = `${LUA_LIB}
if gen ~= ARGV[1] then return 'gen' end
local cur = redis.call('GET', KEYS[2])
if not cur then return 'ok' end
local head, intents = split(cur)
write(KEYS[2], head, without(intents, ARGV[2]), ARGV[3])
return 'ok'`;

// KEYS: meta, record  ARGV: gen, readPos, version, ttl. A miss, refilled from Postgres as of log
// position readPos. An existing record only rises (a refill that read before a revocation cannot
// undo it). A missing one is written only if meta has no entry past readPos: an entry past it
// may concern this user and have been written and then expired or evicted.
const REFILL = `${LUA_LIB}
if gen ~= ARGV[1] then return 'gen' end
local cur = redis.call('GET', KEYS[2])
if cur then
  local head, intents = split(cur)
  write(KEYS[2], higher(head, ARGV[3]), intents, ARGV[4])
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
  authbenchClear(n: number, ...args: Array<string | number>): Promise<ScriptReply>;
  authbenchRefill(n: number, ...args: Array<string | number>): Promise<ScriptReply>;
  authbenchNewGen(key: string, expected: string, next: string): Promise<string>;
};

/** The scripts above, bound to one client (ioredis sends EVALSHA, loading a script once). */
export function scripted(redis: Redis): Scripted {
  if (!('authbenchApply' in redis)) {
    redis.defineCommand('authbenchApply', { lua: APPLY });
    redis.defineCommand('authbenchIntent', { lua: INTENT });
    redis.defineCommand('authbenchClear', { lua: CLEAR });
    redis.defineCommand('authbenchRefill', { lua: REFILL });
    redis.defineCommand('authbenchNewGen', { numberOfKeys: 1, lua: NEW_GEN });
  }
  return redis as Scripted;
}

export function encodeUpdate(u: Pick<RecordUpdate, 'version' | 'deleted'>): string {
  return u.deleted ? `-${u.version}` : String(u.version);
}
