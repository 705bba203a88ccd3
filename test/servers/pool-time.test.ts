import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { startDelayProxy, type DelayProxyServer } from '../../bench/engine/delay-proxy.js';
import { parseMetrics, sumFamily } from '../../servers/metrics.js';
import { startServer } from '../../servers/server.js';
import { createTestDatabase, request, seedUrl, serverOptions, serviceUrls, tokenFor } from '../helpers.js';

test("the server counts the time its pooled connections are held: at least the link's round trip per query", async () => {
  const db = await createTestDatabase('pooltime');
  let proxy: DelayProxyServer | undefined;
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    await seedUrl(db.url, { seed: 42, users: 50 });
    const target = new URL(db.url);
    const delayMs = 5;
    proxy = await startDelayProxy({
      targetHost: target.hostname,
      targetPort: Number(target.port || 5432),
      delayMs,
    });
    const viaProxy = new URL(db.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String((proxy.server.address() as net.AddressInfo).port);
    server = await startServer(serverOptions('db-lookup', viaProxy.toString(), serviceUrls().redisUrl));
    const token = await tokenFor(server, 1);
    const read = async (): Promise<Map<string, number>> =>
      parseMetrics((await request(server!.url, '/metrics')).text);

    const before = await read();
    const n = 10;
    for (let i = 0; i < n; i++)
      assert.equal((await request(server.url, '/api/dashboard', { token })).status, 200);
    const after = await read();
    const queries =
      sumFamily(after, 'authbench_db_queries_total') - sumFamily(before, 'authbench_db_queries_total');
    const heldMs =
      1000 *
      (sumFamily(after, 'authbench_db_pool_held_seconds_total') -
        sumFamily(before, 'authbench_db_pool_held_seconds_total'));
    assert.equal(queries, 3 * n);
    // Timers never fire early, so each query holds its connection for at least the 10 ms round
    // trip; sequential requests leave little else to wait for.
    const perQuery = heldMs / queries;
    assert.ok(
      perQuery >= 2 * delayMs && perQuery < 4 * 2 * delayMs,
      `held ${perQuery.toFixed(2)} ms per query through a ${2 * delayMs} ms round trip`,
    );
  } finally {
    await server?.close();
    proxy?.close();
    await db.drop();
  }
});
