/**
 * Executes a plan (bench/plan/plan.ts): infrastructure once, then each scenario's phases in
 * order — seed, mint, link, servers, verification, warm-ups, rounds, open-model runs — and
 * returns the records. What to measure was decided by the plan; this file only measures.
 */
import { randomBytes } from 'node:crypto';
import { mintTokens } from '../../fixtures/tokens.js';
import { createJwtKey } from '../../servers/jwt.js';
import { strategyWarning, type StrategyName } from '../../servers/strategies/index.js';
import { pg } from '../../sql/pg-types.js';
import { buildResults, validRounds, type VerificationResult } from '../analysis/build-record.js';
import { stopDecision } from '../analysis/adaptive.js';
import { median } from '../analysis/stats.js';
import { resolveInfra, type Infra } from '../infra/index.js';
import { isTimed, tokenUserIds } from '../plan/plan.js';
import type { FreshnessRecord } from '../schema/freshness.js';
import type { Phase, RunPlan, ScenarioPlan } from '../schema/plan.js';
import type { OpenModelResult, ResultsRecord, RoundRecord, Stopping } from '../schema/results.js';
import {
  cpuSeconds,
  defaultServerCpu,
  spawnDelayProxy,
  spawnLoadGenerator,
  spawnServer,
  type DelayProxy,
  type LoadGenerator,
  type ServerProcess,
} from './children.js';
import { Counters, poolHeldSeconds } from './counters.js';
import { describeEnvironment } from './environment.js';
import { idleRoundTripMs } from './link.js';
import { toLatencyMs } from './load/histogram.js';
import { toRoundRecord } from './load/round-record.js';
import { Progress } from './progress.js';
import { seedWithLog } from './seed.js';
import { verify } from './verify.js';

export interface ScenarioOutcome {
  record: ResultsRecord;
  seeding: { seededUsers: number; seconds: number };
}

/** Runs every scenario of a plan on one infrastructure, stopping it afterwards, however it ends. */
export interface RunOptions {
  progress?: Progress;
  /** Called with each scenario's record as soon as it is built (the CLI writes it there). */
  onScenario?: (outcome: ScenarioOutcome) => Promise<void>;
  /** The run's freshness phase, done before the scenarios: its results go into every record. */
  freshness?: FreshnessOutcome | null;
}

/** A finished freshness phase and where its record was written. */
export interface FreshnessOutcome {
  record: FreshnessRecord;
  path: string;
}

export async function executeRun(
  plan: RunPlan,
  urls: { pgUrl?: string; redisUrl?: string },
  command: string,
  opts: RunOptions = {},
): Promise<ScenarioOutcome[]> {
  const progress = opts.progress ?? new Progress();
  const onScenario = opts.onScenario ?? (async () => {});
  progress.phase('infrastructure');
  const infra = await resolveInfra({ ...urls, log: (line) => progress.info(line) });
  progress.info(infra.description);
  try {
    const out: ScenarioOutcome[] = [];
    for (const scenario of plan.scenarios) {
      if (plan.scenarios.length > 1)
        progress.phase(`scenario ${scenario.scenario} (${out.length + 1} of ${plan.scenarios.length})`);
      for (const name of scenario.config.strategies) {
        const warning = strategyWarning(name);
        if (warning) progress.info(warning);
      }
      const outcome = await executeScenario(scenario, infra, progress, command, opts.freshness ?? null);
      await onScenario(outcome);
      out.push(outcome);
    }
    return out;
  } finally {
    await infra.stop();
  }
}

/** What the phases build up as they run: each phase reads what earlier ones left. */
interface State {
  tokens: string[];
  secret: string;
  serverPgUrl: string;
  linkRoundTripMs: number | null;
  proxy: DelayProxy | undefined;
  servers: Map<StrategyName, ServerProcess>;
  serverCpu: number | null;
  counters: Counters | undefined;
  generator: LoadGenerator | undefined;
  verification: VerificationResult | undefined;
  versions: { postgres: string; redis: string } | undefined;
  seeding: { seededUsers: number; seconds: number };
  warmup: RoundRecord[];
  rounds: RoundRecord[];
  openModel: OpenModelResult[];
  /** The open-model entry of each run number, as the plan numbers them. */
  openRuns: Map<number, OpenModelResult>;
  /** Position of the next timed step in run order. */
  index: number;
}

/** One scenario against infrastructure that is already there; the record is returned, not written. */
export async function executeScenario(
  plan: ScenarioPlan,
  infra: Infra,
  progress: Progress,
  command: string,
  freshness: FreshnessOutcome | null = null,
): Promise<ScenarioOutcome> {
  const started = Date.now();
  const config = plan.config;
  const st: State = {
    tokens: [],
    secret: randomBytes(32).toString('base64url'),
    serverPgUrl: infra.pgUrl,
    linkRoundTripMs: null,
    proxy: undefined,
    servers: new Map(),
    serverCpu: null,
    counters: undefined,
    generator: undefined,
    verification: undefined,
    versions: undefined,
    seeding: { seededUsers: 0, seconds: 0 },
    warmup: [],
    rounds: [],
    openModel: [],
    openRuns: new Map(),
    index: 0,
  };
  const log = (line: string): void => progress.info(line);
  const steps = plan.phases.filter(isTimed).length;
  let step = 0;
  try {
    let stopping: Stopping | undefined;
    for (const phase of plan.phases) {
      if (phase.kind === 'round' && stopping !== undefined) continue;
      if (isTimed(phase)) step++;
      await executePhase(phase, st, { infra, progress, log, step, steps, config: plan.config });
      if (phase.kind === 'round' && plan.stopRule && roundComplete(st, phase.round, config.strategies)) {
        const d = stopDecision(st.rounds, config.strategies, phase.round, plan.stopRule);
        const widths = Object.entries(d.halfWidths)
          .map(([n, w]) => `${n} ±${w === null || w === undefined ? '?' : (100 * w).toFixed(1)}%`)
          .join(', ');
        if (d.stop) {
          const rule = phase.round >= plan.stopRule.maxRounds ? 'max-rounds' : 'precision';
          stopping = { rule, rounds: phase.round, halfWidths: d.halfWidths };
          progress.info(
            rule === 'precision'
              ? `every gain within ±${(100 * plan.stopRule.targetPrecision).toFixed(1)}% after round ${phase.round} and the one before (${widths}): rounds stop here`
              : `the most rounds (${phase.round}) reached (${widths})`,
          );
        }
      }
    }
    progress.phase('results');
    await stopChildren(st);
    if (!st.verification || !st.versions)
      throw new Error('the plan has no verification phase: nothing to compare');
    const record = buildResults({
      config,
      env: describeEnvironment(infra, st.versions, st.serverCpu),
      verification: st.verification,
      warmup: st.warmup,
      rounds: st.rounds,
      createdAt: new Date().toISOString(),
      wallSeconds: Math.round((Date.now() - started) / 100) / 10,
      command,
      openModel: st.openModel,
      linkRoundTripMs: st.linkRoundTripMs,
      freshness,
      ...(stopping ? { stopping } : {}),
    });
    return { record, seeding: st.seeding };
  } finally {
    await stopChildren(st);
  }
}

/** Stops what the phases started; safe to call twice (the second call finds nothing). */
async function stopChildren(st: State): Promise<void> {
  const counters = st.counters;
  const generator = st.generator;
  st.counters = undefined;
  st.generator = undefined;
  await counters?.close();
  await generator?.stop();
  await Promise.all([...st.servers.values()].map((s) => s.stop()));
  await st.proxy?.stop();
}

interface Context {
  infra: Infra;
  progress: Progress;
  log: (line: string) => void;
  step: number;
  steps: number;
  config: ScenarioPlan['config'];
}

async function executePhase(phase: Phase, st: State, ctx: Context): Promise<void> {
  const { infra, progress, log } = ctx;
  switch (phase.kind) {
    case 'seed':
      progress.phase(`seeding ${phase.users} users (seed ${phase.seed})`);
      st.seeding = await seedWithLog(infra.pgUrl, { users: phase.users, seed: phase.seed }, log);
      return;
    case 'mint': {
      progress.phase(`minting tokens for ${phase.tokenUsers} users`);
      // A fresh 256-bit secret per scenario: the tokens are useless outside it.
      const pool = new pg.Pool({ connectionString: infra.pgUrl, max: 1 });
      try {
        const ids = tokenUserIds(ctx.config.users, phase.tokenUsers);
        st.tokens = [...(await mintTokens(pool, createJwtKey(st.secret), ids, phase.ttlSeconds)).values()];
      } finally {
        await pool.end();
      }
      if (st.tokens.length < phase.tokenUsers)
        throw new Error(`only ${st.tokens.length} of ${phase.tokenUsers} users could be given tokens`);
      return;
    }
    case 'link':
      // The servers reach Postgres through the delay proxy when the scenario puts the database
      // "across a network"; seeding, counting and verification go direct.
      if (phase.dbDelayMs > 0) {
        st.proxy = await spawnDelayProxy(infra.pgUrl, phase.dbDelayMs);
        st.serverPgUrl = st.proxy.url;
        log(`database link: +${phase.dbDelayMs} ms each way through a TCP proxy (pid ${st.proxy.pid})`);
      }
      st.linkRoundTripMs = await idleRoundTripMs(st.serverPgUrl);
      log(
        `database round trip as the servers see it, idle: ${st.linkRoundTripMs.toFixed(2)} ms (median of 50 × SELECT 1)`,
      );
      return;
    case 'start-servers': {
      st.serverCpu =
        phase.serverCpu === 'auto' ? defaultServerCpu() : phase.serverCpu === 'none' ? null : phase.serverCpu;
      progress.phase(
        `starting servers${st.serverCpu === null ? ' (not pinned to a CPU)' : ` (pinned to CPU ${st.serverCpu})`}`,
      );
      for (const strategy of phase.strategies) {
        const s = await spawnServer({
          strategy,
          pgUrl: st.serverPgUrl,
          redisUrl: infra.redisUrl,
          poolSize: phase.poolSize,
          jwtSecret: st.secret,
          jwtVerify: phase.jwtVerify,
          cpu: st.serverCpu,
        });
        st.servers.set(strategy, s);
        log(`${strategy}: ${s.url} (pid ${s.pid})`);
      }
      return;
    }
    case 'verify': {
      progress.phase(
        `verification: ${phase.users} users × ${phase.routes.length} routes, identical bodies, queries and Redis commands per request`,
      );
      st.counters = await Counters.open(infra.pgUrl, infra.redisUrl);
      st.verification = await verify({
        targets: phase.strategies.map((strategy) => ({ strategy, url: server(st, strategy).url })),
        tokens: st.tokens.slice(0, phase.users),
        routes: phase.routes,
        measuredRoute: phase.measuredRoute,
        counters: st.counters,
      });
      for (const [name, c] of Object.entries(st.verification.costs)) {
        log(
          `${name}: ${c.queriesPerRequest} queries/request (${c.queriesSource}; server says ${c.serverQueriesPerRequest}), ` +
            `${c.redisCommandsPerRequest} Redis commands/request (server says ${c.serverRedisCommandsPerRequest})`,
        );
      }
      st.versions = await st.counters.versions();
      st.generator = spawnLoadGenerator();
      progress.phase('load');
      return;
    }
    case 'warmup':
    case 'round': {
      const label = phase.kind === 'warmup' ? 'warm-up' : `round ${phase.round}/${ctx.config.rounds}`;
      progress.timed(`${label} ${phase.strategy}`, phase.seconds, ctx.step, ctx.steps);
      const record = await measureRound(
        st,
        ctx,
        phase.strategy,
        phase.kind === 'warmup' ? 0 : phase.round,
        phase.seconds,
        phase.connections,
      );
      (phase.kind === 'warmup' ? st.warmup : st.rounds).push(record);
      progress.done(
        `${record.requestsPerSecond.toFixed(0)} req/s` +
          (record.status === 'valid'
            ? `, p50 ${record.latencyMs.p50.toFixed(2)} ms, p99 ${record.latencyMs.p99.toFixed(2)} ms`
            : ` INVALID: ${record.invalidReasons.join('; ')}`),
      );
      return;
    }
    case 'open': {
      const [baseline] = ctx.config.strategies;
      const rps = validRounds(st.rounds.filter((r) => r.strategy === baseline)).map(
        (r) => r.requestsPerSecond,
      );
      if (rps.length === 0) {
        progress.done(
          `skipped open model for ${phase.strategy}: ${baseline} has no valid round to take the rate from`,
        );
        return;
      }
      const targetRps = Math.round(phase.fraction * median(rps));
      let entry = st.openRuns.get(phase.run);
      if (!entry) {
        entry = { fraction: phase.fraction, targetRps, strategies: {} };
        st.openRuns.set(phase.run, entry);
        st.openModel.push(entry);
      }
      progress.timed(
        `${phase.strategy} at ${targetRps} req/s (open model)`,
        phase.seconds,
        ctx.step,
        ctx.steps,
      );
      const o = await loadGenerator(st).runOpen({
        url: server(st, phase.strategy).url,
        path: ctx.config.path,
        tokens: st.tokens,
        rate: targetRps,
        durationSeconds: phase.seconds,
        maxSockets: Math.max(64, ctx.config.connections * 4),
        timeoutSeconds: ctx.config.timeoutSeconds,
      });
      entry.strategies[phase.strategy] = {
        achievedRps: o.achievedRate,
        non2xx: o.non2xx,
        errors: o.errors,
        unfinished: o.unfinished,
        generatorCpuPercent: o.cpuPercent,
        latencyMs: toLatencyMs(o.latencyUs),
      };
      progress.done(
        `achieved ${o.achievedRate.toFixed(0)} req/s, p50 ${(o.latencyUs.p50 / 1000).toFixed(2)} ms, p99 ${(o.latencyUs.p99 / 1000).toFixed(2)} ms`,
      );
      return;
    }
    case 'freshness':
      throw new Error(
        'a freshness phase runs after the scenarios (bench/engine/freshness/run.ts), not inside one',
      );
  }
}

function loadGenerator(st: State): LoadGenerator {
  if (!st.generator) throw new Error('the plan runs load before its verify phase started the load generator');
  return st.generator;
}

function counterSet(st: State): Counters {
  if (!st.counters) throw new Error('the plan measures a round before its verify phase opened the counters');
  return st.counters;
}

/** Whether every strategy has measured round `round` (the order within a round varies). */
function roundComplete(st: State, round: number, strategies: readonly StrategyName[]): boolean {
  return strategies.every((s) => st.rounds.some((r) => r.strategy === s && r.round === round));
}

function server(st: State, strategy: StrategyName): ServerProcess {
  const s = st.servers.get(strategy);
  if (!s) throw new Error(`the plan uses ${strategy} before starting it`);
  return s;
}

/** One timed closed-model step, with the server's CPU, pool and Postgres counters around it. */
async function measureRound(
  st: State,
  ctx: Context,
  strategy: StrategyName,
  round: number,
  seconds: number,
  connections: number,
): Promise<RoundRecord> {
  const target = server(st, strategy);
  const counters = counterSet(st);
  const heldBefore = await poolHeldSeconds(target.url);
  const execBefore = await counters.dbExecSeconds();
  const cpuBefore = cpuSeconds(target.pid);
  const proxyBefore = st.proxy ? cpuSeconds(st.proxy.pid) : null;
  const t0 = performance.now();
  const report = await loadGenerator(st).run({
    url: target.url,
    path: ctx.config.path,
    tokens: st.tokens,
    connections,
    durationSeconds: seconds,
    timeoutSeconds: ctx.config.timeoutSeconds,
  });
  const elapsed = (performance.now() - t0) / 1000;
  const cpuAfter = cpuSeconds(target.pid);
  const proxyAfter = st.proxy ? cpuSeconds(st.proxy.pid) : null;
  const heldAfter = await poolHeldSeconds(target.url);
  const execAfter = await counters.dbExecSeconds();
  // Utilization law: a counter's increase over the round ÷ its seconds (× 100 for CPU %).
  const perSecond = (before: number | null, after: number | null, scale = 1): number | null =>
    before !== null && after !== null ? (scale * (after - before)) / elapsed : null;
  return toRoundRecord(report, {
    index: st.index++,
    round,
    strategy,
    serverCpuPercent: perSecond(cpuBefore, cpuAfter, 100),
    proxyCpuPercent: st.proxy ? perSecond(proxyBefore, proxyAfter, 100) : null,
    poolBusyConnections: perSecond(heldBefore, heldAfter),
    dbExecuting: perSecond(execBefore, execAfter),
  });
}
