/**
 * A TCP proxy that adds a fixed delay in each direction: "a database across a network" on one
 * machine, without root. Run as a child process of its own (its CPU is recorded like the
 * generator's); prints its port on stdout when listening.
 */
import net from 'node:net';

export interface ProxyOptions {
  /** Where to forward: the real Postgres. */
  targetHost: string;
  targetPort: number;
  /** Added to every chunk, each way: a round trip gains twice this. */
  delayMs: number;
  listenHost?: string;
}

/**
 * Forwards bytes with `delayMs` added each way. Timers with equal durations fire in the order
 * they were set, so a connection's chunks keep their order.
 */
export function startDelayProxy(opts: ProxyOptions): Promise<net.Server> {
  const delay = (from: net.Socket, to: net.Socket): void => {
    from.on('data', (chunk) => {
      if (opts.delayMs <= 0) { to.write(chunk); return; }
      setTimeout(() => { if (!to.destroyed) to.write(chunk); }, opts.delayMs);
    });
    from.on('end', () => setTimeout(() => to.end(), opts.delayMs));
    from.on('error', () => to.destroy());
    from.on('close', () => setTimeout(() => to.destroy(), opts.delayMs));
  };
  const server = net.createServer((client) => {
    client.setNoDelay(true);
    const upstream = net.connect({ host: opts.targetHost, port: opts.targetPort });
    upstream.setNoDelay(true);
    delay(client, upstream);
    delay(upstream, client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, opts.listenHost ?? '127.0.0.1', () => resolve(server));
  });
}

// As a child process: options as JSON in argv[3]; prints "port N" when listening.
if (process.argv[2] === '--child') {
  const opts = JSON.parse(process.argv[3] ?? '{}') as ProxyOptions;
  startDelayProxy(opts).then((server) => {
    const address = server.address() as net.AddressInfo;
    process.stdout.write(`port ${address.port}\n`);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
    process.on('disconnect', () => process.exit(0));
  }, (err: unknown) => {
    process.stderr.write(`proxy: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
