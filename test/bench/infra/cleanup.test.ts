import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitGone, type LocalState } from './helpers.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'hold-infra.js');

interface Outcome {
  state: LocalState;
  hookLine: { hook: boolean; pgRunning: boolean } | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the fixture, lets `act` poke it once its infra is up, and collects how it ended. */
async function runFixture(mode: 'hold' | 'crash', act: (pid: number) => void): Promise<Outcome> {
  const child = spawn(process.execPath, [FIXTURE, mode], {
    env: { ...process.env, AUTHBENCH_HOLD_INFRA: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let state: LocalState | undefined;
  let hookLine: Outcome['hookLine'];
  for await (const line of readline.createInterface({ input: child.stdout })) {
    const parsed = JSON.parse(line) as LocalState | NonNullable<Outcome['hookLine']>;
    if ('hook' in parsed) hookLine = parsed;
    else {
      state = parsed;
      act(child.pid ?? -1);
    }
  }
  const { code, signal } = await exited;
  assert.ok(state, `the fixture never reported its infra (exit ${code ?? signal}):\n${stderr}`);
  return { state, hookLine, code, signal, stderr };
}

async function assertNothingLeft(state: LocalState): Promise<void> {
  assert.ok(await waitGone(state.pgPid), `postmaster ${state.pgPid} is still running`);
  assert.ok(await waitGone(state.redisPid), `redis-server ${state.redisPid} is still running`);
  assert.equal(fs.existsSync(state.pgDir), false, `${state.pgDir} is left behind`);
  assert.equal(fs.existsSync(state.redisDir), false, `${state.redisDir} is left behind`);
}

test('SIGTERM tears the local infra down and exits with 143', { timeout: 60_000 }, async () => {
  const outcome = await runFixture('hold', (pid) => process.kill(pid, 'SIGTERM'));
  assert.equal(outcome.code, 143, outcome.stderr);
  assert.deepEqual(
    outcome.hookLine,
    { hook: true, pgRunning: true },
    'shutdown hooks run before the cleanups',
  );
  await assertNothingLeft(outcome.state);
});

test('SIGINT tears the local infra down and exits with 130', { timeout: 60_000 }, async () => {
  const outcome = await runFixture('hold', (pid) => process.kill(pid, 'SIGINT'));
  assert.equal(outcome.code, 130, outcome.stderr);
  await assertNothingLeft(outcome.state);
});

test(
  'an uncaught error still tears the local infra down (sync fallbacks on exit)',
  { timeout: 60_000 },
  async () => {
    const outcome = await runFixture('crash', () => {});
    assert.equal(outcome.code, 1);
    assert.match(outcome.stderr, /fixture crash/);
    await assertNothingLeft(outcome.state);
  },
);
