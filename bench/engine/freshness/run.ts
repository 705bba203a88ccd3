/**
 * `authbench freshness`: the safety half of the question. For each strategy, a phase of load,
 * revocations and faults (phase.ts) recorded as a history, judged by the pure
 * checker; one results file with the seed and the schedule, one history per strategy, an HTML
 * report, and a sentence per strategy on the terminal.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { pg } from '../../../sql/pg-types.js';
import { seedDatabase } from '../../../fixtures/seed.js';
import { DECLARED_FRESHNESS, type StrategyName } from '../../../servers/strategies/index.js';
import { checkFreshness } from '../../analysis/freshness/checker.js';
import {
  asDeclared,
  boundsFor,
  declaredWithTtl,
  RECOVERY_MS,
  strategyResult,
} from '../../analysis/freshness/result.js';
import {
  startLocalPostgres,
  startLocalRedis,
  type LocalPostgres,
  type LocalRedis,
} from '../../infra/index.js';
import { gitCommit } from '../environment.js';
import { buildSchedule } from '../../plan/freshness-schedule.js';
import { DATASET_SEED, chooseUsers, runPhase } from './phase.js';
import { renderFreshnessHtml } from '../../output/freshness-html.js';
import { freshnessSentence } from '../../output/freshness-text.js';
import type { FreshnessConfig, FreshnessRecord, FreshnessStrategyResult } from '../../schema/freshness.js';
import { FRESHNESS_SCHEMA_VERSION } from '../../schema/freshness.js';

export interface FreshnessRun {
  record: FreshnessRecord;
  path: string;
  html: string;
}

export async function runFreshness(
  config: FreshnessConfig,
  command: string,
  log: (line: string) => void,
): Promise<FreshnessRun> {
  const started = Date.now();
  let pgLocal: LocalPostgres | undefined;
  let redis: LocalRedis | undefined;
  try {
    // Fault injection needs instances the run owns (to stall, restart, restore): always
    // throwaway ones; Postgres with logical decoding for the checker's ground truth.
    [pgLocal, redis] = await Promise.all([
      startLocalPostgres({ log, logicalDecoding: true }),
      startLocalRedis({ log }),
    ]);
    const foreignUrl = await createForeignDataset(pgLocal.url, config.users);
    const pool = new pg.Pool({ connectionString: pgLocal.url, max: 2 });
    let users: Awaited<ReturnType<typeof chooseUsers>>;
    let versions: { postgres: string; redis: string };
    try {
      await seedDatabase(pool, { users: config.users, seed: DATASET_SEED });
      users = await chooseUsers(pool, config.probedUsers, config.seed);
      versions = { postgres: pgLocal.version, redis: redis.version };
    } finally {
      await pool.end();
    }
    const schedule = buildSchedule({
      seed: config.seed,
      seconds: config.seconds,
      revocationsPerSecond: config.revocationsPerSecond,
      faults: config.faults,
      probedUsers: users.probed,
      servers: 2,
      quietMs: RECOVERY_MS,
    });
    log(
      `seed ${config.seed}: ${schedule.revocations.length} revocations and ${schedule.faults.length} faults planned over ${config.seconds} s (replay with --seed ${config.seed})`,
    );

    const createdAt = new Date().toISOString();
    const stamp = createdAt.replace(/[:.]/g, '-');
    await mkdir(config.resultsDir, { recursive: true });
    const strategies: Record<string, FreshnessStrategyResult> = {};
    for (const name of config.strategies as StrategyName[]) {
      const declared = declaredWithTtl(DECLARED_FRESHNESS[name], config.tokenTtlSeconds);
      const { history, load } = await runPhase({
        strategy: name,
        config,
        schedule,
        pg: pgLocal,
        redis,
        foreignPgUrl: foreignUrl,
        log,
      });
      const verdict = checkFreshness(history, boundsFor(declared));
      const historyFile = `${stamp}-freshness-${name}.history.json`;
      await writeFile(join(config.resultsDir, historyFile), `${JSON.stringify(history)}\n`, { flag: 'wx' });
      const result = strategyResult({
        name,
        declared,
        verdict,
        servers: history.servers,
        load,
        history: historyFile,
      });
      strategies[name] = { ...result, summary: freshnessSentence(name, result) };
      log(strategies[name]!.summary);
    }
    const record: FreshnessRecord = {
      schemaVersion: FRESHNESS_SCHEMA_VERSION,
      kind: 'freshness',
      createdAt,
      command,
      wallSeconds: Math.round((Date.now() - started) / 100) / 10,
      seed: config.seed,
      config,
      environment: {
        node: process.version,
        postgres: versions.postgres,
        redis: versions.redis,
        cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
        cores: os.cpus().length,
        gitCommit: gitCommit(),
      },
      schedule,
      strategies,
      valid: Object.values(strategies).every(asDeclared),
    };
    const path = join(config.resultsDir, `${stamp}-freshness.json`);
    await writeFile(path, `${JSON.stringify(record, null, 2)}\n`, { flag: 'wx' });
    const html = path.replace(/\.json$/, '.html');
    await writeFile(html, renderFreshnessHtml(record));
    return { record, path, html };
  } finally {
    await Promise.allSettled([pgLocal?.destroy(), redis?.destroy()]);
  }
}

/** A second dataset in the same cluster: tokens minted against it must never be accepted. */
async function createForeignDataset(url: string, users: number): Promise<string> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query('CREATE DATABASE authbench_foreign');
  } finally {
    await admin.end();
  }
  const foreign = new URL(url);
  foreign.pathname = '/authbench_foreign';
  const pool = new pg.Pool({ connectionString: foreign.toString(), max: 2 });
  try {
    await seedDatabase(pool, { users, seed: DATASET_SEED });
  } finally {
    await pool.end();
  }
  return foreign.toString();
}
