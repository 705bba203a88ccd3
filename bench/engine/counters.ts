import { Redis } from 'ioredis';
import { pg } from '../../sql/pg-types.js';
import { parseMetrics, sumFamily } from '../../servers/metrics.js';
import { BACKGROUND_MARKER } from '../../sql/queries.js';

/**
 * Counting from the outside: statements executed as Postgres sees them (pg_stat_statements)
 * and commands as Redis sees them (INFO commandstats). The servers' own counters are read too,
 * as a cross-check. None of this runs during timed rounds.
 */
export interface CounterSnapshot {
  /** Statement executions in this database, excluding this module's own; null without pg_stat_statements. */
  dbStatements: number | null;
  /** Commands Redis executed, excluding INFO itself; null: no Redis to ask (target mode without --redis-url). */
  redisCommands: number | null;
  /** The servers' own counters, summed over the replicas. */
  serverQueries: number;
  serverRedisCommands: number;
}

/** What a server says of itself in /metrics that the bench reads around a timed step. */
export interface ServerCounters {
  /** Connection-seconds checked out of its pool so far; null: a server that does not count them. */
  poolHeldSeconds: number | null;
  /** Its own CPU seconds (process.cpuUsage); null: a server that does not report them. */
  cpuSeconds: number | null;
  /** Seconds its event loop was active (not waiting for events); null: not reported. */
  loopActiveSeconds: number | null;
  /** HTTP responses it has sent (this /metrics request's own comes in the next reading). */
  responses: number;
}

/** Every replica's /metrics, parsed. */
async function metricsOf(urls: string | readonly string[]): Promise<Array<Map<string, number>>> {
  const list = typeof urls === 'string' ? [urls] : urls;
  return Promise.all(list.map(async (u) => parseMetrics(await (await fetch(`${u}/metrics`)).text())));
}

/**
 * Cheap enough to read just before and after a timed round. Several replicas of one strategy:
 * summed, a family counted only where every replica reports it.
 */
export async function serverCounters(urls: string | readonly string[]): Promise<ServerCounters> {
  const all = await metricsOf(urls);
  const family = (name: string): number | null =>
    all.every((m) => [...m.keys()].some((k) => k.startsWith(`${name}{`)))
      ? all.reduce((a, m) => a + sumFamily(m, name), 0)
      : null;
  return {
    poolHeldSeconds: family('authbench_db_pool_held_seconds_total'),
    cpuSeconds: family('authbench_process_cpu_seconds_total'),
    loopActiveSeconds: family('authbench_event_loop_active_seconds_total'),
    responses: all.reduce((a, m) => a + sumFamily(m, 'authbench_http_responses_total'), 0),
  };
}

export class Counters {
  private constructor(
    /** null: no Postgres to ask (target mode without --pg-url): the servers' counts stand alone. */
    private readonly pgClient: pg.Client | null,
    private readonly redis: Redis | null,
    /** Whether pg_stat_statements can be read in this database. */
    readonly hasStatementStats: boolean,
  ) {}

  static async open(
    pgUrl: string | null,
    redisUrl: string | null,
    opts: { createExtension?: boolean } = {},
  ): Promise<Counters> {
    const redis =
      redisUrl === null ? null : new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis?.connect();
    if (pgUrl === null) return new Counters(null, redis, false);
    const client = new pg.Client({ connectionString: pgUrl, application_name: 'authbench-counters' });
    await client.connect();
    let has = false;
    try {
      const { rows } = await client.query<{ loaded: boolean }>(
        `SELECT current_setting('shared_preload_libraries') LIKE '%pg_stat_statements%' AS loaded`,
      );
      if (rows[0]?.loaded && opts.createExtension !== false) {
        await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
        has = true;
      } else if (rows[0]?.loaded) {
        const installed = await client.query(
          "/* authbench-counters */ SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'",
        );
        has = installed.rows.length > 0;
      }
    } catch {
      has = false;
    }
    return new Counters(client, redis, has);
  }

  /** Whether a Postgres and a Redis were given to cross-check the servers' own counts. */
  get hasDatabase(): boolean {
    return this.pgClient !== null;
  }

  get hasRedis(): boolean {
    return this.redis !== null;
  }

  async snapshot(urls: string | readonly string[]): Promise<CounterSnapshot> {
    const all = await metricsOf(urls);
    let dbStatements: number | null = null;
    if (this.hasStatementStats && this.pgClient) {
      // Own queries carry a marker comment, so they can be left out of the count; so do the
      // servers' revocation bookkeeping statements (background, not per request).
      const { rows } = await this.pgClient.query<{ calls: string }>(`/* authbench-counters */
        SELECT coalesce(sum(s.calls), 0) AS calls FROM pg_stat_statements s
        JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname = current_database() AND s.query NOT LIKE '%authbench-counters%'
        AND s.query NOT LIKE '%${BACKGROUND_MARKER}%'`);
      dbStatements = Number(rows[0]?.calls ?? 0);
    }
    let redisCommands: number | null = null;
    if (this.redis) {
      redisCommands = 0;
      const info = await this.redis.info('commandstats');
      for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
        if (m[1] !== 'info') redisCommands += Number(m[2]);
      }
    }
    return {
      dbStatements,
      redisCommands,
      serverQueries: all.reduce((a, m) => a + sumFamily(m, 'authbench_db_queries_total'), 0),
      serverRedisCommands: all.reduce((a, m) => a + sumFamily(m, 'authbench_redis_commands_total'), 0),
    };
  }

  /**
   * Seconds Postgres has spent executing statements in this database (pg_stat_statements'
   * total_exec_time, excluding this module's own), or null without the extension.
   */
  async dbExecSeconds(): Promise<number | null> {
    if (!this.hasStatementStats || !this.pgClient) return null;
    const { rows } = await this.pgClient.query<{ ms: number }>(`/* authbench-counters */
      SELECT coalesce(sum(s.total_exec_time), 0)::float8 AS ms FROM pg_stat_statements s
      JOIN pg_database d ON d.oid = s.dbid
      WHERE d.datname = current_database() AND s.query NOT LIKE '%authbench-counters%'
        AND s.query NOT LIKE '%${BACKGROUND_MARKER}%'`);
    return Number(rows[0]?.ms ?? 0) / 1000;
  }

  /**
   * The Postgres backends serving this database (the servers' pools and their background
   * connections), this module's own excluded: whose CPU counts as the database's.
   */
  async backendPids(): Promise<number[]> {
    if (!this.pgClient) return [];
    const { rows } = await this.pgClient.query<{ pid: number }>(
      '/* authbench-counters */ SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    return rows.map((r) => Number(r.pid));
  }

  /** The Redis server's CPU seconds so far (INFO cpu, user + system); null where it does not say. */
  async redisCpuSeconds(): Promise<number | null> {
    if (!this.redis) return null;
    const info = await this.redis.info('cpu');
    const user = /used_cpu_user:([\d.]+)/.exec(info)?.[1];
    const sys = /used_cpu_sys:([\d.]+)/.exec(info)?.[1];
    return user === undefined || sys === undefined ? null : Number(user) + Number(sys);
  }

  async versions(): Promise<{ postgres: string; redis: string }> {
    let postgres = 'not measured (no --pg-url)';
    if (this.pgClient) {
      const { rows } = await this.pgClient.query<{ v: string }>(
        "/* authbench-counters */ SELECT current_setting('server_version') AS v",
      );
      postgres = rows[0]?.v ?? 'unknown';
    }
    const server = this.redis ? await this.redis.info('server') : null;
    const redis =
      server === null
        ? 'not measured (no --redis-url)'
        : (/redis_version:(\S+)/.exec(server)?.[1] ?? 'unknown');
    return { postgres, redis };
  }

  async close(): Promise<void> {
    await this.pgClient?.end().catch(() => {});
    this.redis?.disconnect();
  }
}
