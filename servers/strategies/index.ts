import { createDbLookup } from './db-lookup.js';
import { createJwtOnly } from './jwt-only.js';
import { createJwtRedis } from './jwt-redis.js';
import type { AuthStrategy, StrategyDeps, StrategyName } from './types.js';

export * from './types.js';
export { JWT_ONLY_WARNING } from './jwt-only.js';

const FACTORIES: Record<StrategyName, (deps: StrategyDeps) => AuthStrategy> = {
  'db-lookup': createDbLookup,
  'jwt-redis': createJwtRedis,
  'jwt-only': createJwtOnly,
};

export function createStrategy(name: StrategyName, deps: StrategyDeps): AuthStrategy {
  return FACTORIES[name](deps);
}
