import { DECLARED_FRESHNESS, isCurrent, type AuthStrategy, type StrategyDeps } from './types.js';

/**
 * jwt-redis without the round trip: trust the token's claims and check them against a
 * revocation map held in this process, kept current from Postgres' revocation log
 * (servers/revocation/local.ts). No network on the request path; stale for at most the map's
 * lease after any revocation, and 503 rather than a guess whenever the map cannot be confirmed.
 */
export function createJwtLocal({ local }: StrategyDeps): AuthStrategy {
  if (local === null) throw new Error('jwt-local needs its revocation map');
  return {
    name: 'jwt-local',
    usesRedis: false,
    verifiesTokens: true,
    freshness: DECLARED_FRESHNESS['jwt-local'],
    ready: () => local.isReady,
    async resolveUser(token) {
      const current = await local.lookup(token.userId);
      if (current === null || !isCurrent(token.ver, current)) return null;
      return { id: token.userId, role: token.role, permissions: token.permissions };
    },
  };
}
