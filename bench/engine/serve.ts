import { startServer } from '../../servers/server.js';
import { strategyWarning } from '../../servers/strategies/index.js';
import { onShutdown, resolveInfra } from '../infra/index.js';
import type { ServeArgs } from '../plan/args.js';
import { seedWithLog } from './seed.js';

/**
 * Resolves Postgres and Redis, seeds a database it started itself (never one it was pointed
 * at), serves until SIGINT/SIGTERM, then stops everything it started.
 */
export async function runServe(args: ServeArgs): Promise<void> {
  const log = (line: string): void => {
    process.stderr.write(`authbench serve: ${line}\n`);
  };
  if (args.devSecret) log('JWT_SECRET is not set: using the development secret (never expose this server)');
  const warning = strategyWarning(args.server.strategy);
  if (warning) log(warning);
  const infra = await resolveInfra({ pgUrl: args.pgUrl, redisUrl: args.redisUrl, log });
  try {
    if (infra.pgMode !== 'url') await seedWithLog(infra.pgUrl, args.spec, log);
    else if (args.seedGiven)
      log('--users/--seed apply only to a database serve starts itself; ignoring them');
    const server = await startServer({ ...args.server, pgUrl: infra.pgUrl, redisUrl: infra.redisUrl });
    // On SIGINT/SIGTERM: stop accepting requests, then the cleanup registry stops the infra
    // this process started and exits 0.
    onShutdown(
      async () => {
        await server.close();
        log('stopped');
      },
      { exitCode: 0 },
    );
    process.stdout.write(
      `authbench serve: ${server.strategy} ready at ${server.url} (${infra.description})\n`,
    );
    await new Promise<never>(() => {});
  } finally {
    await infra.stop();
  }
}
