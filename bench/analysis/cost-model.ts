import type { StrategyName } from '../../servers/strategies/index.js';
import {
  RESOURCES,
  type CostModel,
  type Resource,
  type RoundRecord,
  type StrategyMap,
  type StrategyModel,
  type ValidRound,
} from '../schema/results.js';
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

export interface ModelConfig {
  poolSize: number;
  connections: number;
  /** Added each way on the database link. */
  dbDelayMs: number;
  /** The servers' measured idle round trip to Postgres; null in records that predate it. */
  linkRoundTripMs?: number | null;
  strategies: readonly StrategyName[];
}

function strategyModel(
  rounds: readonly RoundRecord[],
  config: ModelConfig,
  queriesPerRequest: number,
): StrategyModel | null {
  const usable = rounds.filter(
    (r): r is ValidRound =>
      r.status === 'valid' &&
      r.requestsPerSecond > 0 &&
      r.serverCpuPercent !== null &&
      r.poolBusyConnections !== null,
  );
  if (usable.length === 0) return null;
  // Utilization law per round: a resource's busy share ÷ throughput = its demand per request.
  const perRequestMs = (busy: (r: ValidRound) => number): number =>
    median(usable.map((r) => (1000 * busy(r)) / r.requestsPerSecond));
  const cpuMs = perRequestMs((r) => r.serverCpuPercent! / 100);
  const poolMs = perRequestMs((r) => r.poolBusyConnections!);
  const withExec = usable.every((r) => r.dbExecuting !== null);
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

/**
 * The cost model of a run: per strategy, and per candidate the predicted and measured ratio to
 * the baseline; null when the rounds lack the measurements (records from before the servers
 * counted pool time).
 */
export function costModel(
  config: ModelConfig,
  rounds: readonly RoundRecord[],
  queriesPerRequest: Record<string, number>,
): CostModel | null {
  const [baseline, ...candidates] = config.strategies;
  if (baseline === undefined || candidates.length === 0) return null;
  const strategies: StrategyMap<StrategyModel> = {};
  for (const name of config.strategies) {
    const m = strategyModel(
      rounds.filter((r) => r.strategy === name),
      config,
      queriesPerRequest[name] ?? 0,
    );
    if (!m) return null;
    strategies[name] = m;
  }
  const a = strategies[baseline]!;
  return {
    poolSize: config.poolSize,
    connections: config.connections,
    strategies,
    comparisons: candidates.map((candidate) => {
      const b = strategies[candidate]!;
      return {
        baseline,
        candidate,
        predictedRatio: b.predictedRps / a.predictedRps,
        measuredRatio: b.measuredRps / a.measuredRps,
      };
    }),
  };
}
