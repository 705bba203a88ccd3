/**
 * The strategy matrix of one scenario: per strategy, throughput against the baseline and the
 * no-auth ceiling, latency, measured work, and (when the run had a freshness phase) how stale it
 * let claims be and what it did when Redis or Postgres went away. One definition of the columns
 * for the terminal, Markdown and HTML (pure).
 */
import type { FaultOutcome, ResultsRecord, StrategyResult } from '../schema/results.js';
import { duration, fixed, gain, withInterval } from './format.js';

export interface Matrix {
  header: string[];
  rows: string[][];
}

const ratio = (e: { median: number; ci95: [number, number] }): string =>
  withInterval(e, (x) => `${fixed(x, 3)}×`);

/**
 * Of the probes in a kind of fault's windows, the share answered 503 (failing closed), and how
 * fast: "12% 503, p99 78 ms". The rest were answered as without the fault (2xx, or 401/403 for
 * revoked tokens).
 */
function onLoss(o: FaultOutcome | null): string {
  if (o === null || o.probes === 0) return '–';
  const share = `${fixed((100 * o.status503) / o.probes)}% 503`;
  return o.unavailableP99Ms === null ? share : `${share}, p99 ${duration(o.unavailableP99Ms)}`;
}

const bound = (ms: number | null): string => (ms === null ? 'none' : ms === 0 ? '0' : duration(ms));

export function strategyMatrix(record: ResultsRecord): Matrix {
  const entries = Object.entries(record.strategies) as Array<[string, StrategyResult]>;
  const [baseline] = record.config.strategies;
  const withCeiling = entries.some(([, s]) => s.ceilingRatio !== null);
  const withFreshness = entries.some(([, s]) => s.freshness !== null);
  const header = [
    'strategy',
    'req/s (95% CI)',
    `vs ${baseline} (95% CI)`,
    ...(withCeiling ? ['× no-auth ceiling (95% CI)'] : []),
    'p50 / p99 ms',
    'DB queries/req',
    'Redis cmds/req',
    ...(withFreshness
      ? ['stale accepted', 'revocation p99', 'declared δ (API · SQL)', 'on Redis loss', 'on Postgres loss']
      : []),
    'valid rounds',
  ];
  const rows = entries.map(([name, s]) => {
    const c = record.comparisons.find((x) => x.candidate === name);
    const f = s.freshness;
    return [
      name,
      `${fixed(s.throughput.median)} (${fixed(s.throughput.ci95[0])}–${fixed(s.throughput.ci95[1])})`,
      name === baseline ? 'baseline' : c ? withInterval(c.throughputRatio, gain) : '–',
      ...(withCeiling
        ? [s.ceilingRatio ? ratio(s.ceilingRatio) : name === 'no-auth' ? 'the ceiling' : '–']
        : []),
      `${fixed(s.latencyMs.p50, 2)} / ${fixed(s.latencyMs.p99, 2)}`,
      fixed(s.queriesPerRequest, 2),
      fixed(s.redisCommandsPerRequest, 2),
      ...(withFreshness
        ? f
          ? [
              String(f.staleAccepted),
              duration(f.revocationLatencyMs?.p99),
              `${bound(f.declared.apiMs)} · ${bound(f.declared.sqlMs)}`,
              onLoss(f.onRedisLoss),
              onLoss(f.onPostgresLoss),
            ]
          : ['–', '–', name === 'no-auth' ? 'no auth' : '–', '–', '–']
        : []),
      `${s.validRounds}/${s.rounds.length}`,
    ];
  });
  return { header, rows };
}
