/**
 * Artillery, for real (2.0.20, installed apart: .ci/run does it, AUTHBENCH_ARTILLERY names it;
 * missing, these tests fail, as every integration test here does):
 * - the distributed path as a user takes it: `authbench export artillery` against running
 *   servers, `artillery run` in the folder, `authbench import artillery`; and a report of fewer
 *   workers than the plan was exported for, which must come back invalid;
 * - `run --engine artillery` against `--engine autocannon`, back to back, in the seed regime with
 *   a 5 ms link: the gains must agree within 10 %.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findArtillery } from '../../../bench/infra/binaries.js';
import { projectRoot } from '../../../bench/infra/paths.js';
import { ARTILLERY_INSTALL } from '../../../bench/schema/artillery.js';
import type { ResultsRecord } from '../../../bench/schema/results.js';
import { startServer, type RunningServer } from '../../../servers/server.js';
import { createTestDatabase, seedUrl, serverOptions, serviceUrls, TINY_LOAD } from '../../helpers.js';

const CLI = join(projectRoot(), 'dist', 'bench', 'cli', 'bin.js');
const ARTILLERY = findArtillery(undefined);

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function exec(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; seconds: number },
): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.seconds * 1000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const cli = (args: string[], seconds = 180): Promise<Finished> =>
  exec(process.execPath, [CLI, ...args], {
    env: { DATABASE_URL: '', REDIS_URL: '', JWT_SECRET: '' },
    seconds,
  });

/** The one scenario record in the run folder `dir` holds. */
function onlyRecord(dir: string): { record: ResultsRecord; folder: string } {
  const [folder] = readdirSync(dir).filter((e) => e !== 'latest');
  assert.ok(folder, `a run folder in ${dir}`);
  const manifest = JSON.parse(readFileSync(join(dir, folder, 'manifest.json'), 'utf8')) as {
    scenarios: Array<{ file: string }>;
  };
  const file = manifest.scenarios[0]?.file;
  assert.ok(file, 'a record');
  return { record: JSON.parse(readFileSync(join(dir, folder, file), 'utf8')), folder: join(dir, folder) };
}

test('Artillery is installed where the tests can run it', () => {
  assert.ok(
    ARTILLERY,
    `no Artillery: set AUTHBENCH_ARTILLERY or put it on PATH (install: ${ARTILLERY_INSTALL})`,
  );
});

describe('export, artillery run, import: the distributed path on loopback', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;
  const servers: RunningServer[] = [];
  before(async () => {
    db = await createTestDatabase('artillery_export');
    await seedUrl(db.url, { users: 400, seed: 9 });
    const { redisUrl } = serviceUrls();
    servers.push(await startServer(serverOptions('db-lookup', db.url, redisUrl)));
    servers.push(await startServer(serverOptions('jwt-redis', db.url, redisUrl)));
    dir = mkdtempSync(join(tmpdir(), 'authbench-artillery-'));
  });
  after(async () => {
    for (const s of servers) await s.close();
    rmSync(dir, { recursive: true, force: true });
    await db?.drop();
  });

  const exportTo = async (out: string, extra: string[] = []): Promise<void> => {
    const r = await cli([
      'export',
      'artillery',
      ...TINY_LOAD,
      '--open-fractions',
      'none',
      '--users',
      '400',
      '--token-users',
      '40',
      '--verify-users',
      '10',
      '--lead-seconds',
      '6',
      '--target',
      `db-lookup=${servers[0]!.url}`,
      '--target',
      `jwt-redis=${servers[1]!.url}`,
      '--pg-url',
      db.url,
      '--redis-url',
      serviceUrls().redisUrl,
      '--out',
      out,
      ...extra,
    ]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /exported 6 slices/);
  };
  const artilleryRun = async (folder: string): Promise<void> => {
    const r = await exec(ARTILLERY!, ['run', '--output', 'report.json', 'script.json'], {
      cwd: folder,
      env: { ARTILLERY_DISABLE_TELEMETRY: 'true' },
      seconds: 120,
    });
    assert.equal(r.code, 0, r.stderr + r.stdout);
  };

  const importTo = (out: string, results: string, extra: string[] = []): Promise<Finished> =>
    cli(['import', 'artillery', join(out, 'report.json'), '--plan', out, '--results-dir', results, ...extra]);

  test('the exported plan runs on Artillery and imports as a valid record, with the same verification', async () => {
    const out = join(dir, 'export');
    await exportTo(out);
    for (const f of ['script.json', 'processor.cjs', 'plan.json', 'tokens.txt'])
      assert.ok(existsSync(join(out, f)), f);
    assert.equal(
      statSync(join(out, 'tokens.txt')).mode & 0o077,
      0,
      'the tokens are readable by their owner only',
    );
    const again = await cli([
      'export',
      'artillery',
      '--target',
      `db-lookup=${servers[0]!.url}`,
      '--target',
      `jwt-redis=${servers[1]!.url}`,
      '--out',
      out,
    ]);
    assert.equal(again.code, 2, 'refused before anything runs');
    assert.match(again.stderr, /--out must be a new or empty folder \(an export never overwrites anything\)/);

    await artilleryRun(out);
    const results = join(dir, 'imported');
    const r = await importTo(out, results, ['--baseline', join(projectRoot(), 'bench', 'baseline.json')]);
    const { record, folder } = onlyRecord(results);
    assert.equal(record.valid, true, JSON.stringify(record.warnings));
    assert.equal(record.config.engine, 'artillery');
    assert.equal(record.env.artillery?.workers, 1);
    assert.deepEqual(record.env.targets, { 'db-lookup': [servers[0]!.url], 'jwt-redis': [servers[1]!.url] });
    assert.equal(record.strategies['db-lookup']!.queriesPerRequest, 3, 'the verification export ran');
    assert.equal(record.strategies['jwt-redis']!.queriesPerRequest, 2);
    assert.equal(record.strategies['db-lookup']!.rounds.length, 2);
    assert.equal(record.warmup.length, 2);
    assert.ok(record.comparisons[0]!.throughputRatio.median > 0);
    assert.ok(record.method.some((m) => /DDSketch, about 1% relative accuracy/.test(m)));
    assert.match(record.command, /^authbench export artillery .*; authbench import artillery /);
    assert.ok(existsSync(join(folder, 'index.html')), 'the usual reports');
    // The gate ran on the imported record (a tiny run may fail it: its checks are printed).
    assert.match(r.stdout, /checks against .*baseline\.json:/);
  });

  test('a report with fewer workers than the plan was exported for: every slice partial, exit 1', async () => {
    const out = join(dir, 'two-workers');
    await exportTo(out, ['--workers', '2']);
    await artilleryRun(out);
    const results = join(dir, 'partial');
    const r = await importTo(out, results);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const { record } = onlyRecord(results);
    assert.equal(record.valid, false);
    const rounds = Object.values(record.strategies).flatMap((s) => s!.rounds);
    for (const x of rounds) {
      assert.equal(x.status, 'invalid');
      if (x.status === 'invalid')
        assert.ok(
          x.invalidReasons.includes('partial: 2 of 4 virtual users ran the whole slice'),
          x.invalidReasons.join(),
        );
    }
  });
});

describe('run --engine artillery against --engine autocannon: the same gain', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;
  before(async () => {
    db = await createTestDatabase('artillery_agreement');
    dir = mkdtempSync(join(tmpdir(), 'authbench-agreement-'));
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db?.drop();
  });

  test('seed regime, 5 ms link, back to back: gains within 10 % of each other', async () => {
    const gains: Record<string, number> = {};
    for (const engine of ['autocannon', 'artillery']) {
      const out = join(dir, engine);
      const r = await cli(
        [
          'run',
          '--scenario',
          'seed-regime',
          '--db-delay-ms',
          '5',
          '--engine',
          engine,
          ...(engine === 'artillery' ? ['--artillery', ARTILLERY!, '--lead-seconds', '8'] : []),
          '--rounds',
          '4',
          '--round-seconds',
          '4',
          '--warmup-seconds',
          '2',
          '--calibration-seconds',
          '0',
          '--open-fractions',
          'none',
          '--users',
          '2000',
          '--token-users',
          '200',
          '--verify-users',
          '20',
          '--bootstrap-iterations',
          '1000',
          '--pg-url',
          db.url,
          '--redis-url',
          serviceUrls().redisUrl,
          '--results-dir',
          out,
        ],
        300,
      );
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const { record, folder } = onlyRecord(out);
      assert.equal(record.config.engine, engine);
      gains[engine] = record.comparisons[0]!.throughputRatio.median;
      if (engine === 'artillery') {
        const rounds = Object.values(record.strategies).flatMap((s) => s!.rounds);
        assert.ok(
          rounds.every((x) => x.serverCpuPercent !== null && x.poolBusyConnections !== null),
          "the servers' counters read at each slice",
        );
        assert.ok(
          !existsSync(join(folder, 'artillery', 'seed-regime-closed', 'tokens.txt')),
          'no tokens left in the results',
        );
        assert.ok(
          existsSync(join(folder, 'artillery', 'seed-regime-closed', 'report.json')),
          "Artillery's report kept",
        );
      }
    }
    const agreement = gains.artillery! / gains.autocannon!;
    assert.ok(
      Math.abs(agreement - 1) <= 0.1,
      `gain on Artillery ×${gains.artillery!.toFixed(3)}, on autocannon ×${gains.autocannon!.toFixed(3)}: ${((agreement - 1) * 100).toFixed(1)} % apart`,
    );
  });
});
