import type { StrategyName } from '../../../servers/strategies/index.js';
import type { RoundRecord } from '../../schema/results.js';
import { toLatencyMs, type LatencyUs } from './histogram.js';

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
  /** Our own histogram of 2xx latencies, in microseconds. */
  latencyUs: LatencyUs;
  cpuPercent: number;
}

/** What the engine measured around the round, besides the generator's report. */
export interface RoundContext {
  index: number;
  round: number;
  strategy: StrategyName;
  serverCpuPercent: number | null;
  proxyCpuPercent?: number | null;
  poolBusyConnections?: number | null;
  dbExecuting?: number | null;
  serverLoopPercent?: number | null;
  otherCpuPercent?: number | null;
  /** Why the round cannot count besides its failures (another engine's partial data). */
  invalidReasons?: string[];
}

/**
 * Maps one load-generator report into a round record; the only place autocannon's shape is
 * read. Any non-2xx, socket error, timeout, or no success at all makes the round invalid.
 */
export function toRoundRecord(report: GeneratorReport, meta: RoundContext): RoundRecord {
  const r = report.result;
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = Number(stat.count);
  const requests2xx = Number(r['2xx']);
  // autocannon counts a timeout in `errors` as well: the socket errors are the rest.
  const socketErrors = Math.max(0, r.errors - r.timeouts);
  const reasons: string[] = [];
  if (r.non2xx > 0) {
    const codes = Object.entries(statusCodes)
      .filter(([c]) => !c.startsWith('2'))
      .map(([c, n]) => `${n}× ${c}`)
      .join(', ');
    reasons.push(`${r.non2xx} non-2xx responses (${codes})`);
  }
  if (socketErrors > 0) reasons.push(`${socketErrors} socket errors`);
  if (r.timeouts > 0) reasons.push(`${r.timeouts} timeouts`);
  if (requests2xx === 0) reasons.push('no successful responses');
  reasons.push(...(meta.invalidReasons ?? []));
  const common = {
    index: meta.index,
    round: meta.round,
    strategy: meta.strategy,
    requests2xx,
    non2xx: r.non2xx,
    // Disjoint counts: a timed-out request is in `timeouts` only.
    errors: socketErrors,
    timeouts: r.timeouts,
    durationSeconds: r.duration,
    statusCodes,
    serverCpuPercent: meta.serverCpuPercent,
    generatorCpuPercent: report.cpuPercent,
    proxyCpuPercent: meta.proxyCpuPercent ?? null,
    poolBusyConnections: meta.poolBusyConnections ?? null,
    dbExecuting: meta.dbExecuting ?? null,
    serverLoopPercent: meta.serverLoopPercent ?? null,
    otherCpuPercent: meta.otherCpuPercent ?? null,
    requestsPerSecond: r.duration > 0 ? requests2xx / r.duration : 0,
  };
  return reasons.length === 0
    ? { ...common, status: 'valid', latencyMs: toLatencyMs(report.latencyUs) }
    : { ...common, status: 'invalid', invalidReasons: reasons };
}
