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
