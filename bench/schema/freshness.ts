/**
 * The freshness phase's records, types only: the **history** the engine writes (every operation
 * with its times on one clock, Jepsen-style) and the **verdict** the pure checker derives from it.
 * Times are milliseconds on the harness's monotonic clock, from the start of the phase.
 */

import type { JwtVerifyVariant } from '../../servers/jwt.js';

export const HISTORY_SCHEMA_VERSION = 1;
export const FRESHNESS_SCHEMA_VERSION = 1;

/** What a server authorises with: the claims the 5-table join folds into (servers/claims.ts). */
export interface Rights {
  role: string;
  /** Sorted, distinct. */
  permissions: string[];
}

/**
 * The RBAC tables at the moment logical decoding started, restricted to what the checker needs:
 * all roles, permissions and their links, and the probed users with their roles.
 */
export interface RbacState {
  roles: Array<[id: number, name: string]>;
  permissions: Array<[id: number, name: string]>;
  rolePermissions: Array<[roleId: number, permissionId: number]>;
  /** Probed users only: id and incarnation. */
  users: Array<[id: number, incarnation: number]>;
  /** Probed users' rows only. */
  userRoles: Array<[userId: number, roleId: number]>;
}

export type WalValue = string | number | boolean | null;

/** One row change as Postgres' logical decoding (test_decoding) reports it. */
export interface WalChange {
  table: string;
  op: 'INSERT' | 'UPDATE' | 'DELETE' | 'TRUNCATE';
  /** DELETE: the replica identity (primary key); UPDATE: the old key when the key changed. */
  old: Record<string, WalValue> | null;
  /** INSERT/UPDATE: the new row. */
  new: Record<string, WalValue> | null;
}

/** A committed transaction touching the RBAC tables, in commit (WAL) order. */
export interface CommitEvent {
  xid: number;
  lsn: string;
  /** Postgres' commit timestamp mapped onto the harness clock. */
  atMs: number;
  changes: WalChange[];
}

/** A transaction snapshot as pg_current_snapshot() prints it: what a mint could see. */
export interface XidSnapshot {
  xmin: number;
  xmax: number;
  xip: number[];
}

export interface MintEvent {
  /** Token id, referenced by probes. */
  token: number;
  user: number;
  /** When the minting query returned. */
  atMs: number;
  /** 'own': minted against the database under test; 'foreign': against another dataset. */
  dataset: 'own' | 'foreign';
  /** The snapshot the claims were read in (own tokens). */
  snapshot: XidSnapshot | null;
  incarnation: number;
  rights: Rights;
  /** When the token's exp passes, on the phase clock (absent in older histories: not before the end). */
  expMs?: number;
}

export interface ProbeEvent {
  server: string;
  token: number;
  startMs: number;
  endMs: number;
  /** HTTP status, or 0 when no response arrived (connection error, timeout). */
  status: number;
  /** On 2xx: the rights the server answered with (the dashboard echoes them). */
  rights: Rights | null;
  error?: string;
}

export type RevocationKind =
  | 'api-role-change'
  | 'api-delete'
  | 'sql-role-change'
  | 'sql-recreate-user'
  | 'sql-permission-add'
  | 'sql-permission-remove'
  | 'sql-permission-rename'
  | 'sql-role-rename'
  | 'sql-truncate-user-roles'
  | 'sql-truncate-role-permissions'
  | 'sql-reload-user-roles'
  | 'sql-reload-role-permissions';

/** One nemesis revocation: a committed (ok), refused (fail) or unknown-outcome (info) change. */
export interface RevocationOp {
  id: number;
  kind: RevocationKind;
  via: 'api' | 'sql';
  /** The users the change targets (role-level changes: the probed users holding that role). */
  users: number[];
  invokeMs: number;
  /** When the client learnt the outcome (COMMIT returned, HTTP response). */
  ackMs: number;
  outcome: 'ok' | 'fail' | 'info';
  /** The transaction id, for plain-SQL changes (known before COMMIT is sent). */
  xid: number | null;
  /** For API changes: the server that was asked. */
  server?: string;
  /** How long a plain-SQL transaction was held open before COMMIT. */
  heldMs?: number;
  note?: string;
}

export type FaultKind =
  | 'redis-pause'
  | 'redis-stall'
  | 'redis-restart-empty'
  | 'redis-restore-snapshot'
  | 'redis-evict-records'
  | 'pg-terminate-backends'
  | 'db-link-slow';

export interface FaultEvent {
  kind: FaultKind;
  startMs: number;
  endMs: number;
  /** Whether Redis may have lost acknowledged writes in this window (restart, restore). */
  lossOfRedisWrites: boolean;
  detail?: string;
}

export interface CrashEvent {
  server: string;
  atMs: number;
  /** When the engine had it serving again (null: it did not come back). */
  restartedAtMs: number | null;
  code: number | null;
  signal: string | null;
  stderr: string;
}

export interface ServerInfo {
  name: string;
  strategy: string;
  /** How it reaches Postgres: 'direct' link (through a proxy it may slow) or a 'slow' one. */
  link: 'direct' | 'slow';
  linkDelayMs: number;
  /** The server's own revocation counters at the end (lease lapses, refills, intents seen …). */
  revocationEvents?: Record<string, number>;
}

export interface History {
  schemaVersion: typeof HISTORY_SCHEMA_VERSION;
  strategy: string;
  seed: number;
  startedAt: string;
  durationMs: number;
  servers: ServerInfo[];
  /** How Postgres' wall clock was mapped onto the harness clock (NTP-style, min-RTT sample). */
  clock: { offsetMs: number; uncertaintyMs: number; driftMs: number };
  initial: RbacState;
  commits: CommitEvent[];
  mints: MintEvent[];
  probes: ProbeEvent[];
  revocations: RevocationOp[];
  faults: FaultEvent[];
  crashes: CrashEvent[];
}

/** The freshness bound checked, per kind of revocation, and the liveness bound after faults. */
export interface FreshnessBounds {
  /** δ for revocations made through the API. */
  apiMs: number;
  /** δ for plain-SQL revocations (and API ones during a Redis write loss). */
  sqlMs: number;
  /** After a fault ends, fresh tokens must work again within this. */
  recoveryMs: number;
}

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
  count: number;
}

export interface StaleAcceptance {
  server: string;
  user: number;
  token: number;
  startMs: number;
  status: number;
  /** The earliest revocation the token had not seen and which was due before the request. */
  revocationXid: number;
  via: 'api' | 'sql';
  commitMs: number;
  sinceCommitMs: number;
  /** How far past commit + δ the request started. */
  lateMs: number;
}

export interface LockoutEpisode {
  server: string;
  user: number;
  fromMs: number;
  toMs: number;
  durationMs: number;
  rejections: number;
  statuses: number[];
}

export interface FaultWindowStats {
  kind: FaultKind;
  startMs: number;
  endMs: number;
  probes: number;
  ok: number;
  status503: number;
  otherRejections: number;
  errors: number;
  /** 503 response times in this window (how fast the service failed closed). */
  unavailableLatencyMs: Percentiles | null;
}

export interface FreshnessVerdict {
  /** 2xx on a token stale for longer than its revocation's δ, honouring stale rights. */
  staleAccepted: number;
  staleAcceptances: StaleAcceptance[];
  /** 2xx on a fresh token answered with rights the user never had then (should never happen). */
  wrongRights: number;
  /** 2xx on a token minted against another dataset. */
  foreignAccepted: number;
  /** Longest a stale token's rights were honoured after its revocation committed (null: never). */
  maxStalenessMs: number | null;
  /** Commit → first answer that no longer honours the revoked claims, per (revocation, server). */
  revocationLatencyMs: Percentiles | null;
  revocationLatencyByVia: { api: Percentiles | null; sql: Percentiles | null };
  revocationLatencyByServer: Record<string, Percentiles | null>;
  /** (revocation, server) pairs whose revoked claims were still honoured when the run ended. */
  neverRevoked: number;
  /** Pairs whose first correct answer was sampled too coarsely to give a latency. */
  latencyUnresolved: number;
  revocations: { total: number; api: number; sql: number; ops: number; failedOps: number };
  probes: {
    total: number;
    ok: number;
    status401: number;
    status403: number;
    status503: number;
    other: number;
    errors: number;
  };
  /** Revocation ops + probes + mints: the operations the checker judged. */
  operations: number;
  /** Fresh tokens rejected (outside faults + recovery and in-flight revocations) for longer than the recovery bound. */
  lockouts: number;
  lockoutEpisodes: LockoutEpisode[];
  /** Every run of such rejections, however short (a lock-out is one that lasts). */
  rejectionEpisodes: LockoutEpisode[];
  rejectionsOutsideFaults: number;
  faults: FaultWindowStats[];
  unavailableLatencyMs: Percentiles | null;
  crashes: number;
}

// ---------------------------------------------------------------------------------------------
// The nemesis's plan (bench/freshness/schedule.ts builds it from the seed) and the results record.

/** What the nemesis decides up front; the executor adapts to the data (a deleted user is re-created). */
export type PlannedKind =
  | 'api-role-change'
  | 'api-delete'
  | 'sql-role-change'
  | 'sql-permission-toggle'
  | 'sql-permission-rename'
  | 'sql-role-rename'
  | 'sql-truncate-user-roles'
  | 'sql-truncate-role-permissions';

export interface PlannedRevocation {
  atMs: number;
  kind: PlannedKind;
  /** A probed user's id (role-level changes: a user whose role is changed or who holds it). */
  user: number;
  /** Roles to give (role changes, re-creations). */
  roles: string[];
  /** The role whose permissions or name change (role-level changes). */
  role: 'editor' | 'viewer';
  /** The permission toggled or renamed. */
  permission: string;
  /** A plain-SQL transaction stays open this long before COMMIT (interleaving with others). */
  holdMs: number;
  /** Index of the server an API change is sent to. */
  server: number;
}

export interface PlannedFault {
  atMs: number;
  kind: FaultKind;
  durationMs: number;
  /** db-link-slow: the delay each way. */
  delayMs: number;
}

export interface Schedule {
  revocations: PlannedRevocation[];
  faults: PlannedFault[];
  /** When to take the Redis snapshots that restore-snapshot faults bring back. */
  snapshotsAtMs: number[];
}

export interface FreshnessConfig {
  strategies: string[];
  seconds: number;
  seed: number;
  faults: FaultKind[];
  revocationsPerSecond: number;
  /** Users in the dataset. */
  users: number;
  /** Users whose tokens are probed (and revoked). */
  probedUsers: number;
  /** Background load on each server, requests per second (open model). */
  loadRps: number;
  probeRps: number;
  /** The second server's database link, ms each way. */
  slowLinkMs: number;
  /**
   * Lifetime of the probed tokens (null, or absent in older records: they outlive the phase).
   * Short-lived tokens bound how long a strategy that never checks revocation stays stale.
   */
  tokenTtlSeconds?: number | null;
  /** How the servers verify tokens (absent in older records: keyobject). */
  jwtVerify?: JwtVerifyVariant;
  resultsDir: string;
}

export interface FreshnessStrategyResult {
  /** What the strategy claims (null: no bound, e.g. jwt-only, stale until the token expires). */
  declared: { apiMs: number | null; sqlMs: number | null };
  /** What was checked: the declared bound, or the invariant's where the strategy declares none. */
  bounds: FreshnessBounds;
  staleAccepted: number;
  revocationLatencyMs: { p50: number; p99: number; max: number } | null;
  lockouts: number;
  crashes: number;
  operations: number;
  /** No violation of what the strategy claims, no lock-out, no crash. */
  pass: boolean;
  summary: string;
  servers: ServerInfo[];
  /** Background load actually sent, per server. */
  load: Array<{ server: string; achievedRps: number; ok: number; non2xx: number; errors: number }>;
  verdict: FreshnessVerdict;
  /** The history file, next to this record. */
  history: string;
}

export interface FreshnessRecord {
  schemaVersion: typeof FRESHNESS_SCHEMA_VERSION;
  kind: 'freshness';
  createdAt: string;
  command: string;
  wallSeconds: number;
  seed: number;
  config: FreshnessConfig;
  environment: {
    node: string;
    postgres: string;
    redis: string;
    cpuModel: string;
    cores: number;
    gitCommit: string | null;
  };
  schedule: Schedule;
  strategies: Record<string, FreshnessStrategyResult>;
  /** Every strategy passed. */
  valid: boolean;
}
