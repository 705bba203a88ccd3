/** Picking a free TCP port on the loopback interface. */
import net from 'node:net';

/**
 * A port on 127.0.0.1 that was free a moment ago: the kernel picks one for a listener on
 * port 0, which we close at once. Another process could take it before the server binds it,
 * which is unlikely enough for throwaway instances.
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
