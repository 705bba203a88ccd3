import { randomInt } from 'node:crypto';
import { JWT_VERIFY_VARIANTS } from '../../servers/jwt.js';
import { NOT_AUTH_STRATEGIES, STRATEGY_NAMES } from '../../servers/strategies/index.js';
import type { FaultKind, FreshnessConfig } from '../schema/freshness.js';
import { FAULT_KINDS } from './freshness-schedule.js';
import { choiceFlag, intFlag, listFlag, numberFlag, usage } from './usage.js';

export const FRESHNESS_DEFAULTS = {
  strategy: 'jwt-redis',
  seconds: 30,
  faults: FAULT_KINDS.join(','),
  revocationsPerSecond: 5,
  users: 2000,
  probedUsers: 24,
  loadRps: 200,
  probeRps: 200,
  slowLinkMs: 10,
  resultsDir: 'results',
} as const;

/** Every value checked before anything starts: a bad flag costs nothing. */
export function parseFreshnessArgs(raw: Record<string, unknown>): FreshnessConfig {
  const str = (k: keyof typeof FRESHNESS_DEFAULTS): string => String(raw[k] ?? FRESHNESS_DEFAULTS[k]);
  const faultsRaw = str('faults');
  const faults: FaultKind[] =
    faultsRaw === 'none'
      ? []
      : listFlag('--faults', faultsRaw, [...FAULT_KINDS, 'none'] as const).map((f) => {
          if (f === 'none')
            throw usage(
              '--faults',
              `none, or a comma-separated list of ${FAULT_KINDS.join(', ')}`,
              faultsRaw,
            );
          return f;
        });
  const users = intFlag('--users', str('users'), 100, 1_000_000);
  const probedUsers = intFlag('--probed-users', str('probedUsers'), 3, 200);
  if (probedUsers * 4 > users)
    throw usage(
      '--probed-users',
      `at most a quarter of --users (${Math.floor(users / 4)})`,
      str('probedUsers'),
    );
  // The ceiling authenticates nothing: there is no freshness to check.
  const checkable = STRATEGY_NAMES.filter((n) => !NOT_AUTH_STRATEGIES.includes(n));
  const strategies = listFlag('--strategy', str('strategy'), checkable);
  return {
    strategies,
    seconds: intFlag('--seconds', str('seconds'), 5, 3600),
    seed: raw.seed === undefined ? randomInt(0, 2 ** 31) : intFlag('--seed', String(raw.seed), 0, 0x7fffffff),
    faults,
    revocationsPerSecond: numberFlag('--revocations-per-second', str('revocationsPerSecond'), 0, 100),
    users,
    probedUsers,
    loadRps: intFlag('--load-rps', str('loadRps'), 0, 100_000),
    probeRps: intFlag('--probe-rps', str('probeRps'), 1, 10_000),
    slowLinkMs: intFlag('--slow-link-ms', str('slowLinkMs'), 1, 1000),
    tokenTtlSeconds:
      raw.tokenTtl === undefined || raw.tokenTtl === 'none'
        ? null
        : intFlag('--token-ttl', String(raw.tokenTtl), 1, 24 * 3600),
    jwtVerify: choiceFlag('--jwt-verify', String(raw.jwtVerify ?? 'keyobject'), JWT_VERIFY_VARIANTS),
    resultsDir: str('resultsDir'),
  };
}
