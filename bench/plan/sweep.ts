import type { BenchConfig } from '../schema/results.js';
import { validateConfig, type RawBenchOptions } from './config.js';
import { usage } from './usage.js';

/** Parameters a sweep can vary, by their flag-style name. */
export const SWEEP_PARAMS: Record<string, keyof RawBenchOptions> = {
  connections: 'connections',
  'db-delay-ms': 'dbDelayMs',
  'pool-size': 'poolSize',
  users: 'users',
  'jwt-verify': 'jwtVerify',
};

/** Validates --param/--values into one config per point, before anything starts. */
export function sweepConfigs(
  base: BenchConfig,
  param: string,
  values: string,
): Array<{ value: string; config: BenchConfig }> {
  const field = SWEEP_PARAMS[param];
  if (!field) throw usage('--param', `one of ${Object.keys(SWEEP_PARAMS).join(', ')}`, param);
  const list = values
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (list.length < 2 || new Set(list).size !== list.length)
    throw usage('--values', 'at least two distinct comma-separated values', values);
  return list.map((value) => ({
    value,
    config: validateConfig({ ...configAsRaw(base), [field]: value }, base),
  }));
}

function configAsRaw(c: BenchConfig): RawBenchOptions {
  return {
    ...c,
    strategies: c.strategies.join(','),
    rounds: c.adaptive ? 'auto' : c.rounds,
    calibrationConnections: c.calibrationConnections.join(','),
    maxRounds: c.rounds,
  } as unknown as RawBenchOptions;
}

/** Seconds of load a point's plan holds: warm-ups, calibration, rounds and open-model runs, per strategy. */
export function plannedLoadSeconds(c: BenchConfig): number {
  return (
    c.strategies.length *
    (c.warmupSeconds +
      c.calibrationSeconds * c.calibrationConnections.length +
      c.rounds * c.roundSeconds +
      c.openFractions.length * c.openRepetitions * (c.openWarmupSeconds + c.openSeconds))
  );
}

/** What a finished sweep point took: wall seconds, and the part of it spent seeding. */
export interface PointTiming {
  config: BenchConfig;
  seconds: number;
  seededUsers: number;
  seedSeconds: number;
}

/**
 * Seconds left: each remaining point's planned load, plus the fixed overhead (servers,
 * tokens, verification) the finished points took beyond their plan and their seeding, plus
 * seeding wherever a point's dataset differs from the one before it, at the rate seeding ran
 * so far (a users sweep re-seeds at every point). Pure.
 */
export function sweepEtaSeconds(done: readonly PointTiming[], remaining: readonly BenchConfig[]): number {
  const fixed = done.map((d) => Math.max(0, d.seconds - d.seedSeconds - plannedLoadSeconds(d.config)));
  const meanFixed = fixed.length ? fixed.reduce((a, b) => a + b, 0) / fixed.length : 0;
  const seededUsers = done.reduce((a, d) => a + d.seededUsers, 0);
  const seedSeconds = done.reduce((a, d) => a + d.seedSeconds, 0);
  const usersPerSecond = seededUsers > 0 && seedSeconds > 0 ? seededUsers / seedSeconds : null;
  let previous = done.at(-1)?.config;
  let total = 0;
  for (const c of remaining) {
    const reseeds = previous !== undefined && (previous.users !== c.users || previous.seed !== c.seed);
    total +=
      plannedLoadSeconds(c) + meanFixed + (reseeds && usersPerSecond !== null ? c.users / usersPerSecond : 0);
    previous = c;
  }
  return total;
}

export interface SweepArgs {
  scenario: string;
  param: string;
  points: Array<{ value: string; config: BenchConfig }>;
  pgUrl?: string;
  redisUrl?: string;
}

export function parseSweepArgs(
  base: BenchConfig,
  param: string,
  values: string,
  urls: { pgUrl?: string; redisUrl?: string },
): SweepArgs {
  return { scenario: base.scenario, param, points: sweepConfigs(base, param, values), ...urls };
}
