import pg from 'pg';
import type { SeedSpec } from '../../fixtures/generator.js';
import { seedDatabase } from '../../fixtures/seed.js';
import { resolveInfra } from '../infra/index.js';
import type { SeedArgs } from '../plan/args.js';

/** Seeds (or finds the seed in place) and says so; returns the users seeded and how long it took (0 when skipped). */
export async function seedWithLog(
  pgUrl: string,
  spec: SeedSpec,
  log: (line: string) => void,
): Promise<{ seededUsers: number; seconds: number }> {
  const pool = new pg.Pool({ connectionString: pgUrl, max: 2 });
  try {
    const result = await seedDatabase(pool, spec, (line) => log(`seeding: ${line}`));
    log(
      result.skipped
        ? `seed ${spec.seed} with ${spec.users} users is already in place (dataset ${result.datasetId}); nothing to do`
        : `seeded ${result.users} users and ${result.articles} articles in ${(result.durationMs / 1000).toFixed(1)} s (dataset ${result.datasetId})`,
    );
    return result.skipped
      ? { seededUsers: 0, seconds: 0 }
      : { seededUsers: result.users, seconds: result.durationMs / 1000 };
  } finally {
    await pool.end();
  }
}

export async function runSeed(args: SeedArgs): Promise<void> {
  const log = (line: string): void => {
    process.stderr.write(`authbench seed: ${line}\n`);
  };
  const infra = await resolveInfra({ pgUrl: args.pgUrl, redis: false, log });
  try {
    if (infra.pgMode !== 'url') {
      log(
        `no --pg-url or DATABASE_URL: seeding a throwaway database (${infra.description}), which is removed on exit`,
      );
    }
    await seedWithLog(infra.pgUrl, args.spec, log);
  } finally {
    await infra.stop();
  }
}
