/**
 * Executes a plan (bench/plan/plan.ts): infrastructure once, then each scenario's phases in
 * order — seed, mint, link, servers, verification, warm-ups, rounds, open-model runs — and
 * returns the records. What to measure was decided by the plan; this file only measures.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { mintTokens } from '../../fixtures/tokens.js';
import { createJwtKey } from '../../servers/jwt.js';
import { strategyWarning, type StrategyName } from '../../servers/strategies/index.js';
import { pg } from '../../sql/pg-types.js';
import { buildResults, validRounds, type VerificationResult } from '../analysis/build-record.js';
import type { OpenModelMeasurement } from '../analysis/open-model.js';
import { stopDecision } from '../analysis/adaptive.js';
import { median } from '../analysis/stats.js';
import { resolveInfra } from '../infra/index.js';
import { isTimed, tokenTtlSeconds, tokenUserIds } from '../plan/plan.js';
import { artillerySlices, vusPerWorker, type ArtilleryOptions } from '../plan/artillery.js';
import type { ArtilleryPlan, ArtillerySlice } from '../schema/artillery.js';
import type { TargetMode } from '../plan/targets.js';
import { redactUrl } from '../../servers/urls.js';
import type { FreshnessRecord } from '../schema/freshness.js';
import type { Phase, RunPlan, ScenarioPlan } from '../schema/plan.js';
import type {
  ArtilleryEnvironment,
  ModelCalibration,
  ResultsRecord,
  RoundRecord,
  Stopping,
  StrategyCalibration,
} from '../schema/results.js';
import {
  cpuSeconds,
  defaultServerCpu,
  cpuSecondsOf,
  awayPrefix,
  pinAway,
  spawnDelayProxy,
  spawnLoadGenerator,
  spawnServer,
  type DelayProxy,
  type LoadGenerator,
  type ServerProcess,
} from './children.js';
import { registerCleanup } from '../infra/cleanup.js';
import { Counters, serverCounters } from './counters.js';
import { describeEnvironment, targetServices, type Services } from './environment.js';
import { idleRoundTripMs } from './link.js';
import { toLatencyMs } from './load/histogram.js';
import type { LoadJob } from './load/closed-loop.js';
import { toRoundRecord, type GeneratorReport, type RoundContext } from './load/round-record.js';
import { runWrk } from './load/wrk.js';
import { artilleryVersion, runArtillery, writeArtilleryFolder } from './load/artillery.js';
import { importArtilleryReport } from './load/artillery-report.js';
import { findWrk } from '../infra/binaries.js';
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
  /** Target mode: the servers are already running; nothing is started or seeded. */
  target?: TargetMode;
  /** --engine artillery: where Artillery is and how its plan is laid out. */
  artillery?: ArtilleryRun;
}

/** A local Artillery run of the plan's timed phases (--engine artillery). */
export interface ArtilleryRun {
  bin: string;
  options: ArtilleryOptions;
  /** Where each run's folder (script, processor, plan, report, log) is kept; null: a temp dir, removed. */
  dir: string | null;
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
  const target = opts.target ?? null;
  // Target mode starts nothing: the URLs given are all it talks to, and none is required.
  const infra: Services & { stop(): Promise<void> } = target
    ? { ...targetServices(target.targets, urls), stop: async () => {} }
    : await resolveInfra({ ...urls, log: (line) => progress.info(line) });
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
      const outcome = await executeScenario(
        scenario,
        infra,
        progress,
        command,
        opts.freshness ?? null,
        target,
        opts.artillery ?? null,
      );
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
  /** Each strategy's servers: one this run started, or the targets (pid null: not ours). */
  servers: Map<StrategyName, Served>;
  /** The server processes this run started, to stop. */
  processes: ServerProcess[];
  serverCpu: number | null;
  counters: Counters | undefined;
  generator: LoadGenerator | undefined;
  verification: VerificationResult | undefined;
  versions: { postgres: string; redis: string } | undefined;
  seeding: { seededUsers: number; seconds: number };
  warmup: RoundRecord[];
  rounds: RoundRecord[];
  openModel: OpenModelMeasurement[];
  /** wrk's path when the closed-loop rounds use it (`--engine wrk`). */
  wrk: string | undefined;
  /** The model's calibration, filled strategy by strategy; null: the plan has none. */
  calibration: ModelCalibration | null;
  /** The arrival rate of each open-model fraction, as the plan numbers them: fixed by its first run. */
  openRates: Map<number, number>;
  /** Position of the next timed step in run order. */
  index: number;
  /** --engine artillery: how its last run was laid out (the record's env.artillery). */
  artillery: ArtilleryEnvironment | null;
}

/** One scenario against infrastructure that is already there; the record is returned, not written. */
export async function executeScenario(
  plan: ScenarioPlan,
  infra: Services,
  progress: Progress,
  command: string,
  freshness: FreshnessOutcome | null = null,
  target: TargetMode | null = null,
  artillery: ArtilleryRun | null = null,
): Promise<ScenarioOutcome> {
  const started = Date.now();
  const config = plan.config;
  const st = newState(infra);
  const log = (line: string): void => progress.info(line);
  const steps = plan.phases.filter(isTimed).length;
  let step = 0;
  // Artillery runs the closed-model phases in one go, then the open-model ones (their rates
  // come from the rounds).
  const onArtillery = new Set<'closed' | 'open'>();
  try {
    let stopping: Stopping | undefined;
    for (const phase of plan.phases) {
      if (phase.kind === 'round' && stopping !== undefined) continue;
      if (isTimed(phase)) step++;
      const ctx = { infra, progress, log, step, steps, config: plan.config, target, artillery };
      if (config.engine === 'artillery' && isTimed(phase) && phase.kind !== 'calibrate') {
        const batch = phase.kind === 'open' ? 'open' : 'closed';
        if (!onArtillery.has(batch)) {
          onArtillery.add(batch);
          await runOnArtillery(batch, plan.phases, st, ctx);
        }
        continue;
      }
      await executePhase(phase, st, ctx);
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
      env: {
        ...describeEnvironment(infra, st.versions, st.serverCpu, target?.targets ?? null),
        ...(st.artillery ? { artillery: st.artillery } : {}),
      },
      verification: st.verification,
      warmup: st.warmup,
      rounds: st.rounds,
      createdAt: new Date().toISOString(),
      wallSeconds: Math.round((Date.now() - started) / 100) / 10,
      command,
      openModel: st.openModel,
      linkRoundTripMs: st.linkRoundTripMs,
      calibration: st.calibration,
      freshness,
      ...(stopping ? { stopping } : {}),
    });
    return { record, seeding: st.seeding };
  } finally {
    await stopChildren(st);
  }
}

/** A scenario's state before its first phase. */
function newState(infra: Services): State {
  return {
    tokens: [],
    secret: randomBytes(32).toString('base64url'),
    serverPgUrl: infra.pgUrl ?? '',
    linkRoundTripMs: null,
    proxy: undefined,
    servers: new Map(),
    processes: [],
    serverCpu: null,
    counters: undefined,
    generator: undefined,
    verification: undefined,
    versions: undefined,
    seeding: { seededUsers: 0, seconds: 0 },
    warmup: [],
    rounds: [],
    openModel: [],
    calibration: null,
    wrk: undefined,
    openRates: new Map(),
    index: 0,
    artillery: null,
  };
}

/** Stops what the phases started; safe to call twice (the second call finds nothing). */
async function stopChildren(st: State): Promise<void> {
  const counters = st.counters;
  const generator = st.generator;
  st.counters = undefined;
  st.generator = undefined;
  await counters?.close();
  await generator?.stop();
  const processes = st.processes;
  st.processes = [];
  await Promise.all(processes.map((s) => s.stop()));
  await st.proxy?.stop();
}

interface Context {
  infra: Services;
  target: TargetMode | null;
  progress: Progress;
  log: (line: string) => void;
  step: number;
  steps: number;
  config: ScenarioPlan['config'];
  artillery?: ArtilleryRun | null;
}

async function executePhase(phase: Phase, st: State, ctx: Context): Promise<void> {
  const { infra, progress, log } = ctx;
  switch (phase.kind) {
    case 'seed':
      progress.phase(`seeding ${phase.users} users (seed ${phase.seed})`);
      st.seeding = await seedWithLog(ownPg(infra), { users: phase.users, seed: phase.seed }, log);
      return;
    case 'targets':
      await useTargets(phase, st, ctx);
      return;
    case 'mint': {
      progress.phase(`minting tokens for ${phase.tokenUsers} users`);
      // A fresh 256-bit secret per scenario: the tokens are useless outside it.
      const pool = new pg.Pool({ connectionString: ownPg(infra), max: 1 });
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
        st.proxy = await spawnDelayProxy(ownPg(infra), phase.dbDelayMs);
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
          redisUrl: ownRedis(infra),
          poolSize: phase.poolSize,
          jwtSecret: st.secret,
          jwtVerify: phase.jwtVerify,
          cpu: st.serverCpu,
        });
        st.processes.push(s);
        st.servers.set(strategy, { urls: [s.url], pid: s.pid });
        log(`${strategy}: ${s.url} (pid ${s.pid})`);
      }
      if (st.proxy) pinAway(st.proxy.pid, st.serverCpu);
      return;
    }
    case 'verify': {
      progress.phase(
        `verification: ${phase.users} users × ${phase.routes.length} routes, identical bodies, queries and Redis commands per request`,
      );
      // Someone else's database is only read: pg_stat_statements is used where it is installed.
      st.counters = await Counters.open(infra.pgUrl, infra.redisUrl, { createExtension: !ctx.target });
      if (ctx.target && !infra.pgUrl)
        log("no --pg-url: queries per request are the servers' own counts (not cross-checked)");
      st.verification = await verify({
        targets: phase.strategies.map((strategy) => ({ strategy, urls: server(st, strategy).urls })),
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
      progress.phase('load');
      // Artillery sends the load itself (runOnArtillery): no generator of ours.
      if (ctx.config.engine === 'artillery') return;
      st.generator = spawnLoadGenerator();
      pinAway(st.generator.pid, st.serverCpu);
      if (ctx.config.engine === 'wrk') {
        st.wrk = findWrk();
        if (!st.wrk) throw new Error('--engine wrk: wrk is not installed (Debian: apt-get install wrk)');
      }
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
    case 'calibrate': {
      const done = st.calibration?.strategies[phase.strategy];
      // A higher level runs only while the ramp goes on (bench/analysis/model.ts uses what it saw).
      if (phase.level > 0 && !(done && stillCalibrating(done, ctx.config.poolSize))) return;
      progress.timed(
        `calibrate ${phase.strategy} (${phase.connections} connection${phase.connections === 1 ? '' : 's'})`,
        phase.seconds,
        ctx.step,
        ctx.steps,
      );
      const cal = await calibrate(st, ctx, phase.strategy, phase.seconds, phase.connections);
      const levels = ctx.config.calibrationConnections;
      st.calibration ??= {
        connections: levels[0]!,
        levels: [...levels],
        seconds: phase.seconds,
        linkRoundTripMs: st.linkRoundTripMs ?? 0,
        // Everything but the server runs on the other CPUs when it is pinned; else it shares them.
        otherCores: Math.max(1, availableParallelism() - (st.serverCpu === null ? 0 : 1)),
        proxied: st.proxy !== undefined,
        strategies: {},
      };
      const level = {
        connections: phase.connections,
        requestsPerSecond: cal.requestsPerSecond,
        cpuMs: cal.cpuMs,
        loopMs: cal.loopMs,
        poolMs: cal.poolMs,
        otherCpuMs: cal.otherCpuMs,
      };
      if (phase.level === 0) st.calibration.strategies[phase.strategy] = { ...cal, levels: [level] };
      else if (cal.invalidReason === null) done!.levels.push(level);
      progress.done(
        cal.invalidReason !== null
          ? `UNUSABLE: ${cal.invalidReason}`
          : `${cal.requestsPerSecond.toFixed(0)} req/s; per request: server CPU ${cal.cpuMs.toFixed(3)} ms, ` +
              `pool ${cal.poolMs.toFixed(3)} ms, other CPUs ${cal.otherCpuMs === null ? '?' : cal.otherCpuMs.toFixed(3)} ms`,
      );
      return;
    }
    case 'open': {
      const base = baselineRps(st, ctx.config);
      if (base === null) {
        progress.done(
          `skipped open model for ${phase.strategy}: ${ctx.config.strategies[0]} has no valid round to take the rate from`,
        );
        return;
      }
      const targetRps = st.openRates.get(phase.run) ?? Math.round(phase.fraction * base);
      st.openRates.set(phase.run, targetRps);
      progress.timed(
        `${phase.strategy} at ${targetRps} req/s (open model, repetition ${phase.repetition})`,
        phase.warmupSeconds + phase.seconds,
        ctx.step,
        ctx.steps,
      );
      const o = await loadGenerator(st).runOpen({
        url: server(st, phase.strategy).urls,
        path: ctx.config.path,
        tokens: st.tokens,
        rate: targetRps,
        durationSeconds: phase.seconds,
        warmupSeconds: phase.warmupSeconds,
        maxSockets: Math.max(64, ctx.config.connections * 4),
        timeoutSeconds: ctx.config.timeoutSeconds,
      });
      st.openModel.push({
        run: phase.run,
        fraction: phase.fraction,
        targetRps,
        strategy: phase.strategy,
        repetition: phase.repetition,
        achievedRps: o.achievedRate,
        sent: o.sent,
        non2xx: o.non2xx,
        errors: o.errors,
        unfinished: o.unfinished,
        generatorCpuPercent: o.cpuPercent,
        latencyMs: toLatencyMs(o.latencyUs),
      });
      await quietGap(server(st, phase.strategy).urls);
      const failed = o.non2xx + o.errors + o.unfinished;
      progress.done(
        `achieved ${o.achievedRate.toFixed(0)} req/s, p50 ${(o.latencyUs.p50 / 1000).toFixed(2)} ms, ` +
          `p99 ${(o.latencyUs.p99 / 1000).toFixed(2)} ms${failed ? `, ${failed} failed` : ''}`,
      );
      return;
    }
    case 'freshness':
      throw new Error(
        'a freshness phase runs after the scenarios (bench/engine/freshness/run.ts), not inside one',
      );
  }
}

/** The baseline's median req/s over its valid rounds, which the open-model rates are fractions of; null: none valid. */
function baselineRps(st: State, config: Context['config']): number | null {
  const [baseline] = config.strategies;
  const rps = validRounds(st.rounds.filter((r) => r.strategy === baseline)).map((r) => r.requestsPerSecond);
  return rps.length === 0 ? null : median(rps);
}

function loadGenerator(st: State): LoadGenerator {
  if (!st.generator) throw new Error('the plan runs load before its verify phase started the load generator');
  return st.generator;
}

/** One closed-model job on the configured engine: the embedded autocannon, or wrk kept off the servers' CPU. */
function runClosed(st: State, ctx: Context, job: LoadJob): Promise<GeneratorReport> {
  if (ctx.config.engine !== 'wrk') return loadGenerator(st).run(job);
  if (!st.wrk) throw new Error('the plan runs load before its verify phase found wrk');
  return runWrk(st.wrk, job, awayPrefix(st.serverCpu));
}

function counterSet(st: State): Counters {
  if (!st.counters) throw new Error('the plan measures a round before its verify phase opened the counters');
  return st.counters;
}

/**
 * Whether a strategy's calibration ramp goes on: not once its last level was unusable, or its
 * server or pool was ≥ 60 % busy (beyond, requests queue and the costs are no longer unloaded).
 */
function stillCalibrating(cal: StrategyCalibration, poolSize: number): boolean {
  const last = cal.levels.at(-1);
  if (!last || cal.invalidReason !== null || last.requestsPerSecond <= 0) return false;
  const x = last.requestsPerSecond / 1000;
  return x * last.cpuMs < CALIBRATION_BUSY && (x * last.poolMs) / poolSize < CALIBRATION_BUSY;
}

const CALIBRATION_BUSY = 0.6;

/** Whether every strategy has measured round `round` (the order within a round varies). */
function roundComplete(st: State, round: number, strategies: readonly StrategyName[]): boolean {
  return strategies.every((s) => st.rounds.some((r) => r.strategy === s && r.round === round));
}

/** The Postgres this run resolved itself; target mode has none of its own to seed or serve from. */
function ownPg(infra: Services): string {
  if (infra.pgUrl === null) throw new Error('this phase needs a Postgres, and target mode was given none');
  return infra.pgUrl;
}

function ownRedis(infra: Services): string {
  if (infra.redisUrl === null) throw new Error('this phase needs a Redis, and target mode was given none');
  return infra.redisUrl;
}

/** Tokens asked of the servers' /auth/token at a time. */
const TOKEN_REQUESTS_IN_FLIGHT = 16;

/**
 * Target mode's set-up: the servers must answer /healthz; the tokens come from a file, are
 * minted from their database's current claims, or are asked of their /auth/token.
 */
async function useTargets(
  phase: Extract<Phase, { kind: 'targets' }>,
  st: State,
  ctx: Context,
): Promise<void> {
  const { progress, log, infra, config } = ctx;
  if (!ctx.target) throw new Error('a targets phase runs only in target mode');
  progress.phase(`target mode: ${phase.targets.map((t) => t.strategy).join(', ')} (already running)`);
  // Each server's own name for itself (its /healthz): one server under two URLs is refused.
  const seen = new Map<string, string>();
  for (const t of phase.targets) {
    for (const url of t.urls) {
      let status: number;
      let body: string;
      try {
        const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
        status = r.status;
        body = await r.text();
      } catch (err) {
        throw new Error(`${t.strategy} at ${redactUrl(url)} does not answer: ${(err as Error).message}`);
      }
      if (status !== 200) throw new Error(`${t.strategy} at ${redactUrl(url)}: /healthz answered ${status}`);
      // The server names its strategy: a target given under the wrong name would compare a
      // strategy with itself, and the record would label it as another.
      let serves: unknown;
      let instance: unknown;
      try {
        ({ strategy: serves, instance } = JSON.parse(body) as { strategy?: unknown; instance?: unknown });
      } catch {
        serves = undefined;
      }
      if (serves !== t.strategy)
        throw new Error(
          `--target ${t.strategy}=${redactUrl(url)}: that server says it runs ${typeof serves === 'string' ? serves : 'no authbench strategy'} (its /healthz)`,
        );
      if (typeof instance === 'string') {
        const before = seen.get(instance);
        if (before !== undefined)
          throw new Error(
            `--target: ${redactUrl(before)} and ${redactUrl(url)} are the same server (its /healthz instance ${instance}): its load and counts would be taken twice`,
          );
        seen.set(instance, url);
      }
    }
    st.servers.set(t.strategy, { urls: [...t.urls], pid: null });
    log(`${t.strategy}: ${t.urls.map(redactUrl).join(', ')} (healthy)`);
  }
  const source = ctx.target.tokens;
  if (source.kind === 'file') {
    st.tokens = source.tokens;
  } else if (source.kind === 'mint') {
    const pool = new pg.Pool({ connectionString: ownPg(infra), max: 1 });
    try {
      const { rows } = await pool.query<{ n: string | null }>('SELECT max(id)::text AS n FROM users');
      const max = Number(rows[0]?.n ?? 0);
      if (!(max > 0))
        throw new Error('target mode: the database at --pg-url holds no users (authbench seed loads them)');
      const ids = tokenUserIds(max, Math.min(phase.tokenUsers, max));
      st.tokens = [
        ...(await mintTokens(pool, createJwtKey(source.secret), ids, tokenTtlSeconds(config))).values(),
      ];
    } finally {
      await pool.end();
    }
  } else {
    // The baseline's first server mints them; every server must accept them (verification checks).
    const url = phase.targets[0]!.urls[0]!;
    const ids = tokenUserIds(config.users, phase.tokenUsers);
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i += TOKEN_REQUESTS_IN_FLIGHT) {
      const batch = ids.slice(i, i + TOKEN_REQUESTS_IN_FLIGHT);
      const answers = await Promise.all(
        batch.map(async (userId) => {
          const r = await fetch(`${url}/auth/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ userId }),
            signal: AbortSignal.timeout(10_000),
          });
          if (r.status === 404) {
            const body = await r.text();
            // A user that is not there (or has no role) is skipped; no route at all is a server
            // started without --issue-tokens.
            if (!/no such user|has no role/.test(body)) throw new Error(tokenAdvice(url, 404));
            return null;
          }
          if (r.status !== 200) throw new Error(tokenAdvice(url, r.status));
          return ((await r.json()) as { token: string }).token;
        }),
      );
      for (const t of answers) if (t) tokens.push(t);
    }
    st.tokens = tokens;
  }
  if (st.tokens.length < config.verifyUsers)
    throw new Error(
      `target mode: ${st.tokens.length} tokens, fewer than the ${config.verifyUsers} users verification compares (--verify-users)` +
        // The servers cannot say how many users they hold: the ids asked for are spread over --users.
        (source.kind === 'server'
          ? `; /auth/token knew ${st.tokens.length} of the ${phase.tokenUsers} user ids asked for, spread over 1..${config.users} (--users): give --users the database's user count`
          : ''),
    );
  log(
    `tokens: ${st.tokens.length}, ${source.kind === 'file' ? `from ${source.path}` : source.kind === 'mint' ? "minted from the database's current claims" : "from the servers' /auth/token"}`,
  );
}

function tokenAdvice(url: string, status: number): string {
  return (
    `target mode: ${redactUrl(url)}/auth/token answered ${status}: give --tokens-file, or --jwt-secret (JWT_SECRET) ` +
    'with --pg-url, or start the servers with --issue-tokens'
  );
}

/** A strategy's servers as the load and the counters see them. */
interface Served {
  /** Every replica: load is spread over them, their counters summed. */
  urls: string[];
  /** The process, where this run started it; null in target mode. */
  pid: number | null;
}

function server(st: State, strategy: StrategyName): Served {
  const s = st.servers.get(strategy);
  if (!s) throw new Error(`the plan uses ${strategy} before starting it`);
  return s;
}

/** Counters read just before and just after a timed step. */
interface CounterReading {
  serverCpu: number | null;
  serverLoop: number | null;
  poolHeld: number | null;
  dbExec: number | null;
  proxyCpu: number | null;
  /** CPU of the Postgres backends serving this database (the same pids before and after). */
  pgCpu: number | null;
  redisCpu: number | null;
}

async function readCounters(st: State, target: Served, pgPids: readonly number[]): Promise<CounterReading> {
  const own = await serverCounters(target.urls);
  const counters = counterSet(st);
  return {
    // The server's own microsecond count where it reports one; /proc's clock ticks otherwise.
    serverCpu: own.cpuSeconds ?? (target.pid === null ? null : cpuSeconds(target.pid)),
    serverLoop: own.loopActiveSeconds,
    poolHeld: own.poolHeldSeconds,
    dbExec: await counters.dbExecSeconds(),
    proxyCpu: st.proxy ? cpuSeconds(st.proxy.pid) : null,
    pgCpu: cpuSecondsOf(pgPids, 'postgres'),
    redisCpu: await counters.redisCpuSeconds(),
  };
}

/**
 * Waits until the server has nothing left in flight from the step before: a generator stops
 * sending at the end of its step, but requests already queued (for the pool, at 200
 * connections) are still served and would run into the next step. Quiet: over 50 ms, no
 * response but the previous /metrics read and no pooled connection held. At most 3 s.
 */
async function quietGap(urls: readonly string[]): Promise<void> {
  const deadline = Date.now() + 3000;
  let last = await serverCounters(urls);
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    const next = await serverCounters(urls);
    const quiet =
      next.responses - last.responses <= urls.length && next.poolHeldSeconds === last.poolHeldSeconds;
    last = next;
    if (quiet) return;
  }
}

/** Reads the counters, runs one closed-model job, reads them again. */
async function measured(
  st: State,
  ctx: Context,
  target: Served,
  connections: number,
  seconds: number,
): Promise<{ before: CounterReading; after: CounterReading; report: GeneratorReport; window: number }> {
  const pgPids = await counterSet(st).backendPids();
  const before = await readCounters(st, target, pgPids);
  const report = await runClosed(st, ctx, {
    url: target.urls.length === 1 ? target.urls[0]! : target.urls,
    path: ctx.config.path,
    tokens: st.tokens,
    connections,
    durationSeconds: seconds,
    timeoutSeconds: ctx.config.timeoutSeconds,
  });
  const after = await readCounters(st, target, pgPids);
  await quietGap(target.urls);
  // The request counts are over the generator's own duration: so are the costs per request.
  const window = report.result.duration > 0 ? report.result.duration : seconds;
  return { before, after, report, window };
}

const delta = (before: number | null, after: number | null): number | null =>
  before !== null && after !== null ? after - before : null;

/**
 * CPU seconds of everything but the server: the load generator (its own count), the delay
 * proxy, the Postgres backends serving this database, Redis. Counted per process, so other
 * work on the machine is not charged to the strategy; null where Postgres' cannot be read
 * (a database on another machine or in a container).
 */
function otherCpu(m: {
  before: CounterReading;
  after: CounterReading;
  report: Pick<GeneratorReport, 'cpuPercent'>;
  window: number;
}): number | null {
  const pg = delta(m.before.pgCpu, m.after.pgCpu);
  if (pg === null) return null;
  const generator = (m.report.cpuPercent / 100) * m.window;
  return (
    generator +
    pg +
    (delta(m.before.proxyCpu, m.after.proxyCpu) ?? 0) +
    (delta(m.before.redisCpu, m.after.redisCpu) ?? 0)
  );
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
  const m = await measured(st, ctx, server(st, strategy), connections, seconds);
  return toRoundRecord(m.report, { index: st.index++, round, strategy, ...overWindow(st, m) });
}

/** The counters' increases over a timed step, as rates of its window (what a round record holds). */
function overWindow(
  st: State,
  m: {
    before: CounterReading;
    after: CounterReading;
    report: Pick<GeneratorReport, 'cpuPercent'>;
    window: number;
  },
): Omit<RoundContext, 'index' | 'round' | 'strategy'> {
  const { before, after } = m;
  // Utilization law: a counter's increase ÷ the window, so that busy ÷ throughput is exactly
  // the cost per request.
  const perSecond = (d: number | null, scale = 1): number | null =>
    d === null ? null : (scale * d) / m.window;
  return {
    serverCpuPercent: perSecond(delta(before.serverCpu, after.serverCpu), 100),
    proxyCpuPercent: st.proxy ? perSecond(delta(before.proxyCpu, after.proxyCpu), 100) : null,
    poolBusyConnections: perSecond(delta(before.poolHeld, after.poolHeld)),
    dbExecuting: perSecond(delta(before.dbExec, after.dbExec)),
    serverLoopPercent: perSecond(delta(before.serverLoop, after.serverLoop), 100),
    otherCpuPercent: perSecond(otherCpu(m), 100),
  };
}

/**
 * The model's calibration of one strategy: a short run at a few connections, every cost per
 * request as a counter's increase ÷ the requests answered over the same window.
 */
async function calibrate(
  st: State,
  ctx: Context,
  strategy: StrategyName,
  seconds: number,
  connections: number,
): Promise<StrategyCalibration> {
  const m = await measured(st, ctx, server(st, strategy), connections, seconds);
  const { before, after, report } = m;
  const record = toRoundRecord(report, { index: -1, round: 0, strategy, serverCpuPercent: null });
  const requests = record.requests2xx;
  const perRequestMs = (d: number | null): number | null =>
    d === null || requests === 0 ? null : (1000 * d) / requests;
  const cpuMs = perRequestMs(delta(before.serverCpu, after.serverCpu));
  const poolMs = perRequestMs(delta(before.poolHeld, after.poolHeld));
  const reasons = [
    ...(record.status === 'invalid' ? record.invalidReasons : []),
    ...(cpuMs === null ? ["the server's CPU time could not be read"] : []),
    ...(poolMs === null ? ['the server does not count its pool time'] : []),
  ];
  return {
    requests,
    requestsPerSecond: requests / m.window,
    cycleMs: requests > 0 ? (1000 * connections * m.window) / requests : 0,
    cpuMs: cpuMs ?? 0,
    loopMs: perRequestMs(delta(before.serverLoop, after.serverLoop)),
    poolMs: poolMs ?? 0,
    dbExecMs: perRequestMs(delta(before.dbExec, after.dbExec)),
    otherCpuMs: perRequestMs(otherCpu(m)),
    generatorCpuMs: perRequestMs((report.cpuPercent / 100) * m.window) ?? 0,
    roundTripsPerRequest: st.verification?.costs[strategy]?.queriesPerRequest ?? 0,
    redisCommandsPerRequest: st.verification?.costs[strategy]?.redisCommandsPerRequest ?? 0,
    invalidReason: reasons.length > 0 ? reasons.join('; ') : null,
    levels: [],
  };
}

/**
 * --engine artillery: the batch's phases (warm-ups and rounds, or the open-model runs) as time
 * slices of one Artillery run, started a lead time ahead; meanwhile the servers' counters are
 * read at each closed slice's measured window, so its rounds carry the same costs as the
 * embedded generators'. The report comes back as the same records.
 */
async function runOnArtillery(
  batch: 'closed' | 'open',
  phases: readonly Phase[],
  st: State,
  ctx: Context,
): Promise<void> {
  const { progress, config } = ctx;
  const a = ctx.artillery;
  if (!a) throw new Error('--engine artillery: the run was given no Artillery to run');
  let rates: Map<number, number> | null = null;
  if (batch === 'open') {
    const base = baselineRps(st, config);
    if (base === null) {
      progress.info(`open model skipped: ${config.strategies[0]} has no valid round to take the rate from`);
      return;
    }
    rates = new Map();
    for (const p of phases)
      if (p.kind === 'open' && !rates.has(p.run)) rates.set(p.run, Math.round(p.fraction * base));
  }
  const slices = artillerySlices(
    phases.filter((p) => (batch === 'open' ? p.kind === 'open' : p.kind !== 'open')),
    (strategy) => server(st, strategy).urls,
    a.options.guardSeconds,
    rates,
  );
  if (slices.length === 0) return;
  const plan = artilleryPlan(st, ctx, slices, a.options, artilleryVersion(a.bin));
  const dir = a.dir
    ? join(a.dir, `${config.scenario}-${batch}`)
    : mkdtempSync(join(tmpdir(), 'authbench-artillery-'));
  const seconds = (plan.t0Ms - Date.now()) / 1000 + slices.at(-1)!.endMs / 1000;
  // The tokens work on the servers until they expire: never left in a results folder, even
  // when the run is interrupted (the cleanup registry runs on signals and at exit).
  const forget = (): void => rmSync(a.dir ? join(dir, 'tokens.txt') : dir, { recursive: true, force: true });
  const unregister = registerCleanup(async () => forget(), forget);
  try {
    await writeArtilleryFolder(dir, plan, st.tokens);
    progress.timed(
      `Artillery: ${slices.length} ${batch === 'open' ? 'open-model runs' : 'warm-ups and rounds'} as slices, t0 in ${a.options.leadSeconds} s`,
      Math.round(seconds),
      ctx.step,
      ctx.steps,
    );
    const stop = new AbortController();
    const readings =
      batch === 'closed' ? readAtSlices(st, plan, stop.signal, ctx.log) : Promise.resolve(new Map());
    let report: unknown;
    try {
      report = await runArtillery(a.bin, dir, plan, awayPrefix(st.serverCpu));
    } finally {
      stop.abort();
    }
    const counted = await readings;
    const imported = importArtilleryReport(report, plan);
    const first = st.index;
    const withCounters = (r: RoundRecord): RoundRecord => {
      const slice = slices[r.index]!;
      const m = counted.get(slice.id);
      const at = { ...r, index: first + r.index };
      if (!m) return at;
      return {
        ...at,
        ...overWindow(st, { ...m, report: { cpuPercent: r.generatorCpuPercent }, window: m.seconds }),
      };
    };
    st.warmup.push(...imported.warmup.map(withCounters));
    st.rounds.push(...imported.rounds.map(withCounters));
    st.openModel.push(...imported.openModel);
    st.index += slices.length;
    const invalid = [...imported.warmup, ...imported.rounds].filter((r) => r.status === 'invalid');
    const excluded = imported.openModel.filter((o) => o.missing);
    progress.done(
      `${slices.length} slices imported` +
        (invalid.length + excluded.length > 0
          ? `; INVALID: ${[...invalid.map((r) => `${r.strategy} ${r.round === 0 ? 'warm-up' : `round ${r.round}`}: ${r.status === 'invalid' ? r.invalidReasons.join('; ') : ''}`), ...excluded.map((o) => `${o.strategy} open ${o.fraction}: ${o.missing}`)].join(' / ')}`
          : ''),
    );
  } finally {
    forget();
    unregister();
  }
}

/** The plan.json of one Artillery run: the slices, and what import needs to build the record. */
function artilleryPlan(
  st: State,
  ctx: Context,
  slices: ArtillerySlice[],
  options: ArtilleryOptions,
  version: string | null,
  command = '',
): ArtilleryPlan {
  if (!st.verification || !st.versions) throw new Error('the plan runs load before its verify phase');
  const t0Ms = Date.now() + options.leadSeconds * 1000;
  const env = describeEnvironment(ctx.infra, st.versions, st.serverCpu, ctx.target?.targets ?? null);
  env.artillery = {
    version,
    workers: options.workers,
    leadSeconds: options.leadSeconds,
    guardSeconds: options.guardSeconds,
    t0: new Date(t0Ms).toISOString(),
  };
  st.artillery = env.artillery;
  return {
    kind: 'authbench-artillery-plan',
    version: 1,
    planId: randomBytes(8).toString('hex'),
    createdAt: new Date().toISOString(),
    t0Ms,
    leadSeconds: options.leadSeconds,
    guardSeconds: options.guardSeconds,
    workers: options.workers,
    vusPerWorker: vusPerWorker(ctx.config.connections, options.workers),
    path: ctx.config.path,
    timeoutSeconds: ctx.config.timeoutSeconds,
    slices,
    config: ctx.config,
    verification: st.verification,
    env,
    command,
    linkRoundTripMs: st.linkRoundTripMs,
  };
}

/** The counters around one slice's measured window, and the seconds between the two readings. */
interface SliceReading {
  before: CounterReading;
  after: CounterReading;
  seconds: number;
}

/**
 * The counters at the start and end of each closed slice's measured window, read while Artillery
 * runs (by the shared clock: this process is where t0 was set). Stops when `signal` aborts.
 */
async function readAtSlices(
  st: State,
  plan: ArtilleryPlan,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<Map<string, SliceReading>> {
  const out = new Map<string, SliceReading>();
  const until = async (ms: number): Promise<boolean> => {
    const wait = plan.t0Ms + ms - Date.now();
    if (wait < 0) return false;
    try {
      await sleep(wait, undefined, { signal });
      return true;
    } catch {
      return false;
    }
  };
  for (const s of plan.slices) {
    try {
      const target = server(st, s.strategy);
      // Backends come and go: the Postgres processes serving this database, read per slice.
      const pgPids = await counterSet(st).backendPids();
      if (!(await until(s.measureFromMs))) continue;
      const began = Date.now();
      const before = await readCounters(st, target, pgPids);
      if (!(await until(s.endMs))) continue;
      const ended = Date.now();
      out.set(s.id, {
        before,
        after: await readCounters(st, target, pgPids),
        seconds: (ended - began) / 1000,
      });
    } catch (err) {
      // Costs are extras: this slice's round stands without them (its fields stay null).
      if (!signal.aborted) log(`${s.id}: server counters not read (${(err as Error).message})`);
    }
  }
  return out;
}

/**
 * `authbench export artillery`: target mode's set-up and verification against the servers, then
 * the scenario's timed phases written as an Artillery folder instead of run. Open-model runs are
 * in it only with a base rate (their rates are fractions of it); a calibration never is.
 */
export async function exportArtillery(
  plan: ScenarioPlan,
  urls: { pgUrl?: string; redisUrl?: string },
  command: string,
  target: TargetMode,
  options: ArtilleryOptions,
  out: string,
  openBaseRps: number | null,
  progress: Progress = new Progress(),
): Promise<ArtilleryPlan> {
  const infra = targetServices(target.targets, urls);
  const st = newState(infra);
  const ctx: Context = {
    infra,
    progress,
    log: (line) => progress.info(line),
    step: 0,
    steps: 0,
    config: plan.config,
    target,
    artillery: null,
  };
  try {
    for (const phase of plan.phases) {
      if (isTimed(phase)) break;
      await executePhase(phase, st, ctx);
    }
    const rates =
      openBaseRps === null
        ? null
        : new Map(plan.config.openFractions.map((f, run) => [run, Math.round(f * openBaseRps)] as const));
    const slices = artillerySlices(plan.phases, (s) => server(st, s).urls, options.guardSeconds, rates);
    const exported = artilleryPlan(st, ctx, slices, options, null, command);
    await writeArtilleryFolder(out, exported, st.tokens);
    return exported;
  } finally {
    await stopChildren(st);
  }
}
