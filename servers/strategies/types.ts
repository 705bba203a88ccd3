import type { AuthUser } from '../claims.js';
import type { Db } from '../db.js';
import type { VerifiedToken } from '../jwt.js';
import type { TokenVersions } from '../token-versions.js';

export const STRATEGY_NAMES = ['db-lookup', 'jwt-redis'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export interface StrategyDeps {
  db: Db;
  versions: TokenVersions;
}

/**
 * What differs between the compared servers, and nothing else: how a verified token becomes
 * the user to authorise. Parsing, signature and claim-shape checks, routes, SQL and error
 * handling are shared (servers/app.ts), so a measured difference is this function's cost.
 */
export interface AuthStrategy {
  readonly name: StrategyName;
  /** Whether the request path needs Redis (readiness checks it only then). */
  readonly usesRedis: boolean;
  /**
   * The user this token speaks for, or null when the token must be rejected (unknown or
   * deleted user, revoked claims). Throws DependencyError when it cannot decide.
   */
  resolveUser(token: VerifiedToken): Promise<AuthUser | null>;
}
