import { gain } from '../output/format.js';
import type { RoundRecord } from '../schema/results.js';
import { median } from './stats.js';

/**
 * Why the gain is what it is: bottleneck analysis with the operational laws (Lazowska et al.,
 * *Quantitative System Performance*, ch. 3 and 5) on costs measured in the rounds themselves.
 *
 * Per request, a strategy costs server CPU (D_cpu = CPU utilization ÷ throughput) and time
 * holding a pooled database connection (D_pool = mean busy connections ÷ throughput; it
 * includes each query's round trip, Postgres' work and any wait for the event loop). No
 * strategy can exceed 1/D_cpu on one core, P/D_pool with a pool of P, or N/(D_cpu + D_pool)
 * with N clients that each wait for their answer. The smallest bound is the prediction; the
 * ratio of the two predictions is the predicted gain. Pure: rounds in, numbers out.
 *
 * Pool time includes waiting for the server's own event loop, so a server whose core is
 * nearly saturated looks pool-bound as well: both limits are then close, and the explanation
 * says so rather than pretending one of them alone is the cause.
 */

/** From this share of its core on, the explanation points out that the CPU is near its limit too. */
export const CPU_NEAR_LIMIT = 0.85;

export const RESOURCES = ['server CPU', 'database pool', 'client connections'] as const;
export type Resource = (typeof RESOURCES)[number];

export interface StrategyModel {
  /** Server CPU per request, ms (median over valid rounds). */
  cpuMsPerRequest: number;
  /** Pooled-connection time per request, ms (median over valid rounds). */
  poolMsPerRequest: number;
  /** Share of one core the server used (median). */
  cpuUtilization: number;
  /** Mean pooled connections checked out (median). */
  poolBusy: number;
  /** Postgres' own execution time per request, ms (pg_stat_statements); null without it. */
  dbExecMsPerRequest: number | null;
  /** Database round trips (queries) per request. */
  roundTripsPerRequest: number;
  /** Round trips per request × the idle round trip (measured; else the configured delay), ms. */
  linkMsPerRequest: number;
  /** One idle round trip, ms, and whether it was measured or is the configured delay. */
  roundTripMs: number;
  roundTripSource: 'measured' | 'configured';
  /**
   * The database's share of the pool time: (execution + link) ÷ pool time; the rest is spent
   * in the server (sending, parsing, waiting for its event loop). Null without execution times.
   */
  dbShare: number | null;
  /** The throughput, req/s, each resource alone would allow. */
  boundsRps: Record<Resource, number>;
  binding: Resource;
  predictedRps: number;
  measuredRps: number;
}

export interface CostModel {
  poolSize: number;
  connections: number;
  baseline: string;
  candidate: string;
  strategies: Record<string, StrategyModel>;
  /** predictedRps(candidate) ÷ predictedRps(baseline). */
  predictedRatio: number;
  /** The same for the measured medians, for comparison. */
  measuredRatio: number;
  explanation: string;
}

export interface ModelConfig {
  poolSize: number;
  connections: number;
  /** Added each way on the database link. */
  dbDelayMs: number;
  /** The servers' measured idle round trip to Postgres; null in records that predate it. */
  linkRoundTripMs?: number | null;
  strategies: readonly string[];
}

function strategyModel(rounds: readonly RoundRecord[], config: ModelConfig, queriesPerRequest: number): StrategyModel | null {
  const usable = rounds.filter((r) => r.status === 'valid' && r.requestsPerSecond > 0
    && r.serverCpuPercent !== null && r.poolBusyConnections !== null && r.poolBusyConnections !== undefined);
  if (usable.length === 0) return null;
  // Utilization law per round: a resource's busy share ÷ throughput = its demand per request.
  const perRequestMs = (busy: (r: RoundRecord) => number): number => median(usable.map((r) => (1000 * busy(r)) / r.requestsPerSecond));
  const cpuMs = perRequestMs((r) => r.serverCpuPercent! / 100);
  const poolMs = perRequestMs((r) => r.poolBusyConnections!);
  const withExec = usable.every((r) => r.dbExecuting !== null && r.dbExecuting !== undefined);
  const execMs = withExec ? perRequestMs((r) => r.dbExecuting!) : null;
  const measured = config.linkRoundTripMs ?? null;
  const roundTripMs = measured ?? 2 * config.dbDelayMs;
  const linkMs = queriesPerRequest * roundTripMs;
  const cpuUtilization = median(usable.map((r) => r.serverCpuPercent! / 100));
  const boundsRps: Record<Resource, number> = {
    'server CPU': cpuMs > 0 ? 1000 / cpuMs : Infinity,
    'database pool': poolMs > 0 ? (1000 * config.poolSize) / poolMs : Infinity,
    'client connections': (1000 * config.connections) / (cpuMs + poolMs),
  };
  const binding = RESOURCES.reduce((a, b) => (boundsRps[b] < boundsRps[a] ? b : a));
  return {
    cpuMsPerRequest: cpuMs,
    poolMsPerRequest: poolMs,
    cpuUtilization,
    poolBusy: median(usable.map((r) => r.poolBusyConnections!)),
    dbExecMsPerRequest: execMs,
    roundTripsPerRequest: queriesPerRequest,
    linkMsPerRequest: linkMs,
    roundTripMs,
    roundTripSource: measured === null ? 'configured' : 'measured',
    dbShare: execMs === null || poolMs <= 0 ? null : (execMs + linkMs) / poolMs,
    boundsRps,
    binding,
    predictedRps: boundsRps[binding],
    measuredRps: median(usable.map((r) => r.requestsPerSecond)),
  };
}

/** What bounds one strategy, in words a reader can check against the numbers. */
export function describeBound(name: string, m: StrategyModel, poolSize: number, connections: number): string {
  const rps = Math.round(m.predictedRps).toLocaleString('en-US');
  const link = m.linkMsPerRequest > 0
    ? `${m.roundTripsPerRequest} round trips take ${m.roundTripSource === 'measured' ? '' : '≥ '}${m.linkMsPerRequest.toFixed(2)} ms (${m.roundTripMs.toFixed(2)} ms each, ${m.roundTripSource === 'measured' ? 'measured idle' : 'configured'})`
    : '';
  const exec = m.dbExecMsPerRequest === null ? '' : `Postgres executes ${m.dbExecMsPerRequest.toFixed(2)} ms`;
  const dbPart = link || exec ? `of the ${m.poolMsPerRequest.toFixed(2)} ms held per request, ${[link, exec].filter(Boolean).join(' and ')}` : '';
  const rest = m.dbExecMsPerRequest === null ? null : m.poolMsPerRequest - m.linkMsPerRequest - m.dbExecMsPerRequest;
  switch (m.binding) {
    case 'server CPU':
      return `${name} is bound by server CPU: ${m.cpuMsPerRequest.toFixed(3)} ms of CPU per request allows ≤ ${rps} req/s on one core (it used ${(100 * m.cpuUtilization).toFixed(0)}%)`;
    case 'database pool': {
      const busyCore = m.cpuUtilization >= CPU_NEAR_LIMIT
        ? `; its core is ${(100 * m.cpuUtilization).toFixed(0)}% busy too (CPU alone would allow ≤ ${Math.round(m.boundsRps['server CPU']).toLocaleString('en-US')} req/s), so that time is mostly replies waiting for the event loop`
        : '';
      return `${name} is bound by the database pool: ${m.poolMsPerRequest.toFixed(2)} ms holding a connection per request allows ≤ ${rps} req/s with ${poolSize} connections (${m.poolBusy.toFixed(1)} of ${poolSize} busy on average${dbPart ? `; ${dbPart}` : ''}${rest !== null && rest > 0 ? `; ${rest.toFixed(2)} ms more pass in the server${busyCore}` : ''})`;
    }
    case 'client connections':
      return `${name} is bound by its ${connections} clients: each waits ≥ ${(m.cpuMsPerRequest + m.poolMsPerRequest).toFixed(2)} ms per request (CPU + pool), so ≤ ${rps} req/s`;
  }
}

/**
 * The cost model of one comparison, or null when the rounds lack the measurements (records
 * written before the servers counted pool time).
 */
export function costModel(
  config: ModelConfig,
  rounds: readonly RoundRecord[],
  queriesPerRequest: Record<string, number>,
): CostModel | null {
  const [baseline, candidate] = config.strategies;
  if (baseline === undefined || candidate === undefined) return null;
  const of = (name: string): StrategyModel | null =>
    strategyModel(rounds.filter((r) => r.strategy === name), config, queriesPerRequest[name] ?? 0);
  const a = of(baseline);
  const b = of(candidate);
  if (!a || !b) return null;
  const predictedRatio = b.predictedRps / a.predictedRps;
  const measuredRatio = b.measuredRps / a.measuredRps;
  const explanation = `${describeBound(baseline, a, config.poolSize, config.connections)}; `
    + `${describeBound(candidate, b, config.poolSize, config.connections)}. `
    + `From these measured costs the model predicts ${gain(predictedRatio)}; the measured medians differ by ${gain(measuredRatio)}.`;
  return { poolSize: config.poolSize, connections: config.connections, baseline, candidate, strategies: { [baseline]: a, [candidate]: b }, predictedRatio, measuredRatio, explanation };
}
