import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import { dockerAvailable } from '../../../bench/infra/docker.js';
import { tempDir } from './helpers.js';

/** A fake engine: answers GET /_ping like dockerd (or with `status`/`body` to be wrong). */
async function fakeEngine(listenOn: string | number, status = 200, body = 'OK'): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url === '/_ping') {
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(body);
    } else {
      res.writeHead(404).end();
    }
  });
  if (typeof listenOn === 'string') server.listen(listenOn);
  else server.listen(listenOn, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}

test('a unix-socket engine that answers /_ping with 200 OK is available', async () => {
  const dir = tempDir('authbench-docker-');
  const socket = path.join(dir, 'docker.sock');
  const server = await fakeEngine(socket);
  try {
    assert.equal(await dockerAvailable({ DOCKER_HOST: `unix://${socket}` }), true);
    // The same socket found among the default candidates (DOCKER_HOST unset).
    assert.equal(await dockerAvailable({}, { sockets: [path.join(dir, 'absent.sock'), socket] }), true);
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a tcp DOCKER_HOST engine is pinged over HTTP', async () => {
  const server = await fakeEngine(0);
  try {
    const { port } = server.address() as net.AddressInfo;
    assert.equal(await dockerAvailable({ DOCKER_HOST: `tcp://127.0.0.1:${port}` }), true);
  } finally {
    server.close();
  }
});

test('an engine answering anything but 200 "OK" is not available', async () => {
  const dir = tempDir('authbench-docker-');
  const wrongStatus = await fakeEngine(path.join(dir, 'a.sock'), 500, 'OK');
  const wrongBody = await fakeEngine(path.join(dir, 'b.sock'), 200, 'nginx');
  try {
    assert.equal(await dockerAvailable({ DOCKER_HOST: `unix://${path.join(dir, 'a.sock')}` }), false);
    assert.equal(await dockerAvailable({ DOCKER_HOST: `unix://${path.join(dir, 'b.sock')}` }), false);
  } finally {
    wrongStatus.close();
    wrongBody.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a socket path that exists but where nobody listens is not available, quickly', async () => {
  const dir = tempDir('authbench-docker-');
  try {
    // A stale socket: its listener was killed, the file stays.
    const stale = path.join(dir, 'stale.sock');
    const child = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(stale)}, () => console.log('up'))`,
    ]);
    await once(child.stdout, 'data');
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.ok(fs.existsSync(stale), 'the stale socket file should remain');
    const staleResult = await timed(() => dockerAvailable({ DOCKER_HOST: `unix://${stale}` }));
    assert.equal(staleResult.value, false);
    assert.ok(staleResult.ms < 2_000, `took ${staleResult.ms} ms`);

    // A plain file where the socket should be.
    const file = path.join(dir, 'file.sock');
    fs.writeFileSync(file, '');
    const fileResult = await timed(() => dockerAvailable({}, { sockets: [file] }));
    assert.equal(fileResult.value, false);
    assert.ok(fileResult.ms < 2_000, `took ${fileResult.ms} ms`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an engine that accepts but never answers is not available, in under 2 s', async () => {
  const dir = tempDir('authbench-docker-');
  const socket = path.join(dir, 'mute.sock');
  const held: net.Socket[] = [];
  const server = net.createServer((conn) => held.push(conn)); // never writes a byte
  server.listen(socket);
  await once(server, 'listening');
  try {
    const { value, ms } = await timed(() => dockerAvailable({ DOCKER_HOST: `unix://${socket}` }));
    assert.equal(value, false);
    assert.ok(ms < 2_000, `took ${ms} ms`);
  } finally {
    for (const conn of held) conn.destroy();
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('no socket at all is answered false in under 200 ms', async () => {
  const dir = tempDir('authbench-docker-');
  try {
    const absent = await timed(() =>
      dockerAvailable(
        { HOME: dir },
        { sockets: [path.join(dir, 'docker.sock'), path.join(dir, 'run', 'docker.sock')] },
      ),
    );
    assert.equal(absent.value, false);
    assert.ok(absent.ms < 200, `took ${absent.ms} ms`);

    const missingHost = await timed(() =>
      dockerAvailable({ DOCKER_HOST: `unix://${path.join(dir, 'nope.sock')}` }),
    );
    assert.equal(missingHost.value, false);
    assert.ok(missingHost.ms < 200, `took ${missingHost.ms} ms`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the default probe on this machine answers in well under 2 s', async () => {
  const dir = tempDir('authbench-docker-');
  try {
    // Whatever the answer (a developer may run Docker), it must come fast.
    const { value, ms } = await timed(() => dockerAvailable({ HOME: dir }));
    assert.equal(typeof value, 'boolean');
    assert.ok(ms < 2_000, `took ${ms} ms`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
