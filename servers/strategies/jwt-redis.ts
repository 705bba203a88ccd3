import { SQL_BOUND_MS } from '../revocation/revocations.js';
import type { AuthStrategy, StrategyDeps } from './types.js';

/**
 * The write-up's optimisation, made safe: trust the token's role and permissions, and check
 * with one Redis round trip that they are not stale. A token is stale when the user's token
 * version has moved past the one it was minted under, or the user is gone.
 */
export function createJwtRedis({ revocations }: StrategyDeps): AuthStrategy {
  return {
    name: 'jwt-redis',
    usesRedis: true,
    freshness: { apiMs: 0, sqlMs: SQL_BOUND_MS },
    async resolveUser(token) {
      const current = await revocations.lookup(token.userId);
      if (current === null || current.deleted || current.version !== token.ver) return null;
      return { id: token.userId, role: token.role, permissions: token.permissions };
    },
  };
}
