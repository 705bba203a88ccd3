import { DEFAULT_SEED, DEFAULT_USERS, type SeedSpec } from '../../fixtures/generator.js';
import { DEV_SECRET, JWT_VERIFY_VARIANTS, createJwtKey } from '../../servers/jwt.js';
import { startServer, type ServerOptions } from '../../servers/server.js';
import { JWT_ONLY_WARNING, STRATEGY_NAMES } from '../../servers/strategies/index.js';
import { UsageError, choiceFlag, hostFlag, intFlag, usage } from '../plan/usage.js';
import { onShutdown, resolveInfra } from '../infra/index.js';
import { seedWithLog, urlArg } from './seed.js';

export interface ServeArgs {
  server: Omit<ServerOptions, 'pgUrl' | 'redisUrl'>;
  pgUrl?: string;
  redisUrl?: string;
  /** What to seed when serve owns a throwaway database. */
  spec: SeedSpec;
  devSecret: boolean;
  /** Whether --users or --seed was given explicitly. */
  seedGiven: boolean;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function parseServeArgs(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): ServeArgs {
  const pgUrl = urlArg('postgres', raw, env);
  const redisUrl = urlArg('redis', raw, env);
  const secret = env.JWT_SECRET;
  if (secret !== undefined) {
    try {
      createJwtKey(secret);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const host = hostFlag('--host', String(raw.host));
  const issueTokens = raw.issueTokens === true;
  // Either would let anyone who can reach the port act as any user, admins included.
  if (!isLoopback(host) && issueTokens) throw usage('--host', 'a loopback address (127.0.0.1, ::1, localhost) with --issue-tokens', host);
  if (!isLoopback(host) && secret === undefined) throw usage('--host', 'a loopback address unless JWT_SECRET is set', host);
  return {
    server: {
      strategy: choiceFlag('--strategy', String(raw.strategy), STRATEGY_NAMES),
      port: intFlag('--port', String(raw.port), 0, 65535),
      host,
      poolSize: intFlag('--pool-size', String(raw.poolSize), 1, 1000),
      issueTokens,
      tokenTtlSeconds: intFlag('--token-ttl', String(raw.tokenTtl), 1, 30 * 24 * 3600),
      jwtSecret: secret ?? DEV_SECRET,
      jwtVerify: choiceFlag('--jwt-verify', String(raw.jwtVerify ?? 'keyobject'), JWT_VERIFY_VARIANTS),
    },
    ...(pgUrl ? { pgUrl } : {}),
    ...(redisUrl ? { redisUrl } : {}),
    spec: {
      users: intFlag('--users', String(raw.users ?? DEFAULT_USERS), 1, 10_000_000),
      seed: intFlag('--seed', String(raw.seed ?? DEFAULT_SEED), 0, 0xffffffff),
    },
    devSecret: secret === undefined,
    seedGiven: raw.users !== undefined || raw.seed !== undefined,
  };
}

/**
 * Resolves Postgres and Redis, seeds a database it started itself (never one it was pointed
 * at), serves until SIGINT/SIGTERM, then stops everything it started.
 */
export async function runServe(args: ServeArgs): Promise<void> {
  const log = (line: string): void => { process.stderr.write(`authbench serve: ${line}\n`); };
  if (args.devSecret) log('JWT_SECRET is not set: using the development secret (never expose this server)');
  if (args.server.strategy === 'jwt-only') log(JWT_ONLY_WARNING);
  const infra = await resolveInfra({ pgUrl: args.pgUrl, redisUrl: args.redisUrl, log });
  try {
    if (infra.pgMode !== 'url') await seedWithLog(infra.pgUrl, args.spec, log);
    else if (args.seedGiven) log('--users/--seed apply only to a database serve starts itself; ignoring them');
    const server = await startServer({ ...args.server, pgUrl: infra.pgUrl, redisUrl: infra.redisUrl });
    // On SIGINT/SIGTERM: stop accepting requests, then the cleanup registry stops the infra
    // this process started and exits 0.
    onShutdown(async () => {
      await server.close();
      log('stopped');
    }, { exitCode: 0 });
    process.stdout.write(`authbench serve: ${server.strategy} ready at ${server.url} (${infra.description})\n`);
    await new Promise<never>(() => {});
  } finally {
    await infra.stop();
  }
}
