/**
 * A TCP proxy that adds a delay in each direction: "a database across a network" on one
 * machine, without root. Run as a child process of its own (its CPU is recorded like the
 * generator's); prints its port on stdout when listening. The delay can change while it runs
 * (the freshness nemesis slows the link): a line `delay <ms>` on stdin, acknowledged on stdout.
 */
import net from 'node:net';
import { createInterface } from 'node:readline';
import { PreciseTimers } from './precise-timer.js';

export interface ProxyOptions {
  /** Where to forward: the real Postgres. */
  targetHost: string;
  targetPort: number;
  /** Added to every chunk, each way (fractions allowed): a round trip gains twice this. */
  delayMs: number;
  listenHost?: string;
}

export interface DelayProxyServer {
  server: net.Server;
  /** Changes the delay for chunks that arrive from now on; bytes already queued keep their order. */
  setDelay(ms: number): void;
  close(): void;
}

/**
 * Forwards `from` to `to`, each chunk `delay()` ms late, in order. Each chunk has a deadline of
 * its own (equal deadlines run in the order they were set); a chunk that arrives while the delay
 * is dropping waits at least until the chunk before it is due, and whichever deadline passes
 * releases every chunk up to its own, so bytes never overtake each other and none leaves before
 * its time.
 */
function delayedPipe(from: net.Socket, to: net.Socket, delay: () => number, timers: PreciseTimers): void {
  const queue: Array<{ id: number; chunk: Buffer; due: number }> = [];
  let nextId = 0;
  let ended = false;
  let closed = false;
  const finish = (): void => {
    if (ended) to.end();
    if (closed) to.destroy();
  };
  const releaseThrough = (id: number): void => {
    while (queue.length > 0 && queue[0]!.id <= id) {
      const { chunk } = queue.shift()!;
      if (!to.destroyed) to.write(chunk);
    }
    if (queue.length === 0) finish();
  };
  from.on('data', (chunk: Buffer) => {
    const ms = delay();
    if (ms <= 0 && queue.length === 0) {
      to.write(chunk);
      return;
    }
    const now = performance.now();
    const wait = Math.max(ms, (queue.at(-1)?.due ?? 0) - now);
    const id = nextId++;
    queue.push({ id, chunk, due: now + wait });
    timers.schedule(wait, () => releaseThrough(id));
  });
  from.on('end', () => {
    ended = true;
    if (queue.length === 0) finish();
  });
  from.on('error', () => to.destroy());
  from.on('close', () => {
    closed = true;
    if (queue.length === 0) finish();
  });
}

/** Forwards bytes with `delayMs` added each way. */
export function startDelayProxy(opts: ProxyOptions): Promise<DelayProxyServer> {
  let delayMs = opts.delayMs;
  const sockets = new Set<net.Socket>();
  // Sub-millisecond deadlines: setTimeout would turn 0.5 ms into 1 ms or more.
  const timers = new PreciseTimers();
  const server = net.createServer((client) => {
    client.setNoDelay(true);
    const upstream = net.connect({ host: opts.targetHost, port: opts.targetPort });
    upstream.setNoDelay(true);
    sockets.add(client).add(upstream);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    delayedPipe(client, upstream, () => delayMs, timers);
    delayedPipe(upstream, client, () => delayMs, timers);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err) => {
      timers.close();
      reject(err);
    });
    server.listen(0, opts.listenHost ?? '127.0.0.1', () =>
      resolve({
        server,
        setDelay: (ms) => {
          delayMs = ms;
        },
        close: () => {
          server.close();
          for (const s of sockets) s.destroy();
          timers.close();
        },
      }),
    );
  });
}

// As a child process: options as JSON in argv[3]; prints "port N" when listening, then obeys
// "delay <ms>" lines on stdin.
if (process.argv[2] === '--child') {
  const opts = JSON.parse(process.argv[3] ?? '{}') as ProxyOptions;
  startDelayProxy(opts).then(
    (proxy) => {
      const address = proxy.server.address() as net.AddressInfo;
      process.stdout.write(`port ${address.port}\n`);
      createInterface({ input: process.stdin }).on('line', (line) => {
        const ms = /^delay (\d+(?:\.\d+)?)$/.exec(line.trim())?.[1];
        if (ms !== undefined) {
          proxy.setDelay(Number(ms));
          process.stdout.write(`delay ${ms}\n`);
        }
      });
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
      process.on('disconnect', () => process.exit(0));
    },
    (err: unknown) => {
      process.stderr.write(`proxy: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
