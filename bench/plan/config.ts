import { DEFAULT_SEED, DEFAULT_USERS } from '../../fixtures/generator.js';
import { JWT_VERIFY_VARIANTS } from '../../servers/jwt.js';
import { STRATEGY_NAMES } from '../../servers/strategies/index.js';
import { LOAD_ENGINES, type BenchConfig } from '../schema/results.js';
import { choiceFlag, intFlag, numberFlag, usage } from './usage.js';

/**
 * Sized so one scenario (infrastructure and seeding included) fits in 3 minutes on a
 * 2-core machine: 2 × 5 s warm-up + 2 × 20 × 3 s rounds = 130 s of load. Many short pairs
 * beat few long ones here: round-to-round noise on a shared 2-core machine is ±15 %, and the
 * median of the paired ratios tightens with the number of pairs.
 */
export const DEFAULTS: BenchConfig = {
  scenario: 'default',
  strategies: ['db-lookup', 'jwt-redis'],
  rounds: 20,
  adaptive: true,
  minRounds: 8,
  targetPrecision: 0.03,
  roundSeconds: 3,
  warmupSeconds: 5,
  connections: 32,
  tokenUsers: 2000,
  users: DEFAULT_USERS,
  seed: DEFAULT_SEED,
  poolSize: 10,
  path: '/api/dashboard',
  verifyUsers: 100,
  timeoutSeconds: 10,
  resultsDir: 'results',
  bootstrapIterations: 10_000,
  serverCpu: 'auto',
  dbDelayMs: 0,
  jwtVerify: 'keyobject',
  openFractions: [0.5, 0.8],
  openSeconds: 3,
  // Even: each strategy goes first equally often; 4 pairs' range is an 87.5 % interval.
  openRepetitions: 4,
  openWarmupSeconds: 1,
  calibrationConnections: [1, 2, 4, 8],
  calibrationSeconds: 3,
  engine: 'autocannon',
};

/**
 * `authbench ci`: a shorter run (≤ 90 s on a 2-core machine, everything included) for
 * regression gates; its thresholds allow for the wider intervals.
 */
export const CI_DEFAULTS: BenchConfig = {
  ...DEFAULTS,
  scenario: 'ci',
  rounds: 10,
  // The gate compares like with like: always the same number of rounds.
  adaptive: false,
  roundSeconds: 2,
  warmupSeconds: 3,
  users: 20_000,
  tokenUsers: 1000,
  verifyUsers: 50,
  openFractions: [],
  calibrationSeconds: 2,
};

/** Raw option values as commander gives them (strings, or undefined when not given). */
export type RawBenchOptions = Partial<Record<keyof BenchConfig | 'users' | 'seed' | 'maxRounds', unknown>>;

const str = (v: unknown): string => String(v);

/**
 * Validates command-line values into a config; throws UsageError naming the flag, the rule and
 * the value, before anything is started.
 */
export function validateConfig(raw: RawBenchOptions, defaults: BenchConfig = DEFAULTS): BenchConfig {
  const c: BenchConfig = { ...defaults, strategies: [...defaults.strategies] };
  if (raw.scenario !== undefined) {
    const s = str(raw.scenario);
    if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(s))
      throw usage('--scenario', 'lowercase letters, digits and dashes (1 to 40)', s);
    c.scenario = s;
  }
  if (raw.strategies !== undefined) {
    const list = str(raw.strategies);
    const parts = list.split(',').map((x) => x.trim());
    if (parts.length < 2 || new Set(parts).size !== parts.length) {
      throw usage(
        '--strategies',
        'at least two different strategies, baseline first (e.g. db-lookup,jwt-redis)',
        list,
      );
    }
    c.strategies = parts.map((p) => choiceFlag('--strategies', p, STRATEGY_NAMES));
  }
  if (raw.maxRounds !== undefined) c.rounds = intFlag('--max-rounds', str(raw.maxRounds), 2, 1000);
  if (raw.rounds !== undefined) {
    // auto: adaptive, up to --max-rounds (or what the defaults or scenario say); N: exactly N.
    if (str(raw.rounds) === 'auto') c.adaptive = true;
    else {
      c.rounds = intFlag('--rounds', str(raw.rounds), 2, 1000);
      c.adaptive = false;
    }
  }
  if (raw.minRounds !== undefined) c.minRounds = intFlag('--min-rounds', str(raw.minRounds), 2, 1000);
  if (raw.targetPrecision !== undefined) {
    const v = str(raw.targetPrecision).trim();
    const x = v.endsWith('%') ? Number(v.slice(0, -1)) / 100 : Number(v);
    if (!(x > 0 && x < 1))
      throw usage('--target-precision', 'a fraction in (0, 1) or a percentage, e.g. 0.03 or 3%', v);
    c.targetPrecision = x;
  }
  if (c.adaptive && c.minRounds > c.rounds) {
    throw usage('--min-rounds', `at most the most rounds (--max-rounds ${c.rounds})`, String(c.minRounds));
  }
  if (raw.roundSeconds !== undefined)
    c.roundSeconds = intFlag('--round-seconds', str(raw.roundSeconds), 1, 3600);
  if (raw.warmupSeconds !== undefined)
    c.warmupSeconds = intFlag('--warmup-seconds', str(raw.warmupSeconds), 0, 3600);
  if (raw.connections !== undefined)
    c.connections = intFlag('--connections', str(raw.connections), 1, 10_000);
  if (raw.users !== undefined) c.users = intFlag('--users', str(raw.users), 1, 10_000_000);
  if (raw.seed !== undefined) c.seed = intFlag('--seed', str(raw.seed), 0, 0xffffffff);
  if (raw.tokenUsers !== undefined)
    c.tokenUsers = intFlag('--token-users', str(raw.tokenUsers), 1, 1_000_000);
  if (raw.poolSize !== undefined) c.poolSize = intFlag('--pool-size', str(raw.poolSize), 1, 1000);
  if (raw.verifyUsers !== undefined)
    c.verifyUsers = intFlag('--verify-users', str(raw.verifyUsers), 1, 10_000);
  if (raw.timeoutSeconds !== undefined)
    c.timeoutSeconds = intFlag('--timeout-seconds', str(raw.timeoutSeconds), 1, 600);
  if (raw.bootstrapIterations !== undefined)
    c.bootstrapIterations = intFlag('--bootstrap-iterations', str(raw.bootstrapIterations), 100, 1_000_000);
  if (raw.resultsDir !== undefined) {
    const d = str(raw.resultsDir);
    if (d.trim() === '') throw usage('--results-dir', 'a directory path', d);
    c.resultsDir = d;
  }
  if (raw.serverCpu !== undefined) {
    const v = str(raw.serverCpu);
    c.serverCpu = v === 'auto' || v === 'none' ? v : intFlag('--server-cpu', v, 0, 4095);
  }
  if (raw.dbDelayMs !== undefined) c.dbDelayMs = numberFlag('--db-delay-ms', str(raw.dbDelayMs), 0, 1000);
  if (raw.calibrationConnections !== undefined) {
    const v = str(raw.calibrationConnections);
    const rule = '1 to 6 ascending integers from 1 to 256, comma-separated (e.g. 1,2,4,8)';
    const parts = v.split(',').map((x) => x.trim());
    if (parts.length > 6 || parts.some((x) => !/^[0-9]+$/.test(x)))
      throw usage('--calibration-connections', rule, v);
    const levels = parts.map(Number);
    if (levels.some((x, i) => x < 1 || x > 256 || (i > 0 && x <= levels[i - 1]!)))
      throw usage('--calibration-connections', rule, v);
    c.calibrationConnections = levels;
  }
  if (raw.engine !== undefined) c.engine = choiceFlag('--engine', str(raw.engine), LOAD_ENGINES);
  if (raw.calibrationSeconds !== undefined)
    c.calibrationSeconds = intFlag('--calibration-seconds', str(raw.calibrationSeconds), 0, 600);
  if (raw.jwtVerify !== undefined)
    c.jwtVerify = choiceFlag('--jwt-verify', str(raw.jwtVerify), JWT_VERIFY_VARIANTS);
  if (raw.openFractions !== undefined) {
    const v = str(raw.openFractions).trim();
    const parts = v === '' || v === 'none' ? [] : v.split(',').map((x) => Number(x.trim()));
    if (parts.some((x) => !(x > 0 && x <= 2)))
      throw usage('--open-fractions', 'comma-separated numbers in (0, 2], or none', v);
    c.openFractions = parts;
  }
  if (raw.openSeconds !== undefined) c.openSeconds = intFlag('--open-seconds', str(raw.openSeconds), 1, 3600);
  // Fewer than three paired runs give no interval worth the name for a latency difference.
  if (raw.openRepetitions !== undefined)
    c.openRepetitions = intFlag('--open-repetitions', str(raw.openRepetitions), 3, 50);
  if (raw.openWarmupSeconds !== undefined)
    c.openWarmupSeconds = intFlag('--open-warmup-seconds', str(raw.openWarmupSeconds), 0, 600);
  if (c.tokenUsers > c.users)
    throw usage('--token-users', `at most --users (${c.users})`, String(c.tokenUsers));
  if (c.verifyUsers > c.tokenUsers)
    throw usage('--verify-users', `at most --token-users (${c.tokenUsers})`, String(c.verifyUsers));
  return c;
}
