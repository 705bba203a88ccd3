/**
 * `npm test`: resolves Postgres and Redis once (URLs, Docker or throwaway local instances, as
 * the bench does), hands them to node's test runner through DATABASE_URL / REDIS_URL, and tears
 * them down afterwards. If no infrastructure can be had the run fails: nothing skips.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { resolveInfra } from '../bench/infra/index.js';
import { projectRoot } from '../bench/infra/paths.js';

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (entry.endsWith('.test.js')) out.push(path);
  }
  return out;
}

async function main(): Promise<number> {
  const root = projectRoot();
  const filter = process.argv.slice(2);
  const files = testFiles(join(root, 'dist', 'test')).filter(
    (f) => filter.length === 0 || filter.some((x) => f.includes(x)),
  );
  if (files.length === 0) {
    process.stderr.write(`no test files match ${filter.join(' ')}\n`);
    return 1;
  }
  const infra = await resolveInfra({ log: (line) => process.stderr.write(`[infra] ${line}\n`) });
  process.stderr.write(`[infra] ${infra.description}\n`);
  try {
    const child = spawn(
      process.execPath,
      ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files.map((f) => relative(root, f))],
      {
        cwd: root,
        stdio: 'inherit',
        env: { ...process.env, DATABASE_URL: infra.pgUrl, REDIS_URL: infra.redisUrl, AUTHBENCH_TEST: '1' },
      },
    );
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal);
    };
    process.once('SIGINT', forward);
    process.once('SIGTERM', forward);
    return await new Promise<number>((resolve) => {
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
  } finally {
    await infra.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`npm test: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
