/** Picking a free TCP port on the loopback interface. */
import net from 'node:net';

/**
 * A port on 127.0.0.1 that was free a moment ago: the kernel picks one for a listener on
 * port 0, which we close at once. Another process can take it before the server binds it (seen
 * in CI while the test files ran in parallel): start servers through {@link onFreePort}.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port of a listener on 127.0.0.1:0'));
      });
    });
  });
}

/**
 * Throws unless `port` can be bound on 127.0.0.1 now. A server that cannot bind exits, but a
 * readiness probe could meanwhile be answered by whoever holds the port; checking first
 * turns that into a clear error.
 */
export function assertPortFree(port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new Error(`cannot start ${what}: port ${port} on 127.0.0.1 is not free (${err.code ?? err.message})`),
      );
    });
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/** What a server says when its port was taken between {@link freePort} and its bind. */
export const PORT_TAKEN = /Address already in use|EADDRINUSE|is not free/;

/**
 * Starts something on `fixed`, or on a free port, with up to `tries` fresh ports when the one
 * picked was taken before the server bound it. A failure for any other reason is not retried.
 */
export async function onFreePort<T>(
  fixed: number | undefined,
  start: (port: number) => Promise<T>,
  log: (line: string) => void,
  tries = 3,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const port = fixed ?? (await freePort());
    try {
      return await start(port);
    } catch (err) {
      if (fixed !== undefined || attempt >= tries || !PORT_TAKEN.test((err as Error).message)) throw err;
      log(`port ${port} was taken before the server bound it; trying another`);
    }
  }
}
