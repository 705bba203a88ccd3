import { randomBytes } from 'node:crypto';
import { pg } from '../../sql/pg-types.js';
import { mintTokens } from '../../fixtures/tokens.js';
import { createJwtKey } from '../../servers/jwt.js';
import { JWT_ONLY_WARNING, type StrategyName } from '../../servers/strategies/index.js';
import { DEFAULTS, validateConfig, type BenchConfig, type RawBenchOptions } from '../plan/config.js';
import { DEFAULT_SCENARIOS, scenarioConfig } from '../plan/scenarios.js';
import { resolveInfra, type Infra } from '../infra/index.js';
import { toRoundRecord, type RoundRecord } from '../schema/results.js';
import { buildResults, type OpenModelResult, type ResultsRecord } from '../analysis/results.js';
import { median } from '../analysis/stats.js';
import { cpuSeconds, defaultServerCpu, spawnDelayProxy, spawnLoadGenerator, type DelayProxy, spawnServer, type LoadGenerator, type ServerProcess } from './children.js';
import { Counters, poolHeldSeconds } from './counters.js';
import { idleRoundTripMs } from './link.js';
import { describeEnvironment } from './environment.js';
import { Progress } from './progress.js';
import { writeResults } from '../output/results-file.js';
import { verify } from './verify.js';
import { describeReports, writeReports } from '../output/files.js';
import { renderSummary } from '../output/summary.js';
import { seedWithLog, urlArg } from './seed.js';

export interface RunArgs {
  /** One per scenario, run back to back against the same infrastructure. */
  configs: BenchConfig[];
  pgUrl?: string;
  redisUrl?: string;
}

/**
 * Validates everything before anything starts: a bad flag or scenario file costs nothing.
 * `explicit` holds the options given on the command line (they override a scenario's values);
 * without --scenario, `run` does the default scenarios back to back.
 */
export function parseRunArgs(
  raw: RawBenchOptions & { pgUrl?: unknown; redisUrl?: unknown },
  env: NodeJS.ProcessEnv,
  explicit: RawBenchOptions = raw,
  defaults: BenchConfig = DEFAULTS,
  scenarios: readonly string[] = DEFAULT_SCENARIOS,
): RunArgs {
  const named = explicit.scenario !== undefined ? [String(explicit.scenario)] : scenarios;
  const { scenario: _ignored, ...flags } = explicit;
  const configs = named.length === 0 ? [validateConfig(flags, defaults)] : named.map((n) => scenarioConfig(n, flags, defaults));
  const pgUrl = urlArg('postgres', raw, env);
  const redisUrl = urlArg('redis', raw, env);
  return { configs, ...(pgUrl ? { pgUrl } : {}), ...(redisUrl ? { redisUrl } : {}) };
}

/** Users spread evenly over the id range, so the token set mixes roles as the dataset does. */
export function tokenUserIds(users: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => 1 + Math.floor((i * users) / count));
}

/**
 * `authbench run`: infrastructure once, then per scenario: seed → tokens → (delay proxy) →
 * servers → verification → warm-up → interleaved rounds → statistics → results/*.json,
 * reports and a summary. Returns each scenario's record and where it was written.
 */
export async function runBench(args: RunArgs, command: string): Promise<Array<{ record: ResultsRecord; path: string }>> {
  const progress = new Progress();
  const log = (line: string): void => progress.info(line);
  progress.phase('infrastructure');
  const infra = await resolveInfra({ pgUrl: args.pgUrl, redisUrl: args.redisUrl, log });
  log(infra.description);
  try {
    const out: Array<{ record: ResultsRecord; path: string }> = [];
    for (const config of args.configs) {
      if (args.configs.length > 1) progress.phase(`scenario ${config.scenario} (${out.length + 1} of ${args.configs.length})`);
      if (config.strategies.includes('jwt-only')) log(JWT_ONLY_WARNING);
      out.push(await runScenario(config, infra, progress, command));
    }
    return out;
  } finally {
    await infra.stop();
  }
}

/**
 * One scenario against infrastructure that is already there. With `write: false` (sweep
 * points) the record is returned, not written or reported.
 */
export async function runScenario(
  config: BenchConfig, infra: Infra, progress: Progress, command: string, opts: { write: boolean } = { write: true },
): Promise<{ record: ResultsRecord; path: string; seeding: { seededUsers: number; seconds: number } }> {
  const started = Date.now();
  const log = (line: string): void => progress.info(line);
  const servers: ServerProcess[] = [];
  let counters: Counters | undefined;
  let generator: LoadGenerator | undefined;
  let proxy: DelayProxy | undefined;
  try {
    progress.phase(`seeding ${config.users} users (seed ${config.seed})`);
    const seeding = await seedWithLog(infra.pgUrl, { users: config.users, seed: config.seed }, log);

    progress.phase(`minting tokens for ${config.tokenUsers} users`);
    // A fresh 256-bit secret per run: the tokens are useless outside it.
    const secret = randomBytes(32).toString('base64url');
    const pool = new pg.Pool({ connectionString: infra.pgUrl, max: 1 });
    let tokens: string[];
    try {
      const minted = await mintTokens(pool, createJwtKey(secret), tokenUserIds(config.users, config.tokenUsers),
        Math.max(3600, 4 * (config.rounds * 2 * config.roundSeconds + 600)));
      tokens = [...minted.values()];
    } finally {
      await pool.end();
    }
    if (tokens.length < config.tokenUsers) throw new Error(`only ${tokens.length} of ${config.tokenUsers} users could be given tokens`);

    // The servers reach Postgres through the delay proxy when the scenario puts the database
    // "across a network"; seeding, counting and verification go direct.
    let serverPgUrl = infra.pgUrl;
    if (config.dbDelayMs > 0) {
      proxy = await spawnDelayProxy(infra.pgUrl, config.dbDelayMs);
      serverPgUrl = proxy.url;
      log(`database link: +${config.dbDelayMs} ms each way through a TCP proxy (pid ${proxy.pid})`);
    }
    const linkRoundTripMs = await idleRoundTripMs(serverPgUrl);
    log(`database round trip as the servers see it, idle: ${linkRoundTripMs.toFixed(2)} ms (median of 50 × SELECT 1)`);

    const serverCpu = config.serverCpu === 'auto' ? defaultServerCpu() : config.serverCpu === 'none' ? null : config.serverCpu;
    progress.phase(`starting servers${serverCpu === null ? ' (not pinned to a CPU)' : ` (pinned to CPU ${serverCpu})`}`);
    for (const strategy of config.strategies) {
      const s = await spawnServer({
        strategy, pgUrl: serverPgUrl, redisUrl: infra.redisUrl, poolSize: config.poolSize, jwtSecret: secret,
        jwtVerify: config.jwtVerify, cpu: serverCpu,
      });
      servers.push(s);
      log(`${strategy}: ${s.url} (pid ${s.pid})`);
    }
    const byName = new Map(servers.map((s) => [s.strategy, s]));

    progress.phase(`verification: ${config.verifyUsers} users × 2 routes, identical bodies, queries and Redis commands per request`);
    counters = await Counters.open(infra.pgUrl, infra.redisUrl);
    const verification = await verify({
      targets: [{ strategy: servers[0]!.strategy, url: servers[0]!.url }, { strategy: servers[1]!.strategy, url: servers[1]!.url }],
      tokens: tokens.slice(0, config.verifyUsers),
      routes: [...new Set([config.path, '/api/articles'])],
      measuredRoute: config.path,
      counters,
    });
    for (const [name, c] of Object.entries(verification.costs)) {
      log(`${name}: ${c.queriesPerRequest} queries/request (${c.queriesSource}; server says ${c.serverQueriesPerRequest}), ${c.redisCommandsPerRequest} Redis commands/request (server says ${c.serverRedisCommandsPerRequest})`);
    }
    const versions = await counters.versions();

    const steps = 2 * (config.rounds + (config.warmupSeconds > 0 ? 1 : 0) + config.openFractions.length);
    let step = 0;
    let index = 0;
    const measure = async (strategy: StrategyName, round: number, seconds: number): Promise<RoundRecord> => {
      const server = byName.get(strategy)!;
      progress.timed(`${round === 0 ? 'warm-up' : `round ${round}/${config.rounds}`} ${strategy}`, seconds, ++step, steps);
      const heldBefore = await poolHeldSeconds(server.url);
      const execBefore = await counters!.dbExecSeconds();
      const cpuBefore = cpuSeconds(server.pid);
      const proxyBefore = proxy ? cpuSeconds(proxy.pid) : null;
      const t0 = performance.now();
      const report = await generator!.run({
        url: server.url, path: config.path, tokens, connections: config.connections,
        durationSeconds: seconds, timeoutSeconds: config.timeoutSeconds,
      });
      const elapsed = (performance.now() - t0) / 1000;
      const cpuAfter = cpuSeconds(server.pid);
      const proxyAfter = proxy ? cpuSeconds(proxy.pid) : null;
      const heldAfter = await poolHeldSeconds(server.url);
      const execAfter = await counters!.dbExecSeconds();
      // Utilization law: a counter's increase over the round ÷ its seconds (× 100 for CPU %).
      const perSecond = (before: number | null, after: number | null, scale = 1): number | null =>
        (before !== null && after !== null ? (scale * (after - before)) / elapsed : null);
      const record = toRoundRecord(report, {
        index: index++, round, strategy,
        serverCpuPercent: perSecond(cpuBefore, cpuAfter, 100),
        proxyCpuPercent: proxy ? perSecond(proxyBefore, proxyAfter, 100) : null,
        poolBusyConnections: perSecond(heldBefore, heldAfter),
        dbExecuting: perSecond(execBefore, execAfter),
      });
      progress.done(`${record.requestsPerSecond.toFixed(0)} req/s, p50 ${record.latencyMs.p50.toFixed(2)} ms, p99 ${record.latencyMs.p99.toFixed(2)} ms`
        + `${record.status === 'invalid' ? ` INVALID: ${record.invalidReasons.join('; ')}` : ''}`);
      return record;
    };

    progress.phase('load');
    generator = spawnLoadGenerator();
    const warmup: RoundRecord[] = [];
    if (config.warmupSeconds > 0) {
      for (const s of config.strategies) warmup.push(await measure(s, 0, config.warmupSeconds));
    }
    const rounds: RoundRecord[] = [];
    for (let r = 1; r <= config.rounds; r++) {
      // Alternate which strategy goes first, so linear drift cancels within pairs.
      const order = r % 2 === 1 ? config.strategies : [config.strategies[1], config.strategies[0]];
      for (const s of order) rounds.push(await measure(s, r, config.roundSeconds));
    }

    // Open model: constant arrival rates below the baseline's measured maximum.
    const openModel: OpenModelResult[] = [];
    const baselineRps = rounds.filter((r) => r.strategy === config.strategies[0] && r.status === 'valid').map((r) => r.requestsPerSecond);
    const baselineMax = baselineRps.length > 0 ? median(baselineRps) : 0;
    if (config.openFractions.length > 0 && baselineMax > 0) {
      progress.phase(`open model at ${config.openFractions.map((f) => `${f * 100}%`).join(', ')} of ${config.strategies[0]}'s ${baselineMax.toFixed(0)} req/s`);
      for (const fraction of config.openFractions) {
        const targetRps = Math.round(fraction * baselineMax);
        const entry: OpenModelResult = { fraction, targetRps, strategies: {} };
        for (const strategy of config.strategies) {
          const server = byName.get(strategy)!;
          progress.timed(`${strategy} at ${targetRps} req/s`, config.openSeconds, ++step, steps);
          const o = await generator.runOpen({
            url: server.url, path: config.path, tokens, rate: targetRps, durationSeconds: config.openSeconds,
            maxSockets: Math.max(64, config.connections * 4), timeoutSeconds: config.timeoutSeconds,
          });
          const us = o.latencyUs;
          entry.strategies[strategy] = {
            achievedRps: o.achievedRate, non2xx: o.non2xx, errors: o.errors, unfinished: o.unfinished, generatorCpuPercent: o.cpuPercent,
            latencyMs: { p50: us.p50 / 1000, p90: us.p90 / 1000, p99: us.p99 / 1000, p999: us.p999 / 1000, max: us.max / 1000 },
          };
          progress.done(`achieved ${o.achievedRate.toFixed(0)} req/s, p50 ${(us.p50 / 1000).toFixed(2)} ms, p99 ${(us.p99 / 1000).toFixed(2)} ms`);
        }
        openModel.push(entry);
      }
    }

    progress.phase('results');
    await generator.stop();
    await Promise.all(servers.map((s) => s.stop()));
    await proxy?.stop();
    const record = buildResults({
      config,
      env: describeEnvironment(infra, versions, serverCpu),
      verification,
      warmup,
      rounds,
      createdAt: new Date().toISOString(),
      wallSeconds: Math.round((Date.now() - started) / 100) / 10,
      command,
      openModel,
      linkRoundTripMs,
    });
    if (!opts.write) return { record, path: '', seeding };
    const files = await writeResults(record, config.resultsDir);
    process.stdout.write(`\n${renderSummary(record)}\nresults: ${files.path} (and ${files.latest})\n`);
    process.stdout.write(describeReports(await writeReports(record, files.path)));
    return { record, path: files.path, seeding };
  } finally {
    await counters?.close();
    await generator?.stop();
    await Promise.all(servers.map((s) => s.stop()));
    await proxy?.stop();
  }
}
