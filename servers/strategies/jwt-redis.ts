import { DECLARED_FRESHNESS, isCurrent, type AuthStrategy, type StrategyDeps } from './types.js';

/**
 * The write-up's optimisation, made safe: trust the token's role and permissions, and check
 * with one Redis round trip that they are not stale. A token is stale when the user's token
 * version has moved past the one it was minted under, or the user is gone.
 *
 * A token *newer* than the record is accepted: it was minted from Postgres after a revocation
 * the record does not show yet, which the freshness lease bounds to the declared δ, so rejecting
 * it would only lock out a user whose fresh token is perfectly current (docs/freshness.md).
 */
export function createJwtRedis({ revocations }: StrategyDeps): AuthStrategy {
  return {
    name: 'jwt-redis',
    usesRedis: true,
    verifiesTokens: true,
    freshness: DECLARED_FRESHNESS['jwt-redis'],
    ready: () => revocations.isReady,
    async resolveUser(token) {
      const current = await revocations.lookup(token.userId);
      if (current === null || !isCurrent(token.ver, current)) return null;
      return { id: token.userId, role: token.role, permissions: token.permissions };
    },
  };
}
