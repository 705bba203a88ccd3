/**
 * Target mode end to end, on loopback: servers started here as "someone else's" (in this test
 * process), then `authbench run --target …` measures them without starting or seeding anything.
 * Each token source is used once: the servers' /auth/token, a tokens file, minting with the secret.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../../bench/infra/paths.js';
import type { ResultsRecord } from '../../../bench/schema/results.js';
import pg from 'pg';
import { startServer, type RunningServer } from '../../../servers/server.js';
import {
  createTestDatabase,
  seedUrl,
  serverOptions,
  serviceUrls,
  TEST_SECRET,
  TINY_LOAD,
  tokenFor,
} from '../../helpers.js';

const CLI = join(projectRoot(), 'dist', 'bench', 'cli', 'bin.js');
const USERS = 400;

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return new Promise((resolve) => {
    // No services in the environment: target mode must not need (or start) any.
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', JWT_SECRET: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const TINY = [
  ...TINY_LOAD,
  '--bootstrap-iterations',
  '200',
  '--open-fractions',
  'none',
  '--users',
  String(USERS),
  '--token-users',
  '40',
  '--verify-users',
  '10',
];

/** The one record a run folder in `dir` holds. */
function onlyRecord(dir: string): ResultsRecord {
  const [folder] = readdirSync(dir).filter((e) => e !== 'latest');
  assert.ok(folder, 'a run folder');
  const file = readdirSync(join(dir, folder)).find((f) => f === 'target.json');
  assert.ok(file, `target.json in ${readdirSync(join(dir, folder)).join(', ')}`);
  return JSON.parse(readFileSync(join(dir, folder, file), 'utf8'));
}

async function responses(s: RunningServer): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  return [...text.matchAll(/^authbench_http_responses_total\{[^}]*\} (\d+)/gm)].reduce(
    (a, m) => a + Number(m[1]),
    0,
  );
}

describe('authbench run --target: servers that are already running', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;
  const servers: RunningServer[] = [];
  let lookupA: RunningServer;
  let lookupB: RunningServer;
  let jwt: RunningServer;
  before(async () => {
    db = await createTestDatabase('target_mode');
    await seedUrl(db.url, { users: USERS, seed: 5 });
    // As the database's owner would have it: target mode reads the extension, never creates it.
    const owner = new pg.Client({ connectionString: db.url });
    await owner.connect();
    await owner.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await owner.end();
    const { redisUrl } = serviceUrls();
    // Two replicas of db-lookup, one jwt-redis; all sign with the same secret and mint tokens.
    lookupA = await startServer(serverOptions('db-lookup', db.url, redisUrl));
    lookupB = await startServer(serverOptions('db-lookup', db.url, redisUrl));
    jwt = await startServer(serverOptions('jwt-redis', db.url, redisUrl));
    servers.push(lookupA, lookupB, jwt);
    dir = mkdtempSync(join(tmpdir(), 'authbench-target-'));
  });
  after(async () => {
    for (const s of servers) await s.close();
    rmSync(dir, { recursive: true, force: true });
    await db?.drop();
  });

  test("tokens from the servers' /auth/token; replicas share the load; counts cross-checked on Postgres and Redis", async () => {
    const out = join(dir, 'server-tokens');
    const before = [await responses(lookupA), await responses(lookupB)];
    const r = await cli([
      'run',
      ...TINY,
      '--target',
      `db-lookup=${lookupA.url},${lookupB.url}`,
      '--target',
      `jwt-redis=${jwt.url}`,
      '--pg-url',
      db.url,
      '--redis-url',
      serviceUrls().redisUrl,
      '--results-dir',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.doesNotMatch(r.stderr, /seeding|starting servers|throwaway/, 'nothing started or seeded');
    const rec = onlyRecord(out);
    assert.equal(rec.valid, true);
    assert.equal(rec.scenario, 'target');
    assert.deepEqual(rec.env.targets, { 'db-lookup': [lookupA.url, lookupB.url], 'jwt-redis': [jwt.url] });
    assert.match(rec.env.infrastructure.description, /^target mode: db-lookup at /);
    const a = rec.strategies['db-lookup']!;
    const b = rec.strategies['jwt-redis']!;
    assert.equal(a.costs.queriesSource, 'pg_stat_statements');
    assert.equal(a.queriesPerRequest, 3, 'summed over both replicas, per request');
    assert.equal(b.queriesPerRequest, 2);
    assert.equal(b.costs.redisCommandsSource, 'redis');
    assert.equal(b.redisCommandsPerRequest, 1);
    assert.equal(rec.model, null, 'no calibration in target mode');
    assert.match(
      rec.fairness.servers ?? '',
      /^target mode: .*servers per strategy: db-lookup 2, jwt-redis 1 — unequal/,
    );
    assert.ok(rec.warnings.some((w) => /servers per strategy differ \(db-lookup 2, jwt-redis 1\)/.test(w)));
    assert.ok(rec.comparisons[0]!.throughputRatio.median > 0);
    const after = [await responses(lookupA), await responses(lookupB)];
    const served = after.map((n, i) => n - before[i]!);
    // autocannon spreads 4 connections over 2 URLs: both replicas carried a real share.
    assert.ok(
      served.every((n) => n > 0.25 * (served[0]! + served[1]!)),
      `requests per replica: ${served.join(', ')}`,
    );
  });

  test("a tokens file, and no Postgres or Redis given: the counts are the servers' own, said plainly", async () => {
    const out = join(dir, 'file-tokens');
    const file = join(dir, 'tokens.txt');
    const tokens = await Promise.all(
      [1, 2, 3, 50, 77, 120, 200, 255, 301, 399, 400].map((id) => tokenFor(lookupA, id)),
    );
    writeFileSync(file, `# tokens for the target-mode test\n${tokens.join('\n')}\n\n`);
    const r = await cli([
      'run',
      ...TINY,
      '--target',
      `db-lookup=${lookupA.url}`,
      '--target',
      `jwt-redis=${jwt.url}`,
      '--tokens-file',
      file,
      '--results-dir',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const rec = onlyRecord(out);
    const a = rec.strategies['db-lookup']!;
    assert.equal(a.costs.queriesSource, 'server counters');
    assert.equal(a.queriesPerRequest, 3);
    assert.equal(rec.strategies['jwt-redis']!.costs.redisCommandsSource, 'server counters');
    assert.ok(
      rec.warnings.some((w) => /no Postgres given \(--pg-url\).*not cross-checked/.test(w)),
      rec.warnings.join('\n'),
    );
    assert.ok(rec.warnings.some((w) => /no Redis given \(--redis-url\)/.test(w)));
    assert.equal(rec.env.postgres, 'not measured (no --pg-url)');
    assert.match(rec.env.infrastructure.description, /postgres not given/);
  });

  test("minted with the servers' secret from the database's claims; the secret is never recorded", async () => {
    const out = join(dir, 'minted');
    const r = await cli([
      'run',
      ...TINY,
      '--target',
      `jwt-redis=${jwt.url}`,
      '--target',
      `db-lookup=${lookupB.url}`,
      '--pg-url',
      db.url,
      '--jwt-secret',
      TEST_SECRET,
      '--results-dir',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const rec = onlyRecord(out);
    assert.equal(rec.comparisons[0]!.baseline, 'jwt-redis', 'the first --target is the baseline');
    assert.ok(!JSON.stringify(rec).includes(TEST_SECRET), 'the secret is nowhere in the record');
    assert.match(rec.command, /--jwt-secret \*\*\*/);
  });

  test("/auth/token asked for ids beyond the database's users: the shortfall says to give --users", async () => {
    // 40 ids spread over 1..100 000 (the default --users): 400 users hold only the first.
    const r = await cli([
      'run',
      ...TINY.filter((_, i, a) => a[i] !== '--users' && a[i - 1] !== '--users'),
      '--target',
      `db-lookup=${lookupA.url}`,
      '--target',
      `jwt-redis=${jwt.url}`,
      '--results-dir',
      join(dir, 'too-few'),
    ]);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.match(
      r.stderr,
      /target mode: 1 tokens, fewer than the 10 users .*\/auth\/token knew 1 of the 40 user ids asked for, spread over 1\.\.100000 \(--users\): give --users the database's user count/,
    );
  });

  test('one server under two URLs (localhost and 127.0.0.1) is refused: its counts would be summed twice', async () => {
    const port = new URL(lookupA.url).port;
    const r = await cli([
      'run',
      ...TINY,
      '--target',
      `db-lookup=${lookupA.url},http://localhost:${port}`,
      '--target',
      `jwt-redis=${jwt.url}`,
      '--results-dir',
      join(dir, 'same-twice'),
    ]);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.match(
      r.stderr,
      new RegExp(
        `--target: ${lookupA.url.replace(/[.]/g, '\\.')} and http://localhost:${port} are the same server \\(its /healthz instance [0-9a-f-]{36}\\)`,
      ),
    );
  });

  test('bad target-mode flags: exit 2, the flag and the rule named, nothing run', async () => {
    const out = join(dir, 'never');
    const cases: Array<[string[], RegExp]> = [
      [['--target', 'db-lookup=http://127.0.0.1:1'], /--target must be given for at least two strategies/],
      [['--target', 'magic=http://x', '--target', 'db-lookup=http://y'], /--target must be strategy=URL/],
      [['--target', 'db-lookup=http://x/api', '--target', 'jwt-redis=http://y'], /without a path/],
      [
        ['--target', 'db-lookup=http://x', '--target', 'db-lookup=http://y'],
        /--target must be given once per strategy/,
      ],
      [
        ['--target', 'db-lookup=http://x', '--target', 'jwt-redis=http://y', '--db-delay-ms', '1'],
        /--db-delay-ms must be 0 in target mode/,
      ],
      [
        [
          '--target',
          'db-lookup=http://x',
          '--target',
          'jwt-redis=http://y',
          '--strategies',
          'jwt-redis,db-lookup',
        ],
        /--strategies must be the --target strategies, in their order/,
      ],
      [
        [
          '--target',
          'db-lookup=http://x',
          '--target',
          'jwt-redis=http://y',
          '--tokens-file',
          join(dir, 'missing'),
        ],
        /--tokens-file ".*missing" cannot be read/,
      ],
      [
        ['--target', 'db-lookup=http://x', '--target', 'jwt-redis=http://y', '--jwt-secret', 'x'.repeat(40)],
        /give --pg-url \(or DATABASE_URL\) too/,
      ],
      [
        ['--target', 'db-lookup=http://x', '--target', 'jwt-redis=http://y', '--freshness-seconds', '5'],
        /--freshness-seconds must be 0 in target mode/,
      ],
      [['--tokens-file', 'x'], /--tokens-file belongs to target mode/],
      [
        ['--target', 'db-lookup=http://u:hunter2@127.0.0.1:9', '--target', 'jwt-redis=http://y'],
        /--target must be .* and no user:password@ \(not supported\) \(got "db-lookup=http:\/\/\*\*\*@127\.0\.0\.1:9"\)/,
      ],
      [
        ['--target', 'db-lookup=http://127.0.0.1:9', '--target', 'jwt-redis=http://127.0.0.1:9/'],
        /--target must be a server of one strategy only \(already given for db-lookup\)/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['run', ...args, '--results-dir', out]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /hunter2/);
    }
    // A server under another strategy's name is refused before any load: its /healthz says what it runs.
    const swapped = await cli([
      'run',
      ...TINY,
      '--target',
      `db-lookup=${jwt.url}`,
      '--target',
      `jwt-redis=${lookupA.url}`,
      '--pg-url',
      db.url,
      '--jwt-secret',
      TEST_SECRET,
      '--results-dir',
      join(dir, 'swapped'),
    ]);
    assert.notEqual(swapped.code, 0);
    assert.match(
      swapped.stderr,
      /--target db-lookup=http:\/\/127\.0\.0\.1:\d+: that server says it runs jwt-redis/,
    );
    assert.deepEqual(readdirSync(dir).includes('never'), false, 'no results folder');
  });

  test('--dry-run shows the targets and what is skipped', async () => {
    const r = await cli([
      'run',
      '--dry-run',
      '--target',
      'db-lookup=http://127.0.0.1:9,http://127.0.0.1:11',
      '--target',
      'jwt-redis=http://127.0.0.1:10',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /target mode: db-lookup at http:\/\/127\.0\.0\.1:9, http:\/\/127\.0\.0\.1:11; jwt-redis at http:\/\/127\.0\.0\.1:10/,
    );
    assert.match(r.stdout, /tokens from the servers' POST \/auth\/token/);
    assert.doesNotMatch(r.stdout, /seed \d+ users|calibrate|starting servers/);
  });
});
