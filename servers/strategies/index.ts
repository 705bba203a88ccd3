import { createDbLookup } from './db-lookup.js';
import { createJwtOnly } from './jwt-only.js';
import { createJwtLocal } from './jwt-local.js';
import { createJwtRedis } from './jwt-redis.js';
import { createRbacCache } from './rbac-cache.js';
import { NO_AUTH_WARNING, createNoAuth } from './no-auth.js';
import { JWT_ONLY_WARNING } from './jwt-only.js';
import type { AuthStrategy, StrategyDeps, StrategyName } from './types.js';

export * from './types.js';
export { JWT_ONLY_WARNING } from './jwt-only.js';
export { NO_AUTH_WARNING } from './no-auth.js';

/** What a strategy gives up, said wherever it is started; undefined for those that give up nothing. */
export function strategyWarning(name: StrategyName): string | undefined {
  return name === 'jwt-only' ? JWT_ONLY_WARNING : name === 'no-auth' ? NO_AUTH_WARNING : undefined;
}

const FACTORIES: Record<StrategyName, (deps: StrategyDeps) => AuthStrategy> = {
  'db-lookup': createDbLookup,
  'jwt-redis': createJwtRedis,
  'jwt-local': createJwtLocal,
  'rbac-cache': createRbacCache,
  'jwt-only': createJwtOnly,
  'no-auth': createNoAuth,
};

export function createStrategy(name: StrategyName, deps: StrategyDeps): AuthStrategy {
  return FACTORIES[name](deps);
}
