import type { Redis } from 'ioredis';
import { pg } from '../sql/pg-types.js';
import type { TokenVersions } from './token-versions.js';

/** Channel the schema's revocation triggers notify on commit (sql/schema.sql). */
export const REVOCATION_CHANNEL = 'authbench_revocation';
const RETRY_MS = 500;

/**
 * Keeps the Redis revocation records trustworthy while a server runs: distrusts Redis when its
 * connection drops and reconciles when it is back (a restarted or failed-over Redis may hold
 * old data), and reconciles on every revocation notification from Postgres (changes made in
 * SQL, outside the API). A dedicated LISTEN connection, off the request path, in every server.
 */
export function keepRevocationsInSync(opts: { pgUrl: string; redis: Redis; versions: TokenVersions }): { stop(): Promise<void> } {
  const { redis, versions } = opts;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let listener: pg.Client | undefined;

  const reconcile = (): void => {
    if (stopped) return;
    versions.reconcile().catch(() => {
      // Redis or Postgres unreachable: requests fail closed meanwhile; try again shortly.
      if (!stopped && !retry) retry = setTimeout(() => { retry = undefined; reconcile(); }, RETRY_MS);
    });
  };
  const onClose = (): void => versions.distrust();
  redis.on('close', onClose);
  redis.on('ready', reconcile);

  const listen = async (): Promise<void> => {
    if (stopped) return;
    const client = new pg.Client({ connectionString: opts.pgUrl, application_name: 'authbench-server', connectionTimeoutMillis: 2000 });
    listener = client;
    let reconnecting = false;
    const again = (): void => {
      if (reconnecting || stopped) return;
      reconnecting = true;
      client.end().catch(() => {});
      setTimeout(() => { void listen(); }, RETRY_MS);
    };
    client.on('error', again);
    client.on('end', again);
    client.on('notification', reconcile);
    try {
      await client.connect();
      await client.query(`LISTEN ${REVOCATION_CHANNEL}`);
      // Notifications sent while we were not listening are lost: catch up once.
      reconcile();
    } catch {
      again();
    }
  };
  void listen();

  return {
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      redis.off('close', onClose);
      redis.off('ready', reconcile);
      await listener?.end().catch(() => {});
    },
  };
}
