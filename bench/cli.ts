#!/usr/bin/env node
/**
 * authbench's command line: commander wiring only. Values are validated in flags.ts; this is
 * the one place that sets the exit code (2 for usage errors, 1 for failures).
 */
import { Command, CommanderError, Option } from 'commander';
import { UsageError } from './flags.js';
import { parseSeedArgs, runSeed } from './commands/seed.js';
import { parseServeArgs, runServe } from './commands/serve.js';

export function buildProgram(): Command {
  const program = new Command('authbench')
    .description('Benchmark RBAC look-ups in the database against JWT claims plus a Redis revocation check')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program.command('serve')
    .description('run the API under one auth strategy; prints one line when ready')
    .addOption(new Option('--strategy <name>', 'auth strategy: db-lookup | jwt-redis').makeOptionMandatory())
    .option('--port <n>', 'TCP port (0 picks a free one)', '3000')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--pool-size <n>', 'Postgres pool size (the same for every strategy)', '10')
    .option('--issue-tokens', 'enable POST /auth/token, which mints a token for ANY user id (benchmarks and tests only)', false)
    .option('--token-ttl <seconds>', 'lifetime of minted tokens', '3600')
    .option('--pg-url <url>', 'Postgres URL (default: $DATABASE_URL, else Docker, else a throwaway local cluster)')
    .option('--redis-url <url>', 'Redis URL (default: $REDIS_URL, else Docker, else a throwaway local redis-server)')
    .option('--users <n>', 'users to seed when serve starts its own throwaway database (default: 100000)')
    .option('--seed <n>', 'generator seed for that database (default: 42)')
    .action(async (raw: Record<string, unknown>) => {
      await runServe(parseServeArgs(raw, process.env));
    });

  program.command('seed')
    .description('create the schema and load the deterministic dataset (skipped when already there)')
    .option('--users <n>', 'number of users', '100000')
    .option('--seed <n>', 'generator seed', '42')
    .option('--pg-url <url>', 'Postgres URL (default: $DATABASE_URL, else Docker, else a throwaway local cluster)')
    .action(async (raw: Record<string, unknown>) => {
      await runSeed(parseSeedArgs(raw, process.env));
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end up here too, with exit code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`authbench: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`authbench: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

main(process.argv).then((code) => { process.exitCode = code; });
