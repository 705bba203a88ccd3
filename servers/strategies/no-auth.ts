import { DECLARED_FRESHNESS, type AuthStrategy } from './types.js';

export const NO_AUTH_WARNING =
  'no-auth authenticates NOTHING: it reads the token without checking its signature. The ceiling for ' +
  'benchmarks, on loopback only';

/**
 * The ceiling the others are measured against: the same app, routes, SQL and bodies, minus
 * authentication. The token's claims are read without verifying the signature (so the handlers
 * answer for the same user), nothing else is checked. `serve` refuses it on any non-loopback
 * address.
 */
export function createNoAuth(): AuthStrategy {
  return {
    name: 'no-auth',
    usesRedis: false,
    verifiesTokens: false,
    freshness: DECLARED_FRESHNESS['no-auth'],
    warning: NO_AUTH_WARNING,
    ready: () => true,
    async resolveUser(token) {
      return { id: token.userId, role: token.role, permissions: token.permissions };
    },
  };
}
