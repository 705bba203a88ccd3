import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../../../bench/infra/paths.js';
import { createTestDatabase, request, serviceUrls } from '../../helpers.js';

const CLI = join(projectRoot(), 'dist', 'bench', 'cli', 'bin.js');

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Starts `authbench serve` and resolves with its URL once it prints the ready line. */
function startServe(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ child: ChildProcess; url: string; line: string; exited: Promise<Finished> }> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], {
    env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', ...env },
  });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<Finished>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not get ready: ${stderr}`));
    }, 60_000);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      stdout += `${line}\n`;
      const url = /ready at (http:\/\/\S+)/.exec(line)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, line, exited });
      }
    });
    void exited.then((f) => {
      clearTimeout(timer);
      reject(new Error(`serve exited early (${f.code}): ${f.stderr}`));
    });
  });
}

describe('authbench CLI', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  before(async () => {
    db = await createTestDatabase('cli');
  });
  after(async () => {
    await db?.drop();
  });

  test('bad flags: exit 2, a message naming the flag and the rule, nothing started', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['serve', '--strategy', 'nope'],
        /--strategy must be one of db-lookup, jwt-redis, jwt-local, rbac-cache, jwt-only, no-auth \(got "nope"\)/,
      ],
      [
        ['serve', '--strategy', 'db-lookup', '--port', 'abc'],
        /--port must be an integer from 0 to 65535 \(got "abc"\)/,
      ],
      [
        ['serve', '--strategy', 'db-lookup', '--pool-size', '0'],
        /--pool-size must be an integer from 1 to 1000 \(got "0"\)/,
      ],
      [
        ['serve', '--strategy', 'db-lookup', '--pg-url', 'mysql://x'],
        /invalid --pg-url "mysql:\/\/x": --pg-url \/ DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/,
      ],
      [['serve'], /required option '--strategy <name>' not specified/],
      [['serve', '--strategy', 'db-lookup', '--bogus'], /unknown option '--bogus'/],
      [['seed', '--users', '0'], /--users must be an integer from 1 to 10000000 \(got "0"\)/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: exit code (stderr: ${r.stderr})`);
      assert.match(r.stderr, message, args.join(' '));
    }
    const exposed = await runCli(
      ['serve', '--strategy', 'jwt-redis', '--host', '0.0.0.0', '--issue-tokens'],
      { JWT_SECRET: 'x'.repeat(40) },
    );
    assert.equal(exposed.code, 2);
    assert.match(
      exposed.stderr,
      /--host must be a loopback address \(127\.0\.0\.1, ::1, localhost\) with --issue-tokens \(got "0\.0\.0\.0"\)/,
    );
    const devSecret = await runCli(['serve', '--strategy', 'jwt-redis', '--host', '0.0.0.0']);
    assert.equal(devSecret.code, 2);
    assert.match(devSecret.stderr, /--host must be a loopback address unless JWT_SECRET is set/);
    // The container image's entrypoint: no secret, no server, even on loopback.
    const required = await runCli(['serve', '--strategy', 'db-lookup', '--require-jwt-secret']);
    assert.equal(required.code, 2);
    assert.match(required.stderr, /JWT_SECRET must be set \(--require-jwt-secret\)/);
    const port = await runCli(['serve', '--strategy', 'db-lookup'], { PORT: 'abc' });
    assert.equal(port.code, 2);
    assert.match(port.stderr, /PORT must be an integer from 0 to 65535 \(got "abc"\)/);
    const weak = await runCli(['serve', '--strategy', 'db-lookup'], { JWT_SECRET: 'short' });
    assert.equal(weak.code, 2);
    assert.match(weak.stderr, /JWT_SECRET must be at least 32 bytes/);
  });

  test('seed: loads once, then finds the same seed in place', async () => {
    const first = await runCli(['seed', '--users', '150', '--pg-url', db.url]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /seeded 150 users and 50 articles/);
    const second = await runCli(['seed', '--users', '150'], { DATABASE_URL: db.url });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /already in place/);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`serve: ready line, serves, exits cleanly on ${signal}`, async () => {
      await runCli(['seed', '--users', '150', '--pg-url', db.url]);
      const { child, url, line, exited } = await startServe(
        [
          '--strategy',
          'jwt-redis',
          '--port',
          '0',
          '--issue-tokens',
          '--pg-url',
          db.url,
          '--redis-url',
          serviceUrls().redisUrl,
        ],
        { JWT_SECRET: 'cli-test-secret-0123456789abcdef0123456789' },
      );
      assert.match(line, /^authbench serve: jwt-redis ready at http:\/\/127\.0\.0\.1:\d+ \(/);
      const token = (await request(url, '/auth/token', { method: 'POST', body: { userId: 1 } })).json() as {
        token: string;
      };
      assert.equal((await request(url, '/api/dashboard', { token: token.token })).status, 200);
      child.kill(signal);
      const finished = await exited;
      assert.equal(finished.code, 0, `exit after ${signal}: ${finished.stderr}`);
    });
  }

  test('serve without --issue-tokens has no token route', async () => {
    const { child, url, exited } = await startServe([
      '--strategy',
      'db-lookup',
      '--port',
      '0',
      '--pg-url',
      db.url,
      '--redis-url',
      serviceUrls().redisUrl,
    ]);
    try {
      assert.equal((await request(url, '/auth/token', { method: 'POST', body: { userId: 1 } })).status, 404);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  test('serve against an empty database it was pointed at: a clear error, exit 1', async () => {
    const empty = await createTestDatabase('cli_empty');
    try {
      const r = await runCli([
        'serve',
        '--strategy',
        'db-lookup',
        '--port',
        '0',
        '--pg-url',
        empty.url,
        '--redis-url',
        serviceUrls().redisUrl,
      ]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /holds no authbench seed: run `authbench seed` first/);
    } finally {
      await empty.drop();
    }
  });
});

test('importing the CLI module runs nothing; its program lists every command', async () => {
  const before = process.exitCode;
  const { buildProgram } = await import('../../../bench/cli/main.js');
  assert.equal(process.exitCode, before, 'no main() ran on import');
  const names = buildProgram().commands.map((c) => c.name());
  assert.deepEqual(names, [
    'serve',
    'seed',
    'run',
    'ci',
    'sweep',
    'export',
    'import',
    'freshness',
    'compare',
    'predict',
    'report',
  ]);
  const run = buildProgram().commands.find((c) => c.name() === 'run')!;
  assert.ok(
    run.options.some((o) => o.long === '--dry-run'),
    'run --dry-run',
  );
});

test('--help lists the commands and exits 0', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0, r.stderr);
  for (const c of ['serve', 'seed', 'run', 'ci', 'sweep', 'freshness', 'compare', 'predict', 'report']) {
    assert.match(r.stdout, new RegExp(`^  ${c}\\b`, 'm'), c);
  }
});

test('the recorded command line: URL passwords and query passwords replaced, whatever they hold', async () => {
  const { redactArg } = await import('../../../bench/cli/main.js');
  assert.equal(redactArg('postgres://u:pa,ss@h:5432/db'), 'postgres://u:***@h:5432/db');
  assert.equal(redactArg('postgres://u:p@ss w@h/db'), 'postgres://u:***@h/db');
  assert.equal(redactArg('--pg-url=postgres://u:secret@h/db'), '--pg-url=postgres://u:***@h/db');
  assert.equal(redactArg('postgres://h/db?user=u&password=secret'), 'postgres://h/db?user=u&password=***');
  assert.equal(redactArg('redis://:secret@h:6379'), 'redis://:***@h:6379');
  assert.equal(
    redactArg('postgres://postgres@127.0.0.1/db'),
    'postgres://postgres@127.0.0.1/db',
    'no password: unchanged',
  );
  assert.equal(redactArg('--rounds'), '--rounds');
});
