import type { AuthUser } from '../claims.js';
import type { Db } from '../db.js';
import type { VerifiedToken } from '../jwt.js';
import type { LocalVersions } from '../revocation/local.js';
import { SQL_BOUND_MS, type Revocations, type UserVersion } from '../revocation/revocations.js';

export const STRATEGY_NAMES = [
  'db-lookup',
  'jwt-redis',
  'jwt-local',
  'rbac-cache',
  'jwt-only',
  'no-auth',
] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];
/** The two the write-up compares: the bench's default pair, and what docs/security.md's rows are about. */
export const WRITE_UP_STRATEGIES = ['db-lookup', 'jwt-redis'] as const;
export type WriteUpStrategy = (typeof WRITE_UP_STRATEGIES)[number];

export interface StrategyDeps {
  db: Db;
  revocations: Revocations;
  /** jwt-local's in-process map; null for every other strategy. */
  local: LocalVersions | null;
}

/** Strategies that authenticate nothing: benchmarks only, never on a non-loopback address. */
export const NOT_AUTH_STRATEGIES: readonly StrategyName[] = ['no-auth'];

/**
 * Whether a token's claims are current, given the user's version: a token is stale when the
 * version has moved past the one it was minted under, or the user is gone (a tombstone's version
 * is the deletion's). A *newer* token is current: it was minted after a revocation the reader
 * has not seen yet, which its lease bounds (docs/freshness.md).
 */
export function isCurrent(tokenVersion: number, current: UserVersion): boolean {
  return current.deleted ? tokenVersion > current.version : tokenVersion >= current.version;
}

/**
 * How stale a strategy lets claims be, in ms after a revocation commits (docs/freshness.md):
 * through the API, and in plain SQL. null: no bound at all (until the token expires).
 */
export interface FreshnessBound {
  apiMs: number | null;
  sqlMs: number | null;
}

/** Each strategy's declared bound (the freshness checker holds it to it). */
export const DECLARED_FRESHNESS: Readonly<Record<StrategyName, FreshnessBound>> = {
  'db-lookup': { apiMs: 0, sqlMs: 0 },
  'jwt-redis': { apiMs: 0, sqlMs: SQL_BOUND_MS },
  // Every revocation reaches the map through the log, API ones included: one bound for both.
  'jwt-local': { apiMs: SQL_BOUND_MS, sqlMs: SQL_BOUND_MS },
  // The cache is only believed at the version jwt-redis's records hold: the same bounds.
  'rbac-cache': { apiMs: 0, sqlMs: SQL_BOUND_MS },
  'jwt-only': { apiMs: null, sqlMs: null },
  // Not an auth strategy: it accepts anything that parses. The ceiling, never a choice.
  'no-auth': { apiMs: null, sqlMs: null },
};

/**
 * What differs between the compared servers, and nothing else: how a verified token becomes
 * the user to authorise. Parsing, signature and claim-shape checks (dataset binding included),
 * routes, SQL and error handling are shared (servers/app.ts), so a measured difference is this
 * function's cost.
 */
export interface AuthStrategy {
  readonly name: StrategyName;
  /** Whether the request path needs Redis (readiness checks it only then). */
  readonly usesRedis: boolean;
  readonly freshness: FreshnessBound;
  /** Shown wherever the strategy is offered: what it gives up. */
  readonly warning?: string;
  /** False only for no-auth: the token is read, not verified. */
  readonly verifiesTokens: boolean;
  /** Whether requests can be authorised now, beyond Postgres answering (for /healthz). */
  ready(): boolean;
  /**
   * The user this token speaks for, or null when the token must be rejected (unknown or
   * deleted user, revoked claims). Throws DependencyError when it cannot decide.
   */
  resolveUser(token: VerifiedToken): Promise<AuthUser | null>;
}
