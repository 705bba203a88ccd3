import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startLocalRedis } from '../../../bench/infra/local-redis.js';
import { tempDir, waitGone } from './helpers.js';

test('a local redis restarts on the same port without its data', async () => {
  const server = await startLocalRedis();
  try {
    assert.equal(server.url, `redis://127.0.0.1:${server.port}`);
    assert.match(server.version, /^Redis \d+\.\d+/);
    const firstPid = server.pid();
    assert.ok(firstPid !== undefined && firstPid > 0);

    const client = new Redis(server.url, { lazyConnect: true });
    await client.connect();
    await client.set('authbench:test', 'before restart');
    assert.deepEqual(await client.config('GET', 'save'), ['save', '']);
    assert.deepEqual(await client.config('GET', 'appendonly'), ['appendonly', 'no']);
    client.disconnect();

    await server.stop();
    assert.equal(server.pid(), undefined);
    assert.ok(await waitGone(firstPid), `redis-server ${firstPid} still exists after stop()`);
    assert.ok(fs.existsSync(server.dir), 'stop() keeps the dir');

    await server.start();
    const secondPid = server.pid();
    assert.ok(secondPid !== undefined && secondPid !== firstPid);
    const again = new Redis(server.url, { lazyConnect: true });
    await again.connect();
    assert.equal(await again.get('authbench:test'), null, 'no persistence: the data is gone');
    again.disconnect();

    await server.destroy();
    assert.ok(await waitGone(secondPid), `redis-server ${secondPid} still exists after destroy()`);
    assert.equal(fs.existsSync(server.dir), false);
    await server.destroy(); // idempotent
  } finally {
    await server.destroy();
  }
});

test('a redis-server that fails to start is reported with the tail of its log', async () => {
  const binDir = tempDir('authbench-fake-redis-');
  // The server may run as an unprivileged user (we may be root): it must reach the script.
  fs.chmodSync(binDir, 0o755);
  const fake = path.join(binDir, 'redis-server');
  fs.writeFileSync(
    fake,
    '#!/bin/sh\n' +
      'if [ "$1" = "--version" ]; then echo "Redis server v=0.0.1 sha=0"; exit 0; fi\n' +
      'echo "FATAL: fake redis refuses to start" >&2\nexit 1\n',
  );
  fs.chmodSync(fake, 0o755);
  try {
    await assert.rejects(startLocalRedis({ searchPath: [binDir] }), (err: Error) => {
      assert.match(err.message, /exited during startup/);
      assert.match(err.message, /FATAL: fake redis refuses to start/);
      return true;
    });
  } finally {
    fs.rmSync(binDir, { recursive: true, force: true });
  }
  const leftovers = fs
    .readdirSync(path.dirname(binDir))
    .filter((name) => name.startsWith('authbench-redis-'));
  // Other tests may run concurrently, so only check that the failed start cleaned its own dir up:
  // none of the remaining dirs may hold the fake's log line.
  for (const name of leftovers) {
    const log = path.join(path.dirname(binDir), name, 'redis.log');
    if (fs.existsSync(log)) assert.doesNotMatch(fs.readFileSync(log, 'utf8'), /fake redis/);
  }
});

test('without redis-server in the search path the error says where it looked', async () => {
  const empty = tempDir('authbench-empty-');
  try {
    await assert.rejects(startLocalRedis({ searchPath: [empty] }), new RegExp(`no redis-server in ${empty}`));
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});
