import type { Baseline } from '../schema/baseline.js';
import type { ResultsRecord } from '../schema/results.js';

export type { Baseline };

export interface Check {
  name: string;
  /** The measured value; null when the record lacks it (a strategy or the comparison missing). */
  measured: number | null;
  /** For ratio checks: the median beside the bound that is checked. */
  median?: number;
  limit: { op: '=' | '≥' | '≤'; value: number | null };
  pass: boolean;
}

/** Checks a results record against a baseline (pure). Every check is reported, pass or fail. */
export function gate(record: ResultsRecord, baseline: Baseline): Check[] {
  const checks: Check[] = [];
  const names = [baseline.baseline, baseline.candidate] as Array<keyof ResultsRecord['strategies']>;
  for (const name of names) {
    const s = record.strategies[name];
    const counts = [
      ['database queries per request', s?.queriesPerRequest, baseline.queriesPerRequest[name]],
      ['Redis commands per request', s?.redisCommandsPerRequest, baseline.redisCommandsPerRequest[name]],
    ] as const;
    for (const [what, measured, want] of counts) {
      checks.push({
        name: `${name}: ${what}`,
        measured: measured ?? null,
        limit: { op: '=', value: want ?? null },
        pass: measured !== undefined && want !== undefined && measured === want,
      });
    }
  }
  const invalid = Object.values(record.strategies)
    .flatMap((s) => s.rounds)
    .filter((r) => r.status === 'invalid').length;
  checks.push({
    name: 'invalid rounds',
    measured: invalid,
    limit: { op: '≤', value: baseline.maxInvalidRounds },
    pass: invalid <= baseline.maxInvalidRounds,
  });
  const c = record.comparisons.find(
    (x) => x.baseline === baseline.baseline && x.candidate === baseline.candidate,
  );
  checks.push({
    name: `throughput ${baseline.candidate}/${baseline.baseline}: 95% CI lower bound`,
    measured: c ? c.throughputRatio.ci95[0] : null,
    ...(c ? { median: c.throughputRatio.median } : {}),
    limit: { op: '≥', value: baseline.minThroughputRatioLowerBound },
    pass: c !== undefined && c.throughputRatio.ci95[0] >= baseline.minThroughputRatioLowerBound,
  });
  const a = record.strategies[names[0]!];
  const b = record.strategies[names[1]!];
  const p99Ratio = a && b ? b.latencyMs.p99 / a.latencyMs.p99 : NaN;
  checks.push({
    name: `p99 latency ${baseline.candidate}/${baseline.baseline}`,
    measured: Number.isFinite(p99Ratio) ? p99Ratio : null,
    limit: { op: '≤', value: baseline.maxP99LatencyRatio },
    pass: p99Ratio <= baseline.maxP99LatencyRatio,
  });
  return checks;
}

/** Parses and checks a baseline file's content; the message names the field. */
export function parseBaseline(text: string, source: string): Baseline {
  let b: Partial<Baseline>;
  try {
    b = JSON.parse(text) as Partial<Baseline>;
  } catch (err) {
    throw new Error(`${source}: not JSON (${(err as Error).message})`);
  }
  const bad = (field: string, rule: string): Error => new Error(`${source}: ${field} must be ${rule}`);
  if (b.schemaVersion !== 1) throw bad('schemaVersion', '1');
  if (typeof b.baseline !== 'string' || typeof b.candidate !== 'string')
    throw bad('baseline and candidate', 'strategy names');
  for (const field of ['queriesPerRequest', 'redisCommandsPerRequest'] as const) {
    const v = b[field];
    if (
      typeof v !== 'object' ||
      v === null ||
      ![b.baseline, b.candidate].every((n) => typeof v[n] === 'number')
    ) {
      throw bad(field, `an object with a number for ${b.baseline} and ${b.candidate}`);
    }
  }
  for (const field of ['maxInvalidRounds', 'minThroughputRatioLowerBound', 'maxP99LatencyRatio'] as const) {
    if (typeof b[field] !== 'number' || !(b[field]! >= 0)) throw bad(field, 'a number ≥ 0');
  }
  return b as Baseline;
}
