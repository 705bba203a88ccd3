/**
 * `authbench predict`: the calibrated model asked about conditions nobody measured — "with our
 * database 4 ms away and a pool of 20, what would we gain?" — answered from a record's
 * calibration alone, with how well the same model did on the points that were measured. Pure.
 */
import type { StrategyName } from '../../servers/strategies/index.js';
import type {
  GainFields,
  ModelCalibration,
  ModelConditions,
  PredictedStrategy,
  ResultsRecord,
  StrategyMap,
} from '../schema/results.js';
import { predict } from './model.js';

/** What to change from the calibrated record's own conditions; absent: as it ran. */
export interface PredictQuestion {
  dbRttMs?: number;
  poolSize?: number;
  connections?: number;
  strategies?: StrategyName[];
}

/** One measured point the model was checked against. */
export interface TrackRecord {
  label: string;
  error: StrategyMap<number>;
  predictedGain: number | null;
  measuredGain: number | null;
}

export interface PredictAnswer {
  /** The record the calibration came from. */
  source: { scenario: string; createdAt: string; label: string };
  calibration: ModelCalibration;
  conditions: ModelConditions;
  strategies: StrategyName[];
  predicted: StrategyMap<PredictedStrategy> & GainFields;
  track: TrackRecord[];
}

/**
 * The prediction from the first of `records` with a calibration (each labelled, e.g. by its
 * scenario or sweep value), for its own conditions with the question's changes; every record
 * with a model is in the track record. Throws when none has a calibration, or a strategy asked
 * for was not calibrated.
 */
export function answer(
  records: ReadonlyArray<{ label: string; record: ResultsRecord }>,
  q: PredictQuestion,
): PredictAnswer {
  const source = records.find((r) => r.record.model !== null);
  if (!source)
    throw new Error(
      'no calibration in this file: it was written before the calibrated model, or with --calibration-seconds 0 (run authbench run again)',
    );
  const model = source.record.model!;
  const calibrated = Object.keys(model.calibration.strategies) as StrategyName[];
  const strategies = q.strategies ?? calibrated;
  const missing = strategies.filter((s) => !calibrated.includes(s));
  if (missing.length > 0)
    throw new Error(
      `--strategies: ${missing.join(', ')} not calibrated in this file (it has ${calibrated.join(', ')})`,
    );
  const conditions: ModelConditions = {
    connections: q.connections ?? model.conditions.connections,
    poolSize: q.poolSize ?? model.conditions.poolSize,
    linkRoundTripMs: q.dbRttMs ?? model.conditions.linkRoundTripMs,
  };
  return {
    source: { scenario: source.record.scenario, createdAt: source.record.createdAt, label: source.label },
    calibration: model.calibration,
    conditions,
    strategies,
    predicted: predict(model.calibration, conditions, strategies),
    track: records
      .filter((r) => r.record.model !== null)
      .map(({ label, record }) => ({
        label,
        error: record.model!.error,
        predictedGain: record.model!.predicted.gain,
        measuredGain: record.model!.measured.gain,
      })),
  };
}
