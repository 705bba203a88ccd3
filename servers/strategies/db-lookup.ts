import { AUTH_USER_RBAC } from '../../sql/queries.js';
import { claimsFromRows, type RbacRow } from '../claims.js';
import { DECLARED_FRESHNESS, type AuthStrategy, type StrategyDeps } from './types.js';

/**
 * The write-up's original middleware: trust only the token's userId (and the user row it was
 * minted for) and read roles and permissions with the 5-table join on every request. Always
 * current, one query per request.
 */
export function createDbLookup({ db }: StrategyDeps): AuthStrategy {
  return {
    name: 'db-lookup',
    usesRedis: false,
    verifiesTokens: true,
    ready: () => true,
    freshness: DECLARED_FRESHNESS['db-lookup'],
    async resolveUser(token) {
      const rows = await db.query<RbacRow>(AUTH_USER_RBAC, [token.userId, token.inc]);
      return claimsFromRows(rows);
    },
  };
}
