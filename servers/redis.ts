import { Redis } from 'ioredis';

export interface RedisOptions {
  url: string;
  /** Longest a command may take before the request fails closed with 503. */
  commandTimeoutMs?: number;
}

/**
 * A Redis client that fails fast instead of waiting: ioredis by default queues commands while
 * it reconnects and retries them, which would turn "Redis is down" into hanging requests. Here
 * a command issued while disconnected rejects at once, one in flight times out, and the client
 * keeps reconnecting in the background so service resumes when Redis returns.
 */
export function createRedis(opts: RedisOptions): Redis {
  const client = new Redis(opts.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: opts.commandTimeoutMs ?? 500,
    connectTimeout: 1000,
    retryStrategy: (attempt) => Math.min(50 * attempt, 500),
    enableAutoPipelining: false,
  });
  // Connection errors surface as rejected commands (→ 503); the event itself needs a listener
  // or ioredis prints "Unhandled error event" for every reconnect attempt.
  client.on('error', () => {});
  return client;
}
