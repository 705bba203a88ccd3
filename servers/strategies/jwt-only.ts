import { DECLARED_FRESHNESS, type AuthStrategy } from './types.js';

export const JWT_ONLY_WARNING =
  'jwt-only is UNSAFE: it never checks revocation, so revoked rights last until the token expires';

/**
 * The stateless extreme many teams run: verify the signature, trust the claims, check nothing
 * else. A revoked role or a deleted user keeps working until the token expires. Here so the
 * freshness checker has something it must catch; never a default.
 */
export function createJwtOnly(): AuthStrategy {
  return {
    name: 'jwt-only',
    usesRedis: false,
    verifiesTokens: true,
    ready: () => true,
    freshness: DECLARED_FRESHNESS['jwt-only'],
    warning: JWT_ONLY_WARNING,
    async resolveUser(token) {
      return { id: token.userId, role: token.role, permissions: token.permissions };
    },
  };
}
