/**
 * The servers as a container image, for real: podman (with runc and the host's network, as
 * this project's machines need) builds ./Dockerfile unchanged on a locally built base, runs
 * the compose file's seed and both server services from it against the test Postgres and Redis,
 * and `authbench run --target` verifies and measures them. Without podman the test fails:
 * .ci/run installs it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { ResultsRecord } from '../../bench/schema/results.js';
import { projectRoot } from '../../bench/infra/paths.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { TEST_SECRET, TINY_LOAD, createTestDatabase, serviceUrls } from '../helpers.js';

const root = projectRoot();
const env = { ...process.env, CONTAINERS_CONF: join(root, 'deploy', 'containers.conf') };
const image = `localhost/authbench:test-${process.pid}`;
const names: string[] = [];

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: root, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr: stderr || (err && typeof err.code !== 'number' ? err.message : '') });
      },
    );
  });
}

async function podman(args: string[], timeoutMs?: number): Promise<string> {
  const r = await run('podman', args, timeoutMs);
  assert.equal(r.code, 0, `podman ${args.join(' ')}: ${r.stderr.slice(-2000)}`);
  return r.stdout.trim();
}

/** The flags every container here needs (crun fails on this host's cgroups; no bridge network). */
const RUN = ['run', '--runtime', 'runc', '--network', 'host'];

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

async function healthy(url: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return;
      last = `HTTP ${r.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url}/healthz not ok within ${ms} ms (${last})`);
}

interface ComposeService {
  profiles?: string[];
  image?: string;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
}

/** docker-compose.yml's services, merge keys resolved, as Compose reads them. */
function composeServices(): Record<string, ComposeService> {
  const doc = parseYaml(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  return doc.services;
}

/**
 * `podman run` arguments for a Compose service, with what only Compose provides replaced: the
 * service names postgres/redis become the test's URLs, the published port becomes PORT.
 */
function asRun(svc: ComposeService, env: Record<string, string>): string[] {
  const merged = { ...svc.environment, ...env };
  return [
    ...Object.entries(merged).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    ...(svc.entrypoint ? ['--entrypoint', JSON.stringify(svc.entrypoint)] : []),
    image,
    ...(svc.command ?? []),
  ];
}

describe('the container image (podman, runc, host network)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  before(async () => {
    const version = await run('podman', ['--version']);
    assert.equal(
      version.code,
      0,
      'podman is not installed: .ci/run installs it (apt-get install podman runc debootstrap)',
    );
    // The base cannot be pulled here; the script builds it once and is a no-op afterwards.
    const base = await run('bash', [join(root, 'deploy', 'base-image.sh')], 15 * 60_000);
    assert.equal(base.code, 0, `deploy/base-image.sh: ${base.stderr.slice(-2000)}`);
    await podman(
      // No cached layers: the test leaves no images behind but the base.
      [
        'build',
        '--layers=false',
        '--runtime',
        'runc',
        '--network',
        'host',
        '--format',
        'docker',
        '-t',
        image,
        '.',
      ],
      20 * 60_000,
    );
    db = await createTestDatabase('image');
  });
  after(async () => {
    for (const name of names) await run('podman', ['rm', '--force', '--time', '2', name]);
    await run('podman', ['rmi', '--force', image]);
    await db?.drop();
  });

  test('the image: non-root, /healthz as its healthcheck, serve as its entrypoint, JWT_SECRET required', async () => {
    // podman reports the healthcheck beside Config (Docker inside it): either will do.
    const [config] = JSON.parse(await podman(['image', 'inspect', image])) as Array<{
      Config: { User: string; Entrypoint: string[]; Healthcheck?: { Test: string[] } };
      Healthcheck?: { Test: string[] };
    }>;
    assert.ok(config);
    assert.equal(config.Config.User, 'node');
    assert.deepEqual(config.Config.Entrypoint.slice(0, 4), [
      'node',
      'dist/bench/cli/bin.js',
      'serve',
      '--require-jwt-secret',
    ]);
    assert.match((config.Healthcheck ?? config.Config.Healthcheck)?.Test.join(' ') ?? '', /\/healthz/);
    const noSecret = await run('podman', [...RUN, '--rm', image, '--strategy', 'db-lookup']);
    assert.equal(noSecret.code, 2, noSecret.stderr);
    assert.match(noSecret.stderr, /JWT_SECRET must be set \(--require-jwt-secret\)/);
  });

  test('the compose profile: its seed service loads the database, the bench measures its servers (target mode)', async () => {
    const { redisUrl } = serviceUrls();
    const services = composeServices();
    const seed = services.seed!;
    assert.deepEqual(seed.profiles, ['servers']);
    assert.equal(seed.depends_on?.postgres?.condition, 'service_healthy');
    const seeded = await run(
      'podman',
      [...RUN, '--rm', ...asRun(seed, { DATABASE_URL: db.url })],
      5 * 60_000,
    );
    assert.equal(seeded.code, 0, `the seed service: ${seeded.stderr.slice(-2000)}`);
    const targets = [];
    for (const strategy of ['db-lookup', 'jwt-redis'] as const) {
      const svc = services[strategy]!;
      assert.deepEqual(svc.profiles, ['servers'], `${strategy}: in the servers profile`);
      assert.equal(svc.image, 'authbench');
      assert.equal(svc.depends_on?.seed?.condition, 'service_completed_successfully');
      assert.match(
        svc.environment?.JWT_SECRET ?? '',
        /^\$\{JWT_SECRET:\?/,
        'Compose refuses to start without it',
      );
      assert.match(svc.ports?.[0] ?? '', /^127\.0\.0\.1:\d+:3000$/, 'published on loopback');
      const port = await freePort();
      const name = `authbench-test-${process.pid}-${strategy}`;
      names.push(name);
      await podman([
        ...RUN,
        '--detach',
        '--name',
        name,
        ...asRun(svc, {
          JWT_SECRET: TEST_SECRET,
          PORT: String(port),
          DATABASE_URL: db.url,
          REDIS_URL: redisUrl,
        }),
      ]);
      targets.push({ strategy, url: `http://127.0.0.1:${port}`, name });
    }
    for (const t of targets) {
      try {
        await healthy(t.url, 60_000);
      } catch (err) {
        const logs = await run('podman', ['logs', t.name]);
        throw new Error(`${(err as Error).message}\n${t.name} logs: ${logs.stdout}${logs.stderr}`);
      }
      assert.equal(await podman(['exec', t.name, 'id', '-u']), '1000', `${t.strategy} runs as the node user`);
      const check = await run('podman', ['healthcheck', 'run', t.name]);
      assert.equal(check.code, 0, `${t.strategy} healthcheck: ${check.stdout}${check.stderr}`);
    }
    // The bench pointed at them (target mode): verification, then measured rounds.
    const out = mkdtempSync(join(tmpdir(), 'authbench-image-'));
    try {
      const bench = await run(
        process.execPath,
        [
          join(root, 'dist', 'bench', 'cli', 'bin.js'),
          'run',
          ...targets.flatMap((t) => ['--target', `${t.strategy}=${t.url}`]),
          '--pg-url',
          db.url,
          '--redis-url',
          redisUrl,
          '--jwt-secret',
          TEST_SECRET,
          ...TINY_LOAD,
          '--open-fractions',
          'none',
          '--verify-users',
          '20',
          '--token-users',
          '100',
          '--results-dir',
          out,
        ],
        120_000,
      );
      assert.equal(bench.code, 0, `authbench run --target: ${bench.stderr.slice(-3000)}`);
      const latest = join(out, 'latest', 'target.json');
      const record = JSON.parse(readFileSync(latest, 'utf8')) as ResultsRecord;
      assert.equal(record.valid, true, record.warnings.join('\n'));
      assert.equal(record.verification.comparedResponses, 40, '20 users × 2 routes, identical 2xx bodies');
      assert.equal(record.strategies['db-lookup']!.queriesPerRequest, 3);
      assert.equal(record.strategies['jwt-redis']!.queriesPerRequest, 2);
      assert.equal(record.strategies['jwt-redis']!.redisCommandsPerRequest, 1);
      assert.deepEqual(Object.keys(record.env.targets ?? {}), ['db-lookup', 'jwt-redis']);
      assert.ok(record.comparisons[0]!.throughputRatio.median > 0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
