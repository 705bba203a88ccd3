import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../../bench/infra/paths.js';
import { TINY_LOAD, createTestDatabase, serviceUrls } from '../../helpers.js';

const CLI = join(projectRoot(), 'dist', 'bench', 'cli', 'bin.js');
const TINY = [
  '--scenario',
  'local',
  '--users',
  '400',
  '--token-users',
  '100',
  '--verify-users',
  '20',
  ...TINY_LOAD,
  '--bootstrap-iterations',
  '500',
  '--open-fractions',
  '0.5',
  '--calibration-seconds',
  '1',
  '--calibration-connections',
  '1,2',
  '--open-seconds',
  '1',
  '--open-warmup-seconds',
  '0',
];

/** The run folders in a results directory (results/<timestamp>/), oldest first. */
const runFolders = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'manifest.json')))
    .map((e) => e.name)
    .sort();

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  args: string[],
  opts: { onStderr?: (text: string, child: ReturnType<typeof spawn>) => void } = {},
): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'run', ...args], {
      env: { ...process.env, DATABASE_URL: '', REDIS_URL: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      opts.onStderr?.(stderr, child);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

describe('authbench run, end to end (tiny)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;
  /** A tiny run against this suite's database and Redis, writing into `out`. */
  const runTiny = (out: string, extra: string[] = [], opts?: Parameters<typeof run>[1]): Promise<Finished> =>
    run(
      [...TINY, ...extra, '--results-dir', out, '--pg-url', db.url, '--redis-url', serviceUrls().redisUrl],
      opts,
    );
  before(async () => {
    db = await createTestDatabase('bench_run');
    dir = mkdtempSync(join(tmpdir(), 'authbench-results-'));
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db?.drop();
  });

  test('writes a results file that follows the contract, with measured 3 → 2 queries/request', async () => {
    const r = await runTiny(dir);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    // One run, one folder: results/<timestamp>/ with the record, report and manifest.
    const folders = runFolders(dir);
    assert.equal(folders.length, 1);
    const folder = join(dir, folders[0]!);
    assert.equal(readlinkSync(join(dir, 'latest')), folders[0], 'results/latest points at the run');
    const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
    assert.equal(manifest.kind, 'run');
    assert.equal(manifest.complete, true);
    assert.equal(manifest.valid, true);
    assert.deepEqual(manifest.scenarios, [{ scenario: 'local', file: 'local.json', valid: true }]);
    assert.equal(manifest.freshness, null);
    assert.deepEqual(manifest.reports.pngFailures, []);
    assert.ok(manifest.reports.pngs.length >= 4, manifest.reports.pngs.join());
    for (const f of ['index.html', 'summary.md', ...manifest.reports.pngs])
      assert.ok(existsSync(join(folder, f)), f);
    assert.match(
      readFileSync(join(folder, 'index.html'), 'utf8'),
      /<section class="scenario" id="scenario-local"/,
    );
    assert.match(
      readFileSync(join(folder, 'summary.md'), 'utf8'),
      /^- \*\*local\*\*: (No significant difference: )?jwt-redis served /m,
    );
    assert.ok(r.stdout.includes(`run folder: ${folder}`), r.stdout);
    const record = JSON.parse(readFileSync(join(folder, 'local.json'), 'utf8'));
    assert.deepEqual(
      JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')),
      record,
      'latest.json is a copy',
    );
    assert.equal(record.schemaVersion, 2);
    assert.equal(record.valid, true);
    assert.equal(record.scenario, 'local');
    for (const key of [
      'cpuModel',
      'cores',
      'node',
      'postgres',
      'redis',
      'gitCommit',
      'infrastructure',
      'serverCpu',
    ])
      assert.ok(key in record.env, `env.${key}`);
    assert.match(record.env.postgres, /^\d+\.\d+/, 'the Postgres version, measured');
    assert.match(record.env.redis, /^\d+\.\d+/, 'the Redis version, measured');
    assert.equal(record.config.rounds, 2);
    const a = record.strategies['db-lookup'];
    const b = record.strategies['jwt-redis'];
    assert.equal(a.queriesPerRequest, 3, 'db-lookup: measured on the database side');
    assert.equal(b.queriesPerRequest, 2, 'jwt-redis: measured on the database side');
    assert.equal(a.costs.queriesSource, 'pg_stat_statements');
    assert.equal(a.redisCommandsPerRequest, 0);
    assert.equal(b.redisCommandsPerRequest, 1);
    for (const s of [a, b]) {
      assert.ok(s.throughput.median > 0);
      assert.equal(s.throughput.ci95.length, 2);
      for (const p of ['p50', 'p90', 'p99', 'p999']) assert.ok(s.latencyMs[p] > 0, p);
      assert.equal(s.rounds.length, 2);
      for (const round of s.rounds) assert.equal(round.status, 'valid');
    }
    assert.equal(record.openModel.length, 1, 'one open-model rate');
    const open = record.openModel[0];
    assert.equal(open.repetitions, 4);
    for (const s of ['db-lookup', 'jwt-redis']) {
      const o = open.strategies[s];
      assert.ok(o.achievedRps > 0 && o.latencyMs.p50 > 0, `${s} open model measured`);
      assert.deepEqual(
        o.runs.map((r: { repetition: number }) => r.repetition),
        [1, 2, 3, 4],
        `${s}: four runs (the default)`,
      );
      // --open-seconds 1: the rate's worth of requests, each counted once.
      for (const r of o.runs)
        assert.equal(r.sent, Math.floor(open.targetRps * 1), `${s} run ${r.repetition}`);
    }
    const [delta] = open.comparisons;
    assert.equal(delta.candidate, 'jwt-redis');
    assert.equal(delta.pairs, 4);
    assert.ok(
      delta.p99DeltaMs.interval[0] <= delta.p99DeltaMs.median &&
        delta.p99DeltaMs.median <= delta.p99DeltaMs.interval[1],
    );
    assert.equal(delta.p99DeltaMs.coverage, 0.875, 'four pairs: the range covers 87.5 %');
    // The calibrated model: fields external checks read, and a prediction that is a number.
    const m = record.model;
    assert.ok(m, 'a model from the calibration');
    assert.deepEqual(Object.keys(m.calibration.strategies), ['db-lookup', 'jwt-redis']);
    for (const s of ['db-lookup', 'jwt-redis']) {
      const c = m.calibration.strategies[s];
      assert.equal(c.invalidReason, null, `${s} calibration usable`);
      assert.ok(c.cpuMs > 0 && c.poolMs > 0 && c.requestsPerSecond > 0, `${s} demands measured`);
      assert.ok(c.levels.length >= 1 && c.levels[0].connections === 1, `${s} ramp starts at 1 connection`);
      assert.equal(c.roundTripsPerRequest, s === 'db-lookup' ? 3 : 2);
      assert.ok(m.predicted[s].requestsPerSecond > 0, `${s} predicted`);
      assert.ok(Number.isFinite(m.error[s]), `${s} error`);
      assert.ok(
        Math.abs(
          m.error[s] - (m.predicted[s].requestsPerSecond / record.strategies[s].throughput.median - 1),
        ) < 1e-9,
        'error = predicted ÷ measured − 1',
      );
    }
    assert.ok(
      Math.abs(
        m.predicted.gain -
          m.predicted['jwt-redis'].requestsPerSecond / m.predicted['db-lookup'].requestsPerSecond,
      ) < 1e-12,
    );
    assert.equal(m.measured.gain, record.comparisons[0].throughputRatio.median, 'one gain estimator');
    for (const round of [...a.rounds, ...b.rounds])
      assert.ok(
        round.serverLoopPercent > 0 && round.otherCpuPercent >= 0,
        'loop and other CPUs measured per round',
      );
    assert.equal(record.comparisons.length, 1);
    const [c] = record.comparisons;
    assert.equal(c.baseline, 'db-lookup');
    assert.equal(c.candidate, 'jwt-redis');
    assert.ok(c.throughputRatio.median > 0);
    assert.equal(c.throughputRatio.ci95.length, 2);
    // A run this short may or may not find a difference; the sentence has the same shape either way.
    assert.match(
      r.stdout,
      /jwt-redis served [\d.]+% (more|fewer) requests per second than db-lookup \(95% CI [+−][\d.]+% to [+−][\d.]+%\), with 3 → 2 database queries per request\./,
    );

    // A second run never overwrites the first.
    const again = await runTiny(dir);
    assert.equal(again.code, 0, again.stderr);
    const both = runFolders(dir);
    assert.equal(both.length, 2);
    assert.deepEqual(JSON.parse(readFileSync(join(folder, 'local.json'), 'utf8')), record);
    assert.equal(
      readlinkSync(join(dir, 'latest')),
      both.find((f) => f !== folders[0]),
      'latest moved on',
    );
  });

  test('three strategies: all verified against each other, each candidate compared with the baseline', async () => {
    const out = mkdtempSync(join(tmpdir(), 'authbench-three-'));
    try {
      const r = await runTiny(out, [
        '--strategies',
        'db-lookup,jwt-redis,jwt-only',
        '--open-fractions',
        'none',
      ]);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const record = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'));
      assert.deepEqual(Object.keys(record.strategies), ['db-lookup', 'jwt-redis', 'jwt-only']);
      assert.deepEqual(
        record.comparisons.map((c: { candidate: string }) => c.candidate),
        ['jwt-redis', 'jwt-only'],
      );
      assert.equal(record.strategies['jwt-only'].queriesPerRequest, 2);
      assert.equal(record.strategies['jwt-only'].redisCommandsPerRequest, 0);
      // Round 2 runs the strategies in reverse order: the run order shows it.
      const order = ['db-lookup', 'jwt-redis', 'jwt-only']
        .flatMap((n) => record.strategies[n].rounds)
        .sort((a: { index: number }, b: { index: number }) => a.index - b.index)
        .map((x: { round: number; strategy: string }) => `${x.round}:${x.strategy}`);
      assert.deepEqual(order, [
        '1:db-lookup',
        '1:jwt-redis',
        '1:jwt-only',
        '2:jwt-only',
        '2:jwt-redis',
        '2:db-lookup',
      ]);
      assert.match(r.stderr, /verify 20 users|verification: 20 users/);
      assert.match(r.stderr, /UNSAFE|unsafe/, 'jwt-only is announced as unsafe');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('--engine wrk: the rounds and the calibration sent by wrk, judged and recorded the same way', async () => {
    const out = mkdtempSync(join(tmpdir(), 'authbench-wrk-'));
    try {
      const r = await runTiny(out, ['--engine', 'wrk', '--open-fractions', 'none']);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const record = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'));
      assert.equal(record.config.engine, 'wrk');
      assert.match(record.fairness.loadGenerator, /^wrk, one thread/);
      assert.equal(record.valid, true, JSON.stringify(record.warnings));
      for (const s of ['db-lookup', 'jwt-redis']) {
        for (const round of record.strategies[s].rounds) {
          assert.equal(round.status, 'valid');
          assert.ok(
            round.requestsPerSecond > 0 && round.generatorCpuPercent > 0,
            `${s} round measured by wrk`,
          );
        }
        assert.ok(record.model.calibration.strategies[s].requestsPerSecond > 0, `${s} calibrated with wrk`);
      }
      assert.equal(record.comparisons.length, 1);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('--freshness-seconds: one folder with the freshness phase, the records carrying it, the frontier first', async () => {
    const out = mkdtempSync(join(tmpdir(), 'authbench-matrix-'));
    try {
      const r = await runTiny(out, [
        '--strategies',
        'db-lookup,jwt-redis,no-auth',
        '--open-fractions',
        'none',
        '--freshness-seconds',
        '5',
      ]);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const [name] = runFolders(out);
      const folder = join(out, name!);
      const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
      assert.equal(manifest.complete, true);
      assert.equal(manifest.freshness.valid, true);
      assert.ok(
        existsSync(join(folder, manifest.freshness.file)) &&
          existsSync(join(folder, manifest.freshness.html)),
      );
      const record = JSON.parse(readFileSync(join(folder, 'local.json'), 'utf8'));
      assert.equal(record.strategies['jwt-redis'].freshness.staleAccepted, 0);
      assert.ok(record.strategies['jwt-redis'].throughput.median > 0);
      assert.ok(record.strategies['jwt-redis'].ceilingRatio.median > 0);
      assert.equal(record.strategies['no-auth'].freshness, null, 'not an auth strategy: no freshness phase');
      const html = readFileSync(join(folder, 'index.html'), 'utf8');
      assert.ok(html.indexOf('id="chart-frontier"') > 0, 'the frontier is drawn');
      assert.ok(html.indexOf('id="chart-frontier"') < html.indexOf('id="scenario-local"'), 'first');
      assert.ok(html.includes(`href="${manifest.freshness.html}"`), 'the freshness report is linked');
      assert.ok(manifest.reports.pngs.includes('frontier.png'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('--rounds auto stops once every gain is precise, after two rounds in a row, and says so', async () => {
    const out = mkdtempSync(join(tmpdir(), 'authbench-adaptive-'));
    try {
      const r = await runTiny(out, [
        '--rounds',
        'auto',
        '--min-rounds',
        '2',
        '--max-rounds',
        '6',
        '--target-precision',
        '50%',
        '--open-fractions',
        'none',
      ]);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const record = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'));
      assert.equal(record.config.adaptive, true);
      assert.equal(record.stopping.rule, 'precision', JSON.stringify(record.stopping));
      assert.equal(record.stopping.rounds, 4, 'precise at rounds 3 and 4, an even round: no fifth');
      assert.ok(record.stopping.halfWidths['jwt-redis'] <= 0.5);
      for (const s of Object.values(record.strategies) as Array<{ rounds: unknown[] }>)
        assert.equal(s.rounds.length, 4);
      assert.match(r.stderr, /rounds stop here/);
      assert.ok(
        record.method.some((m: string) => /optional stopping/.test(m)),
        'the method says what it costs',
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('--dry-run prints the plan with its estimate and starts nothing', async () => {
    const empty = join(dir, 'dry');
    const r = await run([
      '--dry-run',
      '--results-dir',
      empty,
      '--strategies',
      'db-lookup,jwt-redis,jwt-only',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^scenario seed-regime: \d+ timed steps/m);
    assert.match(r.stdout, /^scenario local: /m);
    assert.match(r.stdout, /round 2: jwt-only → jwt-redis → db-lookup, 3 s each/);
    assert.match(r.stdout, /^estimated duration: about [\d.]+ (s|min)/m);
    assert.doesNotMatch(r.stderr, /infrastructure/, 'nothing started');
    assert.equal(existsSync(empty), false);
  });

  test('bad flags: exit 2, the flag named, nothing started or written', async () => {
    const empty = join(dir, 'never');
    for (const [args, message] of [
      [['--connections', '0'], /--connections must be an integer from 1 to 10000 \(got "0"\)/],
      [['--rounds', 'abc'], /--rounds must be an integer from 2 to 1000 \(got "abc"\)/],
      [
        ['--freshness-seconds', '5', '--freshness-strategies', 'jwt-only'],
        /--freshness-strategies must be a comma-separated list of db-lookup, jwt-redis \(each at most once\) \(got "jwt-only"\)/,
      ],
      [
        ['--freshness-seconds', '5', '--freshness-token-ttl', '0'],
        /--freshness-token-ttl must be an integer from 1 to 86400 \(got "0"\)/,
      ],
      [
        ['--strategies', 'db-lookup,magic'],
        /--strategies must be one of db-lookup, jwt-redis, jwt-local, rbac-cache, jwt-only, no-auth \(got "magic"\)/,
      ],
      [['--engine', 'k6'], /--engine must be one of autocannon, wrk, artillery \(got "k6"\)/],
      [['--db-delay-ms', '-0.5'], /--db-delay-ms must be a number from 0 to 1000 \(got "-0.5"\)/],
      [['--open-repetitions', '2'], /--open-repetitions must be an integer from 3 to 50 \(got "2"\)/],
      [
        ['--calibration-connections', '4,2'],
        /--calibration-connections must be 1 to 6 ascending integers from 1 to 256, comma-separated/,
      ],
    ] as const) {
      const started = Date.now();
      const r = await run([...args, '--results-dir', empty]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /infrastructure/, 'nothing started');
      assert.ok(Date.now() - started < 5000);
    }
    assert.equal(existsSync(empty), false);
    const ci = await new Promise<Finished>((resolve) => {
      const child = spawn(process.execPath, [
        CLI,
        'ci',
        '--baseline',
        join(dir, 'missing.json'),
        '--results-dir',
        empty,
      ]);
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.on('exit', (code) => resolve({ code, stdout: '', stderr }));
    });
    assert.equal(ci.code, 2, ci.stderr);
    assert.match(ci.stderr, /--baseline must name a readable file \(got ".*missing\.json": ENOENT\)/);
    assert.equal(existsSync(empty), false);
  });

  test('Ctrl-C during the load stops every child and leaves no results behind', async () => {
    const out = mkdtempSync(join(tmpdir(), 'authbench-int-'));
    let sent = false;
    const r = await runTiny(out, ['--round-seconds', '5'], {
      onStderr: (text, child) => {
        if (!sent && /round 1\/2/.test(text)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    try {
      assert.ok(sent, 'the run reached the rounds');
      assert.equal(r.code, 130, r.stderr);
      assert.equal(existsSync(join(out, 'latest.json')), false);
      assert.deepEqual(readdirSync(out), [], 'no half-made run folder is left behind');
      const pids = [...r.stderr.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
      assert.equal(pids.length, 2, 'both server pids were announced');
      await new Promise((res) => setTimeout(res, 500));
      for (const pid of pids) assert.equal(alive(pid), false, `server ${pid} is gone`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
