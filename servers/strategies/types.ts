import type { AuthUser } from '../claims.js';
import type { Db } from '../db.js';
import type { VerifiedToken } from '../jwt.js';
import { SQL_BOUND_MS, type Revocations } from '../revocation/revocations.js';

export const STRATEGY_NAMES = ['db-lookup', 'jwt-redis', 'jwt-only'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];
/** The two the write-up compares: the bench's default pair, and what docs/security.md's rows are about. */
export const WRITE_UP_STRATEGIES = ['db-lookup', 'jwt-redis'] as const;
export type WriteUpStrategy = (typeof WRITE_UP_STRATEGIES)[number];

export interface StrategyDeps {
  db: Db;
  revocations: Revocations;
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
  'jwt-only': { apiMs: null, sqlMs: null },
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
  /**
   * The user this token speaks for, or null when the token must be rejected (unknown or
   * deleted user, revoked claims). Throws DependencyError when it cannot decide.
   */
  resolveUser(token: VerifiedToken): Promise<AuthUser | null>;
}
