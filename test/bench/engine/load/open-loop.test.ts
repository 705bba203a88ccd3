import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runLoad } from '../../../../bench/engine/load/closed-loop.js';
import { runOpenLoop } from '../../../../bench/engine/load/open-loop.js';

/** A server that answers in ~1 ms, except that once, 1 s in, its whole process stalls for 500 ms. */
async function stallingServer(): Promise<{ url: string; close(): void }> {
  let started = 0;
  let stalled = false;
  const server = http.createServer((_req, res) => {
    const now = Date.now();
    started ||= now;
    if (!stalled && now - started > 1000) {
      stalled = true;
      const until = Date.now() + 500;
      while (Date.now() < until) {
        /* a GC pause, a lock, a slow disk: the process stops */
      }
    }
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

test('a 500 ms stall shows in the open-model p99 and hides in the closed model', async () => {
  const open = await stallingServer();
  const closed = await stallingServer();
  try {
    const o = await runOpenLoop({
      url: open.url,
      path: '/',
      tokens: ['t'],
      rate: 200,
      durationSeconds: 3,
      maxSockets: 64,
      timeoutSeconds: 5,
    });
    assert.equal(o.errors + o.non2xx + o.unfinished, 0);
    assert.ok(Math.abs(o.achievedRate - 200) < 30, `achieved ${o.achievedRate.toFixed(0)} req/s of 200`);
    // ~100 requests (500 ms × 200/s) queue behind the stall: far more than 1% of 600.
    assert.ok(o.latencyUs.p99 > 250_000, `open-model p99 ${o.latencyUs.p99} µs shows the stall`);

    const c = await runLoad({
      url: closed.url,
      path: '/',
      tokens: ['t'],
      connections: 1,
      durationSeconds: 3,
      timeoutSeconds: 5,
    });
    // One connection waits politely through the stall: one slow request among thousands.
    assert.ok(c.latencyUs.max > 400_000, 'the closed model did see the stall once');
    assert.ok(c.latencyUs.p99 < 50_000, `closed-model p99 ${c.latencyUs.p99} µs hides it`);
  } finally {
    open.close();
    closed.close();
  }
});

test('warm-up is sent and discarded; a request unanswered at its timeout is a failure entered at the timeout', async () => {
  // Tokens rotate by send index: every 10th request hangs (never answered), the next gets a 503.
  const tokens = [...Array<string>(8).fill('ok'), 'hang', 'fail'];
  let received = 0;
  const hung: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    received++;
    const auth = req.headers.authorization;
    if (auth === 'Bearer hang') hung.push(res);
    else if (auth === 'Bearer fail') res.writeHead(503).end();
    else res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const t0 = Date.now();
    const o = await runOpenLoop({
      url,
      path: '/',
      tokens,
      rate: 100,
      warmupSeconds: 1,
      durationSeconds: 2,
      maxSockets: 64,
      timeoutSeconds: 1,
    });
    const wall = (Date.now() - t0) / 1000;
    // 100 warm-up requests were sent and answered, and are in no count.
    assert.equal(received, 300, 'warm-up and measured requests all reached the server');
    assert.equal(o.sent, 200, 'the measured window only');
    assert.equal(o.unfinished, 20, 'every hung request of the window, counted once');
    assert.equal(o.non2xx, 20);
    assert.equal(o.errors, 0, 'a timed-out request is not also an error');
    assert.equal(o.ok, 160);
    assert.equal(o.ok + o.non2xx + o.errors + o.unfinished, o.sent);
    // 10 % of the entries sit at the 1 s timeout: the p99 shows them, the p50 does not.
    assert.ok(o.latencyUs.p99 >= 1_000_000 && o.latencyUs.p99 < 1_100_000, `p99 ${o.latencyUs.p99} µs`);
    assert.ok(o.latencyUs.p50 < 100_000, `p50 ${o.latencyUs.p50} µs`);
    assert.ok(
      Math.abs(o.achievedRate - 100) < 15,
      `achieved ${o.achievedRate.toFixed(1)} req/s over the window`,
    );
    // The run ends one timeout after its last send, not later.
    assert.ok(wall < 3 + 1 + 1, `ended after ${wall.toFixed(2)} s`);
  } finally {
    for (const res of hung) res.destroy();
    server.close();
  }
});

test('refused connections are errors, and a run against nothing ends', async () => {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const o = await runOpenLoop({
    url: `http://127.0.0.1:${port}`,
    path: '/',
    tokens: ['t'],
    rate: 50,
    durationSeconds: 1,
    maxSockets: 8,
    timeoutSeconds: 2,
  });
  assert.equal(o.sent, 50);
  assert.equal(o.errors, 50);
  assert.equal(o.ok + o.non2xx + o.unfinished, 0);
});

test('replicas: requests alternate between them, each sees every user, IPv6 literals work', async () => {
  const seen: Array<Set<string>> = [new Set(), new Set()];
  const servers = [0, 1].map((i) =>
    http.createServer((req, res) => {
      seen[i]!.add(req.headers.authorization ?? '');
      res.end('{}');
    }),
  );
  await new Promise<void>((resolve) => servers[0]!.listen(0, '::1', resolve));
  await new Promise<void>((resolve) => servers[1]!.listen(0, '127.0.0.1', resolve));
  try {
    const o = await runOpenLoop({
      url: [
        `http://[::1]:${(servers[0]!.address() as AddressInfo).port}`,
        `http://127.0.0.1:${(servers[1]!.address() as AddressInfo).port}`,
      ],
      path: '/',
      // Two replicas and an even number of users: round-robin alone would give each half of them.
      tokens: ['a', 'b', 'c', 'd'],
      rate: 80,
      durationSeconds: 1,
      maxSockets: 8,
      timeoutSeconds: 2,
    });
    assert.equal(o.ok, 80);
    for (const s of seen) assert.deepEqual([...s].sort(), ['Bearer a', 'Bearer b', 'Bearer c', 'Bearer d']);
  } finally {
    for (const s of servers) s.close();
  }
});
