/**
 * The calibrated cost model: what each strategy should do under load, predicted from demands
 * measured where nothing queues, then held against the measured rounds. Pure.
 *
 * The network (one closed class: each of the N connections has one request in flight):
 * - the server's CPU, a single-server queue of demand D_cpu (Node runs one event loop);
 * - the other CPUs, an m-server queue of demand D_other (load generator, delay proxy,
 *   Postgres, Redis: everything on the machine but the server);
 * - pure delays: the part of the calibration cycle spent at neither CPU (link, loopback);
 * - the pool, P connections held from a query's send to its result's handling. A passive
 *   resource held across stations is not a product-form station, so it is solved by the
 *   surrogate-delay method (Jacobson & Lazowska 1982): the pool wait W is a delay in the
 *   network above; a second network (the pool as a P-server station whose service is the hold
 *   time, plus everything else as a delay) gives W back; the two are iterated to agreement.
 *
 * The hold time grows with load: the calibrated hold plus the queueing at each CPU for the
 * share of its demand spent inside the hold (a query's result waits for the event loop before
 * the connection is released). Why MVA and not asymptotic bounds: in the write-up's regime the
 * pool saturates while the server's CPU is 60–90 % busy, and that queueing lengthens the hold
 * time: bounds from the unloaded hold time overshoot by about that much.
 */
import type { StrategyName } from '../../servers/strategies/index.js';
import type {
  CalibratedModel,
  Comparison,
  GainFields,
  ModelCalibration,
  ModelConditions,
  ModelResource,
  PredictedStrategy,
  RoundRecord,
  StrategyCalibration,
  StrategyMap,
  UnderLoad,
  ValidRound,
} from '../schema/results.js';
import { mva } from './queueing.js';
import { median } from './stats.js';

export const MODEL_METHOD =
  'mean-value analysis of a closed network (server CPU, other CPUs, link delays, a pool of P connections by the surrogate-delay method) from demands measured at low load';

/** A miss larger than this is explained in `misses`. */
export const MISS_THRESHOLD = 0.1;

/** Demands of one strategy, ms per request, under the conditions predicted for. */
export interface Demands {
  cpu: number;
  other: number;
  /** Pure delays per request (link, loopback, anything at neither CPU). */
  delay: number;
  /** The hold time of a pooled connection when nothing queues. */
  hold: number;
  /**
   * The share of a CPU's visits made while a connection is held: each visit waits for the
   * requests queued before it (the event loop runs ready callbacks in turn), so the hold time
   * grows by this share of the CPU's queueing.
   */
  cpuHoldShare: number;
  otherHoldShare: number;
}

/**
 * Visits per request, from the counted round trips: the server's event loop runs once for the
 * request, once per query result (inside the hold) and once per Redis reply; the other CPUs run
 * the load generator twice (send, receive), Postgres once per query and, with a delay proxy,
 * the proxy twice per query (both inside the hold), Redis once per command.
 */
export function holdShares(
  queries: number,
  redisCommands: number,
  proxied: boolean,
): { cpu: number; other: number } {
  const perQuery = proxied ? 3 : 1;
  return {
    cpu: queries / (1 + queries + redisCommands),
    other: (perQuery * queries) / (perQuery * queries + 2 + redisCommands),
  };
}

/**
 * The CPU demands the prediction uses: the lowest cost per request any level of the ramp showed.
 * Costs per request fall as a server gets busier (fewer wake-ups from idle, more events per turn
 * of the event loop; seed regime: 1.0–1.4 ms of server CPU per request at 1 connection,
 * 0.5–0.65 ms at 8), and what disturbs a short level (a collection, a neighbour) only adds to it,
 * so the lowest is the least disturbed estimate of the loaded cost. Extrapolating the ramp's
 * slope overshot by 25–90 %; the busiest level alone was sometimes a disturbed one (1.3 ms at 4
 * connections after 0.8 ms at 2), missing by up to 50 %.
 */
export function loadedDemands(cal: StrategyCalibration): { cpu: number; other: number | null } {
  const levels = cal.levels ?? [];
  if (levels.length === 0) return { cpu: cal.cpuMs, other: cal.otherCpuMs };
  const others = levels.map((l) => l.otherCpuMs).filter((x): x is number => x !== null);
  return {
    cpu: Math.min(...levels.map((l) => l.cpuMs)),
    other: others.length === levels.length ? Math.min(...others) : null,
  };
}

/**
 * From one strategy's calibration to its demands on a link with `linkRoundTripMs`: each round
 * trip the link is slower adds to the hold time and to the delays. The delays are what the
 * first level's cycle leaves beyond its own CPU demands; the CPU demands are the ramp's lowest.
 */
export function demandsOf(
  cal: StrategyCalibration,
  calibration: Pick<ModelCalibration, 'linkRoundTripMs' | 'connections' | 'otherCores' | 'proxied'>,
  linkRoundTripMs: number,
  poolSize: number,
): Demands {
  const q = cal.roundTripsPerRequest;
  const slower = q * (linkRoundTripMs - calibration.linkRoundTripMs);
  const firstOther = cal.otherCpuMs ?? cal.generatorCpuMs + (cal.dbExecMs ?? 0);
  const shares = holdShares(q, cal.redisCommandsPerRequest ?? 0, calibration.proxied ?? false);
  const first: Demands = {
    cpu: cal.cpuMs,
    other: firstOther,
    delay: 0,
    hold: cal.poolMs,
    cpuHoldShare: shares.cpu,
    otherHoldShare: shares.other,
  };
  const delay = calibratedDelay(first, cal, calibration, poolSize);
  const loaded = loadedDemands(cal);
  const cpu = loaded.cpu;
  const other = loaded.other ?? firstOther;
  // The work done while holding a connection got cheaper along with the rest; and no request
  // holds a connection longer than its whole cycle.
  const hold = Math.min(
    cal.poolMs - shares.cpu * Math.max(0, cal.cpuMs - cpu) - shares.other * Math.max(0, firstOther - other),
    cpu + other + delay,
  );
  return {
    ...first,
    cpu,
    other,
    delay: Math.max(0, delay + slower),
    hold: Math.max(0, hold + slower),
  };
}

/**
 * The pure delay that makes the network reproduce the calibration's own throughput at its
 * own connections: with one connection simply the cycle not spent at a CPU; with a few, found
 * by bisection (throughput falls as the delay grows).
 */
function calibratedDelay(
  d: Demands,
  cal: StrategyCalibration,
  calibration: Pick<ModelCalibration, 'connections' | 'otherCores'>,
  poolSize: number,
): number {
  if (calibration.connections === 1) return Math.max(0, cal.cycleMs - d.cpu - d.other);
  const target = cal.requestsPerSecond / 1000;
  let lo = 0;
  let hi = Math.max(cal.cycleMs, 1e-6);
  if (
    solveNetwork({ ...d, delay: lo }, calibration.connections, poolSize, calibration.otherCores).x <= target
  )
    return 0;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    const x = solveNetwork({ ...d, delay: mid }, calibration.connections, poolSize, calibration.otherCores).x;
    if (x > target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The network solved for N connections and a pool of P: throughput per ms and the times that
 * make it. The pool wait W is found by bisection: the wait the pool network gives back falls
 * as the W put into the outer network grows (fewer requests crowd the CPUs), so
 * W_back(W) − W has exactly one root between 0 and W_back(0). (Plain substitution, even damped,
 * can settle into a two-cycle once a CPU saturates.)
 */
export function solveNetwork(
  d: Demands,
  connections: number,
  poolSize: number,
  otherCores: number,
): { x: number; cycle: number; hold: number; wait: number } {
  const at = (wait: number): { back: number; x: number; cycle: number; hold: number } => {
    const outer = mva(
      [
        { name: 'server CPU', kind: 'queue', demand: d.cpu },
        { name: 'other CPUs', kind: 'queue', demand: d.other, servers: otherCores },
        { name: 'delays', kind: 'delay', demand: d.delay + wait },
      ],
      connections,
    );
    const [rCpu, rOther] = outer.residence as [number, number, number];
    const hold = d.hold + d.cpuHoldShare * (rCpu - d.cpu) + d.otherHoldShare * (rOther - d.other);
    const outside = Math.max(0, outer.responseTime - wait - hold);
    const pool = mva(
      [
        { name: 'pool', kind: 'queue', demand: hold, servers: poolSize },
        { name: 'outside the pool', kind: 'delay', demand: outside },
      ],
      connections,
    );
    return {
      back: Math.max(0, pool.residence[0]! - hold),
      x: outer.throughput,
      cycle: outer.responseTime,
      hold,
    };
  };
  let r = at(0);
  let lo = 0;
  let hi = r.back;
  if (hi > 0) {
    for (let i = 0; i < 100 && hi - lo > 1e-9 * (1 + hi); i++) {
      const mid = (lo + hi) / 2;
      r = at(mid);
      if (r.back > mid) lo = mid;
      else hi = mid;
    }
    r = at((lo + hi) / 2);
  }
  return { x: r.x, cycle: r.cycle, hold: r.hold, wait: (lo + hi) / 2 };
}

/** One strategy's prediction; null when its calibration is unusable. */
export function predictStrategy(
  cal: StrategyCalibration,
  calibration: ModelCalibration,
  conditions: ModelConditions,
): PredictedStrategy | null {
  if (cal.invalidReason !== null || !(cal.requestsPerSecond > 0)) return null;
  const d = demandsOf(cal, calibration, conditions.linkRoundTripMs, conditions.poolSize);
  if (!(d.cpu + d.other + d.delay > 0)) return null;
  const m = calibration.otherCores;
  const s = solveNetwork(d, conditions.connections, conditions.poolSize, m);
  const rps = 1000 * s.x;
  const utilization = {
    serverCpu: s.x * d.cpu,
    pool: (s.x * s.hold) / conditions.poolSize,
    otherCpu: (s.x * d.other) / m,
  };
  const ranked: Array<[ModelResource, number]> = [
    ['server CPU', utilization.serverCpu],
    ['database pool', utilization.pool],
    ['other CPUs', utilization.otherCpu],
  ];
  const [top, u] = ranked.reduce((a, b) => (b[1] > a[1] ? b : a));
  return {
    requestsPerSecond: rps,
    meanLatencyMs: s.cycle,
    poolHoldMs: s.hold,
    poolWaitMs: s.wait,
    cpuMs: d.cpu,
    otherCpuMs: d.other,
    utilization,
    binding: u >= 0.8 ? top : 'clients',
  };
}

/** Ratios candidate ÷ baseline of a per-strategy value; `gain` is the first candidate's. */
function gainsOf(
  strategies: readonly StrategyName[],
  value: (s: StrategyName) => number | undefined,
): GainFields {
  const [baseline, ...candidates] = strategies;
  const gains: StrategyMap<number> = {};
  const base = baseline === undefined ? undefined : value(baseline);
  for (const c of candidates) {
    const v = value(c);
    if (base !== undefined && v !== undefined && base > 0) gains[c] = v / base;
  }
  return { gain: candidates[0] === undefined ? null : (gains[candidates[0]] ?? null), gains };
}

/** Predictions for every strategy with a usable calibration, and the gains they imply. */
export function predict(
  calibration: ModelCalibration,
  conditions: ModelConditions,
  strategies: readonly StrategyName[],
): StrategyMap<PredictedStrategy> & GainFields {
  const out: StrategyMap<PredictedStrategy> = {};
  for (const name of strategies) {
    const cal = calibration.strategies[name];
    const p = cal ? predictStrategy(cal, calibration, conditions) : null;
    if (p) out[name] = p;
  }
  return { ...out, ...gainsOf(strategies, (s) => out[s]?.requestsPerSecond) };
}

/** Per-request costs the rounds themselves show (utilization law), to say where a miss comes from. */
function underLoad(rounds: readonly ValidRound[]): UnderLoad {
  const per = (busy: (r: ValidRound) => number | null): number | null => {
    const values = rounds
      .filter((r) => r.requestsPerSecond > 0 && busy(r) !== null)
      .map((r) => (1000 * busy(r)!) / r.requestsPerSecond);
    return values.length > 0 ? median(values) : null;
  };
  return {
    cpuMs: per((r) => (r.serverCpuPercent === null ? null : r.serverCpuPercent / 100)),
    loopMs: per((r) => (r.serverLoopPercent == null ? null : r.serverLoopPercent / 100)),
    poolMs: per((r) => r.poolBusyConnections),
    otherCpuMs: per((r) => (r.otherCpuPercent == null ? null : r.otherCpuPercent / 100)),
  };
}

const pct = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)} %`;

function missSentence(
  name: StrategyName,
  error: number,
  predicted: PredictedStrategy,
  measuredRps: number,
  cal: StrategyCalibration,
  loaded: UnderLoad,
): string {
  const causes: string[] = [];
  const level =
    cal.levels.find((l) => l.cpuMs === predicted.cpuMs)?.connections ?? cal.levels.at(-1)?.connections ?? 1;
  if (loaded.cpuMs !== null && Math.abs(loaded.cpuMs / predicted.cpuMs - 1) > MISS_THRESHOLD)
    causes.push(
      `under load the server spent ${loaded.cpuMs.toFixed(3)} ms of CPU per request against the ${predicted.cpuMs.toFixed(3)} ms it took at ${level} connection${level === 1 ? '' : 's'} (the model holds the calibration's lowest constant)`,
    );
  if (
    loaded.otherCpuMs !== null &&
    predicted.otherCpuMs > 0 &&
    Math.abs(loaded.otherCpuMs / predicted.otherCpuMs - 1) > MISS_THRESHOLD
  )
    causes.push(
      `the rest of the machine spent ${loaded.otherCpuMs.toFixed(3)} ms of CPU per request against the model's ${predicted.otherCpuMs.toFixed(3)} ms`,
    );
  if (loaded.poolMs !== null && Math.abs(loaded.poolMs / predicted.poolHoldMs - 1) > MISS_THRESHOLD)
    causes.push(
      `a pooled connection was held ${loaded.poolMs.toFixed(2)} ms per request against the model's ${predicted.poolHoldMs.toFixed(2)} ms`,
    );
  const why =
    causes.length > 0
      ? causes.join('; ')
      : 'neither the server CPU nor the pool time per request differs from the model by more than 10 %: something it does not cover limits (Postgres beyond its CPU share, Redis, the load generator) or the rounds were noisy';
  return `${name}: predicted ${predicted.requestsPerSecond.toFixed(0)} req/s, measured ${measuredRps.toFixed(0)} (${pct(error)}): ${why}.`;
}

/** The model of a run: predicted for its own conditions, against its rounds; null without a calibration. */
export function calibratedModel(input: {
  calibration: ModelCalibration | null;
  conditions: ModelConditions;
  strategies: readonly StrategyName[];
  rounds: readonly RoundRecord[];
  comparisons: readonly Comparison[];
  /** Each strategy's measured req/s as the record states it; absent: the median of its valid rounds. */
  measuredRps?: StrategyMap<number>;
}): CalibratedModel | null {
  const { calibration, conditions, strategies } = input;
  if (!calibration) return null;
  const predicted = predict(calibration, conditions, strategies);
  const measured: StrategyMap<{ requestsPerSecond: number }> = {};
  const error: StrategyMap<number> = {};
  const loaded: CalibratedModel['underLoad'] = {};
  const misses: string[] = [];
  for (const name of strategies) {
    const valid = input.rounds.filter((r): r is ValidRound => r.strategy === name && r.status === 'valid');
    loaded[name] = underLoad(valid);
    if (valid.length === 0) continue;
    const rps = input.measuredRps?.[name] ?? median(valid.map((r) => r.requestsPerSecond));
    measured[name] = { requestsPerSecond: rps };
    const p = predicted[name];
    if (!p || !(rps > 0)) continue;
    const e = p.requestsPerSecond / rps - 1;
    error[name] = e;
    if (Math.abs(e) > MISS_THRESHOLD)
      misses.push(missSentence(name, e, p, rps, calibration.strategies[name]!, loaded[name]!));
  }
  // The measured gains are the comparisons' own: the median of the paired per-round ratios.
  const paired = gainsOf(strategies, (s) =>
    s === strategies[0] ? 1 : input.comparisons.find((c) => c.candidate === s)?.throughputRatio.median,
  );
  return {
    method: MODEL_METHOD,
    conditions,
    calibration,
    predicted,
    measured: { ...measured, ...paired },
    error,
    underLoad: loaded,
    misses,
  };
}
