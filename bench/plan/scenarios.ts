import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { projectRoot } from '../infra/paths.js';
import type { BenchConfig } from '../schema/results.js';
import { validateConfig, type RawBenchOptions } from './config.js';
import { UsageError } from './usage.js';

/** The scenarios `npm run bench` runs back to back when none is named. */
export const DEFAULT_SCENARIOS = ['seed-regime', 'local'] as const;

/** Fields a scenario file may set, with the flag each corresponds to. */
const FIELDS: Record<string, keyof RawBenchOptions> = {
  connections: 'connections',
  dbDelayMs: 'dbDelayMs',
  poolSize: 'poolSize',
  users: 'users',
  seed: 'seed',
  warmupSeconds: 'warmupSeconds',
  // A scenario's rounds are the most: adaptive rounds (the default) may stop earlier.
  rounds: 'maxRounds',
  minRounds: 'minRounds',
  targetPrecision: 'targetPrecision',
  roundSeconds: 'roundSeconds',
  jwtVerify: 'jwtVerify',
  strategies: 'strategies',
  tokenUsers: 'tokenUsers',
  verifyUsers: 'verifyUsers',
  calibrationConnections: 'calibrationConnections',
  calibrationSeconds: 'calibrationSeconds',
  engine: 'engine',
};

export function scenarioDir(): string {
  return join(projectRoot(), 'bench', 'scenarios');
}

export function listScenarios(): string[] {
  return readdirSync(scenarioDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();
}

/** A name in bench/scenarios/, or a path to a file of one's own. */
export function scenarioPath(nameOrPath: string): string {
  if (nameOrPath.includes('/') || nameOrPath.endsWith('.json')) return nameOrPath;
  return join(scenarioDir(), `${nameOrPath}.json`);
}

/**
 * Reads a scenario file into raw options; errors name the file and the field
 * (`scenario seed-regime.json: connections must be an integer from 1 to 10000 (got 0)`).
 */
export function readScenario(nameOrPath: string): {
  name: string;
  raw: RawBenchOptions;
  description: string;
} {
  const path = scenarioPath(nameOrPath);
  if (!existsSync(path)) {
    throw new UsageError(
      `--scenario must name a file in bench/scenarios (${listScenarios().join(', ')}) or a path (got ${JSON.stringify(nameOrPath)})`,
    );
  }
  const file = basename(path);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`scenario ${file}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new UsageError(`scenario ${file}: must be a JSON object`);
  const raw: RawBenchOptions = {};
  let description = '';
  for (const [key, value] of Object.entries(data)) {
    if (key === 'description') {
      description = String(value);
      continue;
    }
    const field = FIELDS[key];
    if (!field)
      throw new UsageError(
        `scenario ${file}: unknown field "${key}" (known: description, ${Object.keys(FIELDS).join(', ')})`,
      );
    raw[field] = Array.isArray(value)
      ? value.join(',')
      : typeof value === 'number' || typeof value === 'string'
        ? String(value)
        : value;
  }
  return { name: basename(path, '.json'), raw, description };
}

/**
 * A scenario's config: the defaults, then the file, then flags given explicitly on the
 * command line. Validation errors from the file's values name the file.
 */
export function scenarioConfig(
  nameOrPath: string,
  explicit: RawBenchOptions,
  defaults: BenchConfig,
): BenchConfig {
  const { name, raw } = readScenario(nameOrPath);
  try {
    validateConfig(raw, defaults);
  } catch (err) {
    if (err instanceof UsageError)
      throw new UsageError(
        `scenario ${name}.json: ${err.message.replace(/^--([a-z-]+)/, (_, f: string) => f.replace(/-([a-z])/g, (__, c: string) => c.toUpperCase()))}`,
      );
    throw err;
  }
  return validateConfig({ ...raw, ...explicit, scenario: name }, defaults);
}
