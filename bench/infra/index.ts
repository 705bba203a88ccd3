/**
 * The infrastructure resolver: finds or starts the PostgreSQL and Redis the benchmark, the
 * servers and the tests run against, and says which way it chose.
 *
 * Decided per service: (1) an explicit URL (flag or env var), (2) a Docker engine via
 * testcontainers, (3) a local throwaway instance, (4) otherwise one error naming the three
 * ways to provide them.
 */
import { defaultPgSearchPath, defaultRedisSearchPath, findExecutable, findPgBinaries } from './binaries.js';
import { POSTGRES_IMAGE, REDIS_IMAGE, startPostgresContainer, startRedisContainer } from './containers.js';
import { dockerAvailable } from './docker.js';
import { startLocalPostgres } from './local-postgres.js';
import { startLocalRedis } from './local-redis.js';
import { redactUrl } from '../../servers/urls.js';
import { givenUrl, type GivenUrl, type Service } from './urls.js';

export type ServiceMode = 'url' | 'docker' | 'local';

/** Where the benchmark's PostgreSQL and Redis are, and how to let go of them. */
export interface Infra {
  /** postgres://user@127.0.0.1:port/dbname */
  pgUrl: string;
  /** redis://127.0.0.1:port */
  redisUrl: string;
  pgMode: ServiceMode;
  redisMode: ServiceMode;
  /** one human line, e.g. "postgres: local throwaway cluster on 127.0.0.1:54xx (PostgreSQL 15.20); redis: url redis://127.0.0.1:6379" */
  description: string;
  /** idempotent; stops and removes everything this resolver started */
  stop(): Promise<void>;
}

/** Options for {@link resolveInfra}. */
export interface ResolveOptions {
  /** Explicit URLs (CLI flags); fall back to env DATABASE_URL / REDIS_URL. */
  pgUrl?: string;
  redisUrl?: string;
  /**
   * Default process.env. Supplies DATABASE_URL, REDIS_URL, DOCKER_HOST (for the Docker probe)
   * and PATH (for the binary search); testcontainers itself always reads process.env.
   */
  env?: NodeJS.ProcessEnv;
  /** Default 'auto': use a Docker engine when one answers. */
  docker?: 'auto' | 'never';
  /** Progress lines; default no-op. */
  log?: (line: string) => void;
  /**
   * Directories to look for initdb/pg_ctl/postgres and redis-server in, replacing the default
   * (PATH, /usr/lib/postgresql/*\/bin, /usr/bin, /usr/local/bin).
   */
  searchPath?: string[];
  /**
   * Default true. False for commands that need only Postgres (seed): no Redis is resolved or
   * started, and Infra.redisUrl is ''.
   */
  redis?: boolean;
}

/** Thrown when neither a URL, nor Docker, nor local binaries can provide a service. */
export class InfraUnavailableError extends Error {
  override readonly name = 'InfraUnavailableError';
}

/** One service as resolved: its URL, how it was provided, and how to let go of it. */
interface Resolved {
  url: string;
  mode: ServiceMode;
  description: string;
  destroy: () => Promise<void>;
}

/**
 * Resolves PostgreSQL and Redis for a run; see the module comment for the order.
 * Nothing is left running when it throws.
 * @throws on an invalid URL (naming the flag or variable and the rule), or an
 *   {@link InfraUnavailableError} naming the three ways to provide the services.
 */
export async function resolveInfra(opts: ResolveOptions = {}): Promise<Infra> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});
  const pgGiven = givenUrl('postgres', opts.pgUrl, env);
  const wantRedis = opts.redis ?? true;
  const redisGiven = wantRedis ? givenUrl('redis', opts.redisUrl, env) : NOT_NEEDED;

  const needed: Service[] = [
    ...(pgGiven ? [] : ['postgres' as const]),
    ...(redisGiven ? [] : ['redis' as const]),
  ];
  let useDocker = false;
  if (needed.length > 0 && opts.docker !== 'never') {
    useDocker = await dockerAvailable(env);
    log(useDocker ? 'docker: engine answered; using testcontainers' : 'docker: no engine answered');
  }
  const pgSearchPath = opts.searchPath ?? defaultPgSearchPath(env);
  const redisSearchPath = opts.searchPath ?? defaultRedisSearchPath(env);
  if (!useDocker) {
    // Check every binary before starting anything, so a missing one fails fast and clean.
    const missing: string[] = [];
    if (needed.includes('postgres') && !findPgBinaries(pgSearchPath)) {
      missing.push(
        `postgres (no initdb/pg_ctl/postgres in ${pgSearchPath.join(':') || 'an empty search path'})`,
      );
    }
    if (needed.includes('redis') && !findExecutable('redis-server', redisSearchPath)) {
      missing.push(`redis (no redis-server in ${redisSearchPath.join(':') || 'an empty search path'})`);
    }
    if (missing.length > 0) throw unavailable(missing, opts.docker === 'never');
  }

  const startPg = (): Promise<Resolved> =>
    pgGiven
      ? Promise.resolve(fromUrl('postgres', pgGiven))
      : useDocker
        ? startPostgresContainer(log).then((c) => ({
            url: c.url,
            mode: 'docker' as const,
            description: `postgres: docker ${POSTGRES_IMAGE} on ${c.host}:${c.port}`,
            destroy: c.destroy,
          }))
        : startLocalPostgres({ log, searchPath: pgSearchPath }).then((p) => ({
            url: p.url,
            mode: 'local' as const,
            description: `postgres: local throwaway cluster on 127.0.0.1:${p.port} (${p.version})`,
            destroy: () => p.destroy(),
          }));
  const startRedis = (): Promise<Resolved> =>
    redisGiven
      ? Promise.resolve(fromUrl('redis', redisGiven))
      : useDocker
        ? startRedisContainer(log).then((c) => ({
            url: c.url,
            mode: 'docker' as const,
            description: `redis: docker ${REDIS_IMAGE} on ${c.host}:${c.port}`,
            destroy: c.destroy,
          }))
        : startLocalRedis({ log, searchPath: redisSearchPath }).then((r) => ({
            url: r.url,
            mode: 'local' as const,
            description: `redis: local throwaway redis-server on 127.0.0.1:${r.port} (${r.version})`,
            destroy: () => r.destroy(),
          }));

  // Both start at once; if either fails, the other is torn down before the error is passed on.
  const [pgResult, redisResult] = await Promise.allSettled([startPg(), startRedis()]);
  if (pgResult.status === 'rejected' || redisResult.status === 'rejected') {
    await Promise.allSettled(
      [pgResult, redisResult].flatMap((r) => (r.status === 'fulfilled' ? [r.value.destroy()] : [])),
    );
    const failed = pgResult.status === 'rejected' ? pgResult : (redisResult as PromiseRejectedResult);
    throw failed.reason;
  }
  const pg = pgResult.value;
  const redis = redisResult.value;
  // Not logged here: callers print `description` themselves, usually in a line of their own.
  const description = `${pg.description}; ${redis.description}`;

  let stopping: Promise<void> | undefined;
  return {
    pgUrl: pg.url,
    redisUrl: redis.url,
    pgMode: pg.mode,
    redisMode: redis.mode,
    description,
    stop() {
      stopping ??= (async () => {
        const results = await Promise.allSettled([pg.destroy(), redis.destroy()]);
        const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failure) {
          stopping = undefined; // a later stop() may retry what failed
          throw failure.reason;
        }
      })();
      return stopping;
    },
  };
}

/** Stands in for a Redis the caller said it does not need. */
const NOT_NEEDED: GivenUrl = { url: '', source: 'not needed' };

function fromUrl(service: Service, given: GivenUrl): Resolved {
  if (given === NOT_NEEDED) {
    return { url: '', mode: 'url', description: `${service}: not needed`, destroy: () => Promise.resolve() };
  }
  return {
    url: given.url,
    mode: 'url',
    description: `${service}: url ${redactUrl(given.url)} (from ${given.source})`,
    // Someone else's service: never stopped, flushed or written to by the resolver.
    destroy: () => Promise.resolve(),
  };
}

function unavailable(missing: string[], dockerDisabled: boolean): InfraUnavailableError {
  const docker = dockerDisabled ? 'Docker is disabled for this run' : 'no Docker engine answered';
  return new InfraUnavailableError(
    `authbench needs PostgreSQL and Redis, but cannot provide ${missing.join(' or ')}: no URL was given and ${docker}.\n` +
      'Provide them in one of three ways:\n' +
      '  1. point at running services: set DATABASE_URL / REDIS_URL, or pass --pg-url / --redis-url;\n' +
      `  2. start a Docker engine (throwaway ${POSTGRES_IMAGE} and ${REDIS_IMAGE} containers are started with testcontainers);\n` +
      '  3. install the PostgreSQL server binaries (initdb, pg_ctl; e.g. apt-get install postgresql) ' +
      'and/or redis-server (e.g. apt-get install redis-server) for local throwaway instances.',
  );
}

export { dockerAvailable } from './docker.js';
export { onShutdown, registerCleanup } from './cleanup.js';
export { startLocalPostgres, type LocalPostgres, type LocalPostgresOptions } from './local-postgres.js';
export { startLocalRedis, type LocalRedis, type LocalRedisOptions } from './local-redis.js';
