import type { ResultsRecord } from './results.js';

/** The committed thresholds (bench/baseline.json): exact costs and ratio limits, no absolute req/s. */
export interface Baseline {
  schemaVersion: 1;
  baseline: string;
  candidate: string;
  queriesPerRequest: Record<string, number>;
  redisCommandsPerRequest: Record<string, number>;
  maxInvalidRounds: number;
  /** The 95% CI lower bound of candidate/baseline throughput must not fall below this. */
  minThroughputRatioLowerBound: number;
  /** Candidate p99 / baseline p99 must not exceed this. */
  maxP99LatencyRatio: number;
}

export interface Check {
  name: string;
  measured: string;
  limit: string;
  pass: boolean;
}

const fmt = (x: number, d = 3): string => (Number.isFinite(x) ? String(Math.round(x * 10 ** d) / 10 ** d) : 'n/a');

/** Checks a results record against a baseline (pure). Every check is reported, pass or fail. */
export function gate(record: ResultsRecord, baseline: Baseline): Check[] {
  const checks: Check[] = [];
  for (const name of [baseline.baseline, baseline.candidate]) {
    const s = record.strategies[name];
    const wantQ = baseline.queriesPerRequest[name];
    const wantR = baseline.redisCommandsPerRequest[name];
    checks.push({
      name: `${name}: database queries per request`,
      measured: s ? fmt(s.queriesPerRequest, 2) : 'missing', limit: `= ${wantQ ?? 'n/a'}`,
      pass: s !== undefined && wantQ !== undefined && s.queriesPerRequest === wantQ,
    });
    checks.push({
      name: `${name}: Redis commands per request`,
      measured: s ? fmt(s.redisCommandsPerRequest, 2) : 'missing', limit: `= ${wantR ?? 'n/a'}`,
      pass: s !== undefined && wantR !== undefined && s.redisCommandsPerRequest === wantR,
    });
  }
  const invalid = Object.values(record.strategies).flatMap((s) => s.rounds).filter((r) => r.status === 'invalid').length;
  checks.push({ name: 'invalid rounds', measured: String(invalid), limit: `≤ ${baseline.maxInvalidRounds}`, pass: invalid <= baseline.maxInvalidRounds });
  const c = record.comparison;
  const sameOrder = c !== null && c.baseline === baseline.baseline && c.candidate === baseline.candidate;
  const lower = sameOrder ? c.throughputRatio.ci95[0] : NaN;
  checks.push({
    name: `throughput ${baseline.candidate}/${baseline.baseline}: 95% CI lower bound`,
    measured: sameOrder ? `${fmt(lower)} (median ${fmt(c.throughputRatio.median)})` : 'no comparison',
    limit: `≥ ${baseline.minThroughputRatioLowerBound}`,
    pass: lower >= baseline.minThroughputRatioLowerBound,
  });
  const a = record.strategies[baseline.baseline];
  const b = record.strategies[baseline.candidate];
  const p99Ratio = a && b ? b.latencyMs.p99 / a.latencyMs.p99 : NaN;
  checks.push({
    name: `p99 latency ${baseline.candidate}/${baseline.baseline}`,
    measured: fmt(p99Ratio), limit: `≤ ${baseline.maxP99LatencyRatio}`,
    pass: p99Ratio <= baseline.maxP99LatencyRatio,
  });
  return checks;
}

export function renderChecks(checks: readonly Check[]): string {
  const w = Math.max(...checks.map((c) => c.name.length));
  const lines = checks.map((c) => `${c.pass ? 'PASS' : 'FAIL'}  ${c.name.padEnd(w)}  measured ${c.measured}, limit ${c.limit}`);
  const failed = checks.filter((c) => !c.pass).length;
  lines.push(failed === 0 ? `all ${checks.length} checks passed` : `${failed} of ${checks.length} checks FAILED`);
  return `${lines.join('\n')}\n`;
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
  if (typeof b.baseline !== 'string' || typeof b.candidate !== 'string') throw bad('baseline and candidate', 'strategy names');
  for (const field of ['queriesPerRequest', 'redisCommandsPerRequest'] as const) {
    const v = b[field];
    if (typeof v !== 'object' || v === null || ![b.baseline, b.candidate].every((n) => typeof v[n] === 'number')) {
      throw bad(field, `an object with a number for ${b.baseline} and ${b.candidate}`);
    }
  }
  for (const field of ['maxInvalidRounds', 'minThroughputRatioLowerBound', 'maxP99LatencyRatio'] as const) {
    if (typeof b[field] !== 'number' || !(b[field]! >= 0)) throw bad(field, 'a number ≥ 0');
  }
  return b as Baseline;
}
