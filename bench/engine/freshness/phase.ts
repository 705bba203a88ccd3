/**
 * One strategy's freshness phase: two servers of the strategy sharing one Redis (one behind a
 * slow database link), steady background load on both, the nemesis's revocations and faults,
 * the probers, and logical decoding of every committed RBAC change, all recorded on one clock
 * into a history for the pure checker.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pg } from '../../../sql/pg-types.js';
import { seedDatabase } from '../../../fixtures/seed.js';
import { currentClaims } from '../../../fixtures/tokens.js';
import { createJwtKey, signToken } from '../../../servers/jwt.js';
import { parseMetrics } from '../../../servers/metrics.js';
import type { StrategyName } from '../../../servers/strategies/index.js';
import { parseWalRows } from '../../analysis/freshness/wal.js';
import { RBAC_TABLES } from '../../analysis/freshness/model.js';
import type { LocalPostgres, LocalRedis } from '../../infra/index.js';
import {
  spawnDelayProxy,
  spawnLoadGenerator,
  spawnServer,
  type DelayProxy,
  type LoadGenerator,
  type ServerProcess,
} from '../children.js';
import { seededRandom } from '../../analysis/stats.js';
import type {
  CrashEvent,
  FaultEvent,
  FreshnessConfig,
  History,
  RbacState,
  Schedule,
  ServerInfo,
} from '../../schema/freshness.js';
import { HISTORY_SCHEMA_VERSION } from '../../schema/freshness.js';
import { pgToPhase, phaseClock, sampleClock } from './clock.js';
import { FaultInjector } from './faults.js';
import { NEMESIS_STAGE_DDL, Nemesis } from './nemesis.js';
import { Prober, type ProbeTarget } from './prober.js';
import { WalReader } from './wal-reader.js';

/** The dataset every phase starts from (re-seeded when a phase changed it). */
export const DATASET_SEED = 42;
const BACKGROUND_USERS = 400;

export interface PhaseInput {
  strategy: StrategyName;
  config: FreshnessConfig;
  schedule: Schedule;
  pg: LocalPostgres;
  redis: LocalRedis;
  /** Another dataset in the same cluster, for tokens that must never be accepted. */
  foreignPgUrl: string;
  log: (line: string) => void;
}

export interface PhaseOutput {
  history: History;
  load: Array<{ server: string; achievedRps: number; ok: number; non2xx: number; errors: number }>;
}

/** The probed users (a mix of roles, chosen by the seed) and the nemesis's admin, from the dataset. */
export async function chooseUsers(
  db: pg.Pool,
  count: number,
  seed: number,
): Promise<{ probed: number[]; admin: number; background: number[] }> {
  const { rows } = await db.query<{ id: number; role: number; roles: number }>(`SELECT ur.user_id AS id,
    min(ur.role_id)::int AS role, count(*)::int AS roles FROM user_roles ur GROUP BY ur.user_id ORDER BY ur.user_id`);
  const rnd = seededRandom(seed ^ 0x5bd1e995);
  const shuffled = rows.map((r) => ({ ...r, id: Number(r.id), key: rnd() })).sort((a, b) => a.key - b.key);
  const admin = shuffled.find((r) => r.role === 1 && r.roles === 1);
  if (!admin) throw new Error('the dataset has no admin user for the nemesis to act as');
  const rest = shuffled.filter((r) => r.id !== admin.id);
  const probed: number[] = [];
  // A third from each role, so role-level changes reach probed users of every kind.
  for (const role of [1, 2, 3])
    probed.push(
      ...rest
        .filter((r) => r.role === role)
        .slice(0, Math.ceil(count / 3))
        .map((r) => r.id),
    );
  const chosen = probed.slice(0, count).sort((a, b) => a - b);
  const background = rest
    .filter((r) => !chosen.includes(r.id))
    .slice(0, BACKGROUND_USERS)
    .map((r) => r.id);
  return { probed: chosen, admin: admin.id, background };
}

async function readInitial(client: pg.Client, probed: readonly number[]): Promise<RbacState> {
  const ids = [...probed];
  const q = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> =>
    (await client.query<T>(text, values)).rows;
  return {
    roles: (await q<{ id: number; name: string }>('SELECT id, name FROM roles ORDER BY id')).map((r) => [
      r.id,
      r.name,
    ]),
    permissions: (await q<{ id: number; name: string }>('SELECT id, name FROM permissions ORDER BY id')).map(
      (r) => [r.id, r.name],
    ),
    rolePermissions: (
      await q<{ r: number; p: number }>(
        'SELECT role_id AS r, permission_id AS p FROM role_permissions ORDER BY 1, 2',
      )
    ).map((r) => [r.r, r.p]),
    users: (
      await q<{ id: number; inc: number }>(
        'SELECT id, incarnation AS inc FROM users WHERE id = ANY($1::bigint[]) ORDER BY id',
        [ids],
      )
    ).map((r) => [Number(r.id), Number(r.inc)]),
    userRoles: (
      await q<{ u: number; r: number }>(
        'SELECT user_id AS u, role_id AS r FROM user_roles WHERE user_id = ANY($1::bigint[]) ORDER BY 1, 2',
        [ids],
      )
    ).map((r) => [Number(r.u), r.r]),
  };
}

export async function runPhase(input: PhaseInput): Promise<PhaseOutput> {
  const { config: cfg, strategy, log } = input;
  // The nemesis's and the minter's connections: a statement blocked behind the nemesis's own
  // locks (a TRUNCATE held open, a deadlock being detected) gives up, so the phase ends on time.
  const pool = new pg.Pool({
    connectionString: input.pg.url,
    max: 12,
    application_name: 'authbench-freshness',
    statement_timeout: 5000,
  });
  const admin = new pg.Client({ connectionString: input.pg.url, application_name: 'authbench-freshness' });
  const proxies: DelayProxy[] = [];
  const servers: Array<{ info: ServerInfo; process: ServerProcess; pgUrl: string }> = [];
  const generators: LoadGenerator[] = [];
  const crashes: CrashEvent[] = [];
  let stopping = false;
  let wal: WalReader | undefined;
  let prober: Prober | undefined;
  let nemesis: Nemesis | undefined;
  const timers: NodeJS.Timeout[] = [];
  try {
    await admin.connect();
    const seeded = await seedDatabase(pool, { users: cfg.users, seed: DATASET_SEED });
    log(
      `${strategy}: dataset of ${cfg.users} users ${seeded.skipped ? 'in place' : `seeded in ${(seeded.durationMs / 1000).toFixed(1)} s`}`,
    );
    await flushRedis(input.redis.url);
    await pool.query(NEMESIS_STAGE_DDL);
    await pool.query('TRUNCATE authbench_nemesis_stage');
    const users = await chooseUsers(pool, cfg.probedUsers, cfg.seed);
    const secret = randomBytes(32).toString('base64url');
    const key = createJwtKey(secret);
    // The probed tokens live --token-ttl when given; the background load's outlive the phase.
    const longTtl = cfg.seconds + 600;
    const ttlSeconds = cfg.tokenTtlSeconds ?? longTtl;

    for (const [name, delay] of [
      ['A', 0],
      ['B', cfg.slowLinkMs],
    ] as const) {
      const proxy = await spawnDelayProxy(input.pg.url, delay);
      proxies.push(proxy);
      const process = await spawnServer({
        strategy,
        pgUrl: proxy.url,
        redisUrl: input.redis.url,
        poolSize: 10,
        jwtSecret: secret,
        jwtVerify: cfg.jwtVerify ?? 'keyobject',
        cpu: null,
      });
      servers.push({
        info: { name, strategy, link: delay > 0 ? 'slow' : 'direct', linkDelayMs: delay },
        process,
        pgUrl: proxy.url,
      });
    }
    log(`${strategy}: servers A (direct link) and B (+${cfg.slowLinkMs} ms each way) share one Redis`);

    const clock = phaseClock();
    const watch = (s: (typeof servers)[number]): void => {
      void s.process.exited.then(async ({ code, signal, stderr }) => {
        if (stopping) return;
        const crash: CrashEvent = {
          server: s.info.name,
          atMs: clock(),
          restartedAtMs: null,
          code,
          signal,
          stderr: stderr.slice(-2000),
        };
        crashes.push(crash);
        log(`${strategy}: server ${s.info.name} exited (code ${code}, signal ${signal}); restarting`);
        try {
          s.process = await spawnServer({
            strategy,
            pgUrl: s.pgUrl,
            redisUrl: input.redis.url,
            poolSize: 10,
            jwtSecret: secret,
            jwtVerify: cfg.jwtVerify ?? 'keyobject',
            cpu: null,
          });
          crash.restartedAtMs = clock();
          watch(s);
        } catch (err) {
          log(`${strategy}: server ${s.info.name} did not come back: ${(err as Error).message}`);
        }
      });
    };
    servers.forEach(watch);
    const targets: ProbeTarget[] = servers.map((s) => ({ name: s.info.name, url: () => s.process.url }));

    wal = await WalReader.open(input.pg.url, new Set(users.probed));
    const initial = await readInitial(admin, users.probed);
    const clockStart = await sampleClock(admin, clock);

    const rnd = seededRandom(cfg.seed ^ 0x2545f491);
    prober = new Prober({
      clock,
      db: pool,
      key,
      ttlSeconds,
      servers: targets,
      users: users.probed,
      random: rnd,
      ratePerSecond: cfg.probeRps,
      maxInFlight: 24,
      mintEveryMs: 400,
    });
    await prober.mint(users.probed);
    prober.addForeign(await foreignTokens(input.foreignPgUrl, users.probed, key, ttlSeconds));

    const background = [...(await currentClaims(pool, users.background)).values()].map((c) =>
      signToken(c, key, longTtl),
    );
    // Background load on the direct server only: the one behind the slow link would saturate its
    // pool on the link alone (db-lookup holds a connection for three round trips per request).
    const loaded = servers.filter((s) => s.info.link === 'direct');
    const loads =
      cfg.loadRps === 0
        ? []
        : loaded.map((s) => {
            const g = spawnLoadGenerator();
            generators.push(g);
            return g.runOpen({
              url: s.process.url,
              path: '/api/dashboard',
              tokens: background,
              rate: cfg.loadRps,
              durationSeconds: cfg.seconds,
              maxSockets: 64,
              timeoutSeconds: 5,
            });
          });

    nemesis = new Nemesis({
      clock,
      db: pool,
      servers: targets,
      prober,
      probed: users.probed,
      admin: users.admin,
      key,
    });
    const injector = new FaultInjector({ clock, redis: input.redis, admin, link: proxies[0]! });
    const faults: FaultEvent[] = [];
    const faultLoop = (async () => {
      for (const f of input.schedule.faults) {
        const wait = f.atMs - clock();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (stopping) return;
        try {
          const event = await injector.inject(f);
          faults.push(event);
          // What Redis lost (or never had) is what a stale token would slip through: probe every
          // user's pre-revocation tokens right after.
          if (f.kind.startsWith('redis')) prober!.burst(prober!.preTokens());
        } catch (err) {
          log(`${strategy}: fault ${f.kind} failed: ${(err as Error).message}`);
        }
      }
    })();
    for (const at of input.schedule.snapshotsAtMs) {
      timers.push(
        setTimeout(() => {
          void injector
            .takeSnapshot()
            .catch((err: unknown) => log(`${strategy}: snapshot failed: ${(err as Error).message}`));
        }, at),
      );
    }
    const walPoll = setInterval(() => {
      void wal!.poll().catch(() => {});
    }, 500);
    timers.push(walPoll);

    prober.start();
    nemesis.start(input.schedule.revocations);
    log(
      `${strategy}: ${cfg.seconds} s of load, ${input.schedule.revocations.length} planned revocations, ${input.schedule.faults.length} faults (seed ${cfg.seed})`,
    );
    await new Promise((r) => setTimeout(r, cfg.seconds * 1000));

    const ending = clock();
    await nemesis.stop();
    await faultLoop;
    await prober.stop();
    log(
      `${strategy}: the last changes and probes took ${((clock() - ending) / 1000).toFixed(1)} s to finish`,
    );
    const loadReports = await Promise.allSettled(loads);
    for (const s of servers) s.info.revocationEvents = await revocationEvents(s.process.url);
    stopping = true;
    clearInterval(walPoll);
    await wal.poll();
    const clockEnd = await sampleClock(admin, clock);
    const toPhase = pgToPhase(clockStart, clockEnd);
    const { commits } = parseWalRows(wal.rows, { tables: RBAC_TABLES, pgMsToHarnessMs: toPhase });

    const history: History = {
      schemaVersion: HISTORY_SCHEMA_VERSION,
      strategy,
      seed: cfg.seed,
      startedAt: new Date(Date.now() - clock()).toISOString(),
      durationMs: clock(),
      servers: servers.map((s) => s.info),
      clock: {
        offsetMs: clockStart.offsetMs,
        uncertaintyMs: Math.max(clockStart.uncertaintyMs, clockEnd.uncertaintyMs),
        driftMs: clockEnd.offsetMs - clockStart.offsetMs,
      },
      initial,
      commits,
      mints: prober.mints,
      probes: prober.probes,
      revocations: nemesis.ops,
      faults,
      crashes,
    };
    const load = loadReports.map((r, i) =>
      r.status === 'fulfilled'
        ? {
            server: loaded[i]!.info.name,
            achievedRps: r.value.achievedRate,
            ok: r.value.ok,
            non2xx: r.value.non2xx,
            errors: r.value.errors,
          }
        : { server: loaded[i]!.info.name, achievedRps: 0, ok: 0, non2xx: 0, errors: 0 },
    );
    return { history, load };
  } finally {
    stopping = true;
    for (const t of timers) clearTimeout(t);
    await nemesis?.stop().catch(() => {});
    await prober?.stop().catch(() => {});
    await Promise.allSettled(generators.map((g) => g.stop()));
    await Promise.allSettled(servers.map((s) => s.process.stop()));
    await Promise.allSettled(proxies.map((p) => p.stop()));
    await wal?.close();
    await admin.end().catch(() => {});
    await pool.end().catch(() => {});
  }
}

async function revocationEvents(url: string): Promise<Record<string, number>> {
  try {
    const metrics = parseMetrics(
      await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text(),
    );
    const out: Record<string, number> = {};
    for (const [key, value] of metrics) {
      const event = /^authbench_revocation_events_total\{.*event="([^"]+)"\}$/.exec(key)?.[1];
      if (event) out[event] = value;
    }
    return out;
  } catch {
    return {};
  }
}

async function flushRedis(url: string): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    await r.flushall();
  } finally {
    r.disconnect();
  }
}

/** Tokens for the probed users' ids, minted against another dataset with the same secret. */
async function foreignTokens(
  url: string,
  users: readonly number[],
  key: ReturnType<typeof createJwtKey>,
  ttl: number,
) {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const claims = await currentClaims(pool, users);
    return [...claims.values()].map((c) => ({
      user: c.userId,
      jwt: signToken(c, key, ttl),
      incarnation: c.inc,
      rights: { role: c.role, permissions: c.permissions },
    }));
  } finally {
    await pool.end();
  }
}
