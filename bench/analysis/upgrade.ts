/**
 * Reads records of older schema versions as the current one (pure), so `report` and `compare`
 * keep working on files written before. Version 1 held exactly two strategies, one
 * `comparison` with its verdict sentence, a model with its explanation, and optional fields for
 * what it had not yet measured; version 2 holds `comparisons[]`, round status as a
 * discriminated union, and null for "not measured". Sentences are rendered from the numbers now.
 */
import type {
  Comparison,
  ResultsRecord,
  RoundRecord,
  StrategyMap,
  StrategyResult,
} from '../schema/results.js';
import { RESULTS_SCHEMA_VERSION } from '../schema/results.js';
import { SWEEP_SCHEMA_VERSION, type SweepRecord } from '../schema/sweep.js';
import { summarizeSweep } from './sweep.js';

/** Thrown for a file that is no results record of a version this code reads. */
export class RecordFormatError extends Error {
  override readonly name = 'RecordFormatError';
}

type Loose = Record<string, unknown>;
const isObject = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);

interface V1Round extends Loose {
  status: 'valid' | 'invalid';
  invalidReasons?: string[];
  latencyMs?: unknown;
}

function upgradeRound(r: V1Round): RoundRecord {
  const { invalidReasons, latencyMs, ...rest } = r;
  const filled = {
    ...rest,
    proxyCpuPercent: rest.proxyCpuPercent ?? null,
    poolBusyConnections: rest.poolBusyConnections ?? null,
    dbExecuting: rest.dbExecuting ?? null,
  };
  return (
    r.status === 'valid'
      ? { ...filled, status: 'valid', latencyMs }
      : { ...filled, status: 'invalid', invalidReasons: invalidReasons ?? [] }
  ) as RoundRecord;
}

/**
 * Models before 2026-11-26 derived their "predictions" from the measured rounds themselves (a
 * bound of throughput × pool ÷ busy connections is the measured throughput again): they are
 * not carried forward. A record without a calibration has no model.
 */
function currentModel(m: unknown): ResultsRecord['model'] {
  return isObject(m) && isObject(m.calibration) && isObject(m.predicted)
    ? (m as unknown as ResultsRecord['model'])
    : null;
}

/**
 * Open-model entries before 2026-11-26 hold one unpaired run per strategy and fraction: their
 * numbers stay, with no runs listed and no paired differences (one run gives no interval).
 */
function currentOpenModel(list: unknown): ResultsRecord['openModel'] {
  if (!Array.isArray(list)) return [];
  return (list as Loose[]).map((o) => {
    if (Array.isArray(o.comparisons)) return o as unknown as ResultsRecord['openModel'][number];
    const strategies = isObject(o.strategies) ? o.strategies : {};
    return {
      ...(o as unknown as ResultsRecord['openModel'][number]),
      repetitions: 1,
      warmupSeconds: 0,
      strategies: Object.fromEntries(
        Object.entries(strategies).map(([n, r]) => [n, { ...(r as object), runs: [] }]),
      ) as ResultsRecord['openModel'][number]['strategies'],
      comparisons: [],
    };
  });
}

/** Costs before target mode always counted Redis commands on Redis' side. */
function currentStrategies(strategies: StrategyMap<StrategyResult>): StrategyMap<StrategyResult> {
  return Object.fromEntries(
    Object.entries(strategies).map(([n, s]) => [
      n,
      isObject(s.costs)
        ? { ...s, costs: { ...s.costs, redisCommandsSource: s.costs.redisCommandsSource ?? 'redis' } }
        : s,
    ]),
  ) as StrategyMap<StrategyResult>;
}

/** A version-2 record as written today: older ones lack the calibration, open-model and target fields. */
export function upgradeResultsV2(r: ResultsRecord): ResultsRecord {
  return {
    ...r,
    env: isObject(r.env) ? { ...r.env, targets: r.env.targets ?? null } : r.env,
    strategies: currentStrategies(r.strategies),
    // Filled in after the fields the record has, so its own order is kept (reports list them).
    config: {
      ...r.config,
      calibrationConnections: r.config.calibrationConnections ?? [1],
      calibrationSeconds: r.config.calibrationSeconds ?? 0,
      engine: r.config.engine ?? 'autocannon',
      openRepetitions: r.config.openRepetitions ?? 1,
      openWarmupSeconds: r.config.openWarmupSeconds ?? 0,
    },
    openModel: currentOpenModel(r.openModel),
    model: currentModel(r.model),
  };
}

/** A version-1 results record as version 2. */
export function upgradeResultsV1(v1: Loose): ResultsRecord {
  if (!isObject(v1.strategies) || !isObject(v1.config))
    throw new RecordFormatError('a version-1 results record needs strategies and config');
  const strategies: Record<string, StrategyResult> = {};
  for (const [name, s] of Object.entries(v1.strategies)) {
    if (!isObject(s) || !Array.isArray(s.rounds))
      throw new RecordFormatError(`strategies.${name} has no rounds`);
    strategies[name] = {
      ...(s as unknown as StrategyResult),
      rounds: (s.rounds as V1Round[]).map(upgradeRound),
      ceilingRatio: null,
      freshness: null,
    };
  }
  let comparisons: Comparison[] = [];
  if (isObject(v1.comparison)) {
    const { verdict: _sentence, ...numbers } = v1.comparison;
    comparisons = [numbers as unknown as Comparison];
  }
  const { comparison: _one, ...rest } = v1;
  // Options added during version 1 are absent from files written before them; what ran then is
  // known: a direct link, KeyObject verification, no open model, servers not pinned.
  const config = {
    adaptive: false,
    minRounds: (v1.config as { rounds?: number }).rounds ?? 0,
    targetPrecision: 0,
    dbDelayMs: 0,
    jwtVerify: 'keyobject',
    openFractions: [],
    openSeconds: 0,
    openRepetitions: 1,
    openWarmupSeconds: 0,
    calibrationConnections: [1],
    calibrationSeconds: 0,
    engine: 'autocannon',
    ...v1.config,
  } as unknown as ResultsRecord['config'];
  const env = isObject(v1.env) ? { serverCpu: null, targets: null, ...v1.env } : v1.env;
  return {
    ...(rest as unknown as ResultsRecord),
    config,
    env: env as ResultsRecord['env'],
    schemaVersion: RESULTS_SCHEMA_VERSION,
    warmup: (Array.isArray(v1.warmup) ? (v1.warmup as V1Round[]) : []).map(upgradeRound),
    strategies: currentStrategies(strategies as StrategyMap<StrategyResult>),
    comparisons,
    openModel: currentOpenModel(v1.openModel),
    model: null,
    linkRoundTripMs: typeof v1.linkRoundTripMs === 'number' ? v1.linkRoundTripMs : null,
    stopping: { rule: 'fixed', rounds: config.rounds, halfWidths: {} },
  };
}

/** A version-1 sweep as version 2: its records upgraded, its points summarized anew from them. */
export function upgradeSweepV1(v1: Loose): SweepRecord {
  if (!Array.isArray(v1.points) || !Array.isArray(v1.records) || v1.points.length !== v1.records.length) {
    throw new RecordFormatError('a version-1 sweep needs as many records as points');
  }
  const points = (v1.points as Loose[]).map((p, i) => ({
    value: String(p.value),
    record: upgradeResultsV1((v1.records as Loose[])[i]!),
  }));
  const s = summarizeSweep(String(v1.scenario), String(v1.param), String(v1.createdAt), points);
  return { ...s, schemaVersion: SWEEP_SCHEMA_VERSION };
}

/** Any results or sweep file this version reads, as the current schema. */
export function readRecord(
  data: unknown,
): { kind: 'run'; record: ResultsRecord } | { kind: 'sweep'; sweep: SweepRecord } {
  if (!isObject(data)) throw new RecordFormatError('not a JSON object');
  const version = data.schemaVersion;
  const sweep = data.kind === 'sweep';
  if (sweep && Array.isArray(data.points)) {
    if (version === SWEEP_SCHEMA_VERSION) {
      // Summarized anew from its records, so that points of older files hold today's fields.
      const s = data as unknown as SweepRecord;
      const points = s.points.map((p, i) => ({ value: p.value, record: upgradeResultsV2(s.records[i]!) }));
      return { kind: 'sweep', sweep: summarizeSweep(s.scenario, s.param, s.createdAt, points) };
    }
    if (version === 1) return { kind: 'sweep', sweep: upgradeSweepV1(data) };
  } else if (isObject(data.strategies) && data.kind === undefined) {
    if (version === RESULTS_SCHEMA_VERSION)
      return { kind: 'run', record: upgradeResultsV2(data as unknown as ResultsRecord) };
    if (version === 1) return { kind: 'run', record: upgradeResultsV1(data) };
  }
  throw new RecordFormatError(
    `not an authbench results or sweep file of schemaVersion 1 or ${RESULTS_SCHEMA_VERSION} (found ${JSON.stringify(version ?? null)}${data.kind ? `, kind ${JSON.stringify(data.kind)}` : ''})`,
  );
}
