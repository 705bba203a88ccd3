import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { registeredCleanupCount } from '../../../bench/infra/cleanup.js';
import { InfraUnavailableError, resolveInfra } from '../../../bench/infra/index.js';
import {
  EXISTING_PG_URL,
  EXISTING_REDIS_URL,
  inspectLocal,
  inspectRedis,
  ping,
  selectOne,
  tempDir,
  waitGone,
} from './helpers.js';

test('url mode uses the given services and stop() leaves them alone', async () => {
  const infra = await resolveInfra({
    env: { DATABASE_URL: EXISTING_PG_URL, REDIS_URL: EXISTING_REDIS_URL },
    docker: 'never',
  });
  assert.equal(infra.pgMode, 'url');
  assert.equal(infra.redisMode, 'url');
  assert.equal(infra.pgUrl, EXISTING_PG_URL);
  assert.equal(infra.redisUrl, EXISTING_REDIS_URL);
  assert.match(
    infra.description,
    /^postgres: url .* \(from DATABASE_URL\); redis: url .* \(from REDIS_URL\)$/,
  );
  assert.equal(await selectOne(infra.pgUrl), 1);
  assert.equal(await ping(infra.redisUrl), 'PONG');
  const redisBefore = await inspectRedis(infra.redisUrl);

  await infra.stop();
  await infra.stop(); // idempotent

  assert.equal(await selectOne(EXISTING_PG_URL), 1);
  assert.equal(await ping(EXISTING_REDIS_URL), 'PONG');
  assert.equal((await inspectRedis(EXISTING_REDIS_URL)).pid, redisBefore.pid);
});

test('explicit options win over the environment and are named as the source', async () => {
  const infra = await resolveInfra({
    pgUrl: EXISTING_PG_URL,
    redisUrl: EXISTING_REDIS_URL,
    env: { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/nothing', REDIS_URL: 'redis://127.0.0.1:1' },
  });
  try {
    assert.equal(infra.pgUrl, EXISTING_PG_URL);
    assert.equal(infra.redisUrl, EXISTING_REDIS_URL);
    assert.match(infra.description, /\(from --pg-url\).*\(from --redis-url\)/);
  } finally {
    await infra.stop();
  }
});

test('each service is resolved on its own: a postgres URL and a local redis', async () => {
  const infra = await resolveInfra({ env: { DATABASE_URL: EXISTING_PG_URL }, docker: 'never' });
  try {
    assert.equal(infra.pgMode, 'url');
    assert.equal(infra.redisMode, 'local');
    assert.notEqual(infra.redisUrl, EXISTING_REDIS_URL);
    assert.equal(await ping(infra.redisUrl), 'PONG');
  } finally {
    await infra.stop();
  }
  assert.equal(await selectOne(EXISTING_PG_URL), 1);
});

test('local mode starts throwaway postgres and redis, and stop() removes them', async () => {
  const lines: string[] = [];
  const registeredBefore = registeredCleanupCount();
  const infra = await resolveInfra({ env: {}, docker: 'never', log: (line) => lines.push(line) });
  let stopped = false;
  try {
    assert.equal(registeredCleanupCount(), registeredBefore + 2, 'both instances registered for cleanup');
    assert.equal(infra.pgMode, 'local');
    assert.equal(infra.redisMode, 'local');
    assert.match(infra.pgUrl, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/authbench$/);
    assert.match(infra.redisUrl, /^redis:\/\/127\.0\.0\.1:\d+$/);
    assert.match(
      infra.description,
      /^postgres: local throwaway cluster on 127\.0\.0\.1:\d+ \(PostgreSQL [\d.]+\); redis: local throwaway redis-server on 127\.0\.0\.1:\d+ \(Redis [\d.]+\)$/,
    );
    assert.ok(
      lines.some((line) => line.startsWith('postgres: started')),
      lines.join('\n'),
    );
    assert.equal(await selectOne(infra.pgUrl), 1);
    assert.equal(await ping(infra.redisUrl), 'PONG');

    const state = await inspectLocal(infra.pgUrl, infra.redisUrl);
    assert.ok(fs.existsSync(state.pgDir) && fs.existsSync(state.redisDir));
    await infra.stop();
    stopped = true;
    await infra.stop(); // idempotent
    assert.equal(registeredCleanupCount(), registeredBefore, 'destroyed instances unregister');

    assert.ok(await waitGone(state.pgPid), `postmaster ${state.pgPid} still exists`);
    assert.ok(await waitGone(state.redisPid), `redis-server ${state.redisPid} still exists`);
    assert.equal(fs.existsSync(state.pgDir), false, `${state.pgDir} still exists`);
    assert.equal(fs.existsSync(state.redisDir), false, `${state.redisDir} still exists`);
  } finally {
    if (!stopped) await infra.stop();
  }
});

test('with no URL, no Docker and no binaries, one error names the three ways', async () => {
  const empty = tempDir('authbench-empty-');
  try {
    const started = Date.now();
    await assert.rejects(resolveInfra({ env: {}, docker: 'never', searchPath: [empty] }), (err: unknown) => {
      assert.ok(err instanceof InfraUnavailableError, String(err));
      const message = err.message;
      for (const needle of [
        'DATABASE_URL',
        'REDIS_URL',
        '--pg-url',
        '--redis-url',
        'Docker',
        'initdb',
        'pg_ctl',
        'redis-server',
      ]) {
        assert.ok(message.includes(needle), `message lacks ${needle}:\n${message}`);
      }
      assert.match(message, /three ways/);
      assert.ok(message.includes(empty), 'the message names where it looked');
      return true;
    });
    assert.ok(Date.now() - started < 2_000);
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

test('a missing binary for only one service still fails before anything starts', async () => {
  const empty = tempDir('authbench-empty-');
  try {
    await assert.rejects(
      resolveInfra({ env: { DATABASE_URL: EXISTING_PG_URL }, docker: 'never', searchPath: [empty] }),
      (err: unknown) => {
        assert.ok(err instanceof InfraUnavailableError);
        assert.match(err.message, /cannot provide redis \(no redis-server in /);
        assert.doesNotMatch(err.message, /cannot provide postgres/);
        return true;
      },
    );
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

test('a bad URL is rejected with the flag or variable and the rule', async () => {
  await assert.rejects(
    resolveInfra({ env: { DATABASE_URL: 'mysql://root:hunter2@db/app' } }),
    (err: Error) => {
      assert.match(err.message, /DATABASE_URL/);
      assert.match(err.message, /--pg-url/);
      assert.match(err.message, /postgres:\/\/ or postgresql:\/\//);
      assert.doesNotMatch(err.message, /hunter2/, 'the password is not echoed');
      return true;
    },
  );
  await assert.rejects(
    resolveInfra({ pgUrl: 'not a url', env: {} }),
    /invalid --pg-url "not a url": .*must be a postgres:\/\/ or postgresql:\/\/ URL/,
  );
  await assert.rejects(
    resolveInfra({ env: { REDIS_URL: 'http://127.0.0.1:6379' } }),
    /invalid REDIS_URL .*redis:\/\/ or rediss:\/\//,
  );
  await assert.rejects(resolveInfra({ redisUrl: '', env: {} }), /--redis-url/);
});
