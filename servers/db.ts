import { pg } from '../sql/pg-types.js';
import type { NamedQuery } from '../sql/queries.js';
import { DependencyError, isPostgresUnavailable } from './errors.js';
import type { Metrics } from './metrics.js';

export interface DbOptions {
  url: string;
  /** Same for every strategy: fairness (docs/method.md). */
  poolSize: number;
  metrics: Metrics;
  /** How long a request waits for a pooled connection or a (re)connect before 503. */
  connectTimeoutMs?: number;
  /** How long one query may take before the request fails with 503 (a stalled database). */
  queryTimeoutMs?: number;
}

/** Runs named (prepared) queries and counts them; the only code that talks to pg in servers/. */
export interface Queryable {
  query<R extends pg.QueryResultRow>(q: NamedQuery, values?: unknown[]): Promise<R[]>;
}

export interface Db extends Queryable {
  /** Runs fn in a transaction; rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  readonly pool: pg.Pool;
}

function wrap(err: unknown): unknown {
  return isPostgresUnavailable(err) ? new DependencyError('postgres', { cause: err }) : err;
}

export function createDb(opts: DbOptions): Db {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 2000,
    // Client-side, so a database that stops answering (not just refusing) still gives a fast
    // 503; the pool destroys a connection whose query timed out. statement_timeout stops the
    // server's side of the work too.
    query_timeout: opts.queryTimeoutMs ?? 2000,
    statement_timeout: opts.queryTimeoutMs ?? 2000,
    idleTimeoutMillis: 0,
    application_name: 'authbench-server',
  });
  // An idle client whose server went away emits 'error' on the pool; unhandled, it would
  // crash the process. The next query gets a fresh connection (or a 503).
  pool.on('error', () => {});

  const { metrics } = opts;
  // From check-out to return, whoever holds the connection (pool.query or a transaction):
  // the round trip, Postgres' work and any wait for this process's event loop in between.
  const acquiredAt = new WeakMap<pg.PoolClient, number>();
  pool.on('acquire', (client) => {
    acquiredAt.set(client, performance.now());
  });
  pool.on('release', (_err, client) => {
    const t0 = acquiredAt.get(client);
    if (t0 !== undefined) metrics.addPoolHeld((performance.now() - t0) / 1000);
  });
  const run = async <R extends pg.QueryResultRow>(
    target: pg.Pool | pg.PoolClient,
    q: NamedQuery,
    values: unknown[] = [],
  ): Promise<R[]> => {
    metrics.countQuery(q.name);
    try {
      const result = await target.query<R>({ name: q.name, text: q.text, values });
      return result.rows;
    } catch (err) {
      throw wrap(err);
    }
  };

  return {
    pool,
    query: (q, values) => run(pool, q, values),
    async transaction(fn) {
      let broken = false;
      // A checked-out client has no listener of the pool's: a connection that drops mid-transaction
      // (the server terminated it, the network failed) would emit an unhandled 'error' and end
      // the process. The pending query rejects by itself; the client is discarded on release. The
      // listener goes on inside the pool's callback, not after an await: a new connection's
      // ready message and the termination that follows it can arrive in one read, and the
      // second is parsed before any promise continuation runs (the freshness nemesis crashed a
      // server this way once, terminating its connections while the pool reconnected).
      const onError = (): void => {
        broken = true;
      };
      let client: pg.PoolClient;
      try {
        client = await new Promise<pg.PoolClient>((resolve, reject) => {
          pool.connect((err, c) => {
            if (err || !c) {
              reject(err ?? new Error('no client'));
              return;
            }
            c.on('error', onError);
            resolve(c);
          });
        });
      } catch (err) {
        throw wrap(err);
      }
      try {
        metrics.countQuery('begin');
        await client.query('BEGIN');
        const result = await fn({ query: (q, values) => run(client, q, values) });
        metrics.countQuery('commit');
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw wrap(err);
      } finally {
        client.removeListener('error', onError);
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
