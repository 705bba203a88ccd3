import type { StrategyName } from '../../servers/strategies/index.js';

/** Latency percentiles in milliseconds, from an HDR histogram of 2xx responses only. */
export interface LatencyMs {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** One measured (or warm-up) round against one server. */
export interface RoundRecord {
  /** Position in the run order, 0-based, across both strategies. */
  index: number;
  /** 1-based round number within its strategy; 0 for warm-up. */
  round: number;
  strategy: StrategyName;
  /** An invalid round is kept and shown, but excluded from statistics. */
  status: 'valid' | 'invalid';
  invalidReasons: string[];
  /** 2xx responses per second: errors never count as throughput. */
  requestsPerSecond: number;
  requests2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  latencyMs: LatencyMs;
  statusCodes: Record<string, number>;
  /** CPU time of the server process over the round, in % of one core (null where unmeasurable). */
  serverCpuPercent: number | null;
  /** CPU time of the load generator process, in % of one core. */
  generatorCpuPercent: number;
  /** CPU time of the database-link delay proxy, in % of one core (null: no proxy). */
  proxyCpuPercent: number | null;
  /**
   * Mean pooled database connections the server had checked out over the round (its
   * connection-seconds ÷ the round's seconds); null where not measured (older records).
   */
  poolBusyConnections: number | null;
  /**
   * Mean statements executing inside Postgres over the round (pg_stat_statements' execution
   * time ÷ the round's seconds); null without pg_stat_statements or in older records.
   */
  dbExecuting: number | null;
}

/**
 * The fields of an autocannon result this tool reads. autocannon names status buckets '2xx'
 * (lower case, whatever some type packages claim): read them here and nowhere else.
 */
export interface AutocannonResultLike {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  statusCodeStats?: Record<string, { count: number | string }>;
}

/** What the load generator reports for one round besides autocannon's own result. */
export interface GeneratorReport {
  result: AutocannonResultLike;
  /** Our own histogram of 2xx latencies, in microseconds (autocannon's has 1 ms resolution). */
  latencyUs: { p50: number; p90: number; p99: number; p999: number; max: number; count: number };
  cpuPercent: number;
}

/** Maps one load-generator report into our record; the only place autocannon's shape is read. */
export function toRoundRecord(
  report: GeneratorReport,
  meta: {
    index: number; round: number; strategy: StrategyName; serverCpuPercent: number | null;
    proxyCpuPercent?: number | null; poolBusyConnections?: number | null; dbExecuting?: number | null;
  },
): RoundRecord {
  const r = report.result;
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = Number(stat.count);
  const requests2xx = Number(r['2xx']);
  const reasons: string[] = [];
  if (r.non2xx > 0) {
    const codes = Object.entries(statusCodes).filter(([c]) => !c.startsWith('2')).map(([c, n]) => `${n}× ${c}`).join(', ');
    reasons.push(`${r.non2xx} non-2xx responses (${codes})`);
  }
  if (r.errors > 0) reasons.push(`${r.errors} socket errors`);
  if (r.timeouts > 0) reasons.push(`${r.timeouts} timeouts`);
  if (requests2xx === 0) reasons.push('no successful responses');
  const us = report.latencyUs;
  return {
    ...meta,
    proxyCpuPercent: meta.proxyCpuPercent ?? null,
    poolBusyConnections: meta.poolBusyConnections ?? null,
    dbExecuting: meta.dbExecuting ?? null,
    status: reasons.length === 0 ? 'valid' : 'invalid',
    invalidReasons: reasons,
    requestsPerSecond: r.duration > 0 ? requests2xx / r.duration : 0,
    requests2xx,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    durationSeconds: r.duration,
    latencyMs: { p50: us.p50 / 1000, p90: us.p90 / 1000, p99: us.p99 / 1000, p999: us.p999 / 1000, max: us.max / 1000 },
    statusCodes,
    generatorCpuPercent: report.cpuPercent,
  };
}
