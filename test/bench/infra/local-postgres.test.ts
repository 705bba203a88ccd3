import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import pg from 'pg';
import { startLocalPostgres } from '../../../bench/infra/local-postgres.js';
import { tempDir, waitGone } from './helpers.js';

test('a local cluster keeps its data across stop() and start() on the same port', async () => {
  const cluster = await startLocalPostgres();
  try {
    assert.match(cluster.url, new RegExp(`^postgres://postgres@127\\.0\\.0\\.1:${cluster.port}/authbench$`));
    assert.match(cluster.version, /^PostgreSQL \d+/);
    assert.ok(cluster.dataDir.startsWith(cluster.dir));
    const firstPid = cluster.pid();
    assert.ok(firstPid !== undefined && firstPid > 0);

    const client = new pg.Client({ connectionString: cluster.url });
    await client.connect();
    // The settings the benchmark relies on.
    const settings = await client.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings
        WHERE name IN ('fsync', 'max_connections', 'listen_addresses', 'shared_preload_libraries')`,
    );
    const byName = Object.fromEntries(settings.rows.map((row) => [row.name, row.setting]));
    assert.equal(byName.fsync, 'off');
    assert.equal(byName.max_connections, '200');
    assert.equal(byName.listen_addresses, '127.0.0.1');
    assert.equal(byName.shared_preload_libraries, cluster.pgStatStatements ? 'pg_stat_statements' : '');
    await client.query('CREATE TABLE kept (v text)');
    await client.query(`INSERT INTO kept VALUES ('survives a restart')`);
    await client.end();

    await cluster.stop();
    assert.equal(cluster.pid(), undefined);
    assert.ok(await waitGone(firstPid), `postmaster ${firstPid} still exists after stop()`);
    assert.ok(fs.existsSync(cluster.dataDir), 'stop() keeps the data');
    await assert.rejects(
      new pg.Client({ connectionString: cluster.url, connectionTimeoutMillis: 2_000 }).connect(),
      /ECONNREFUSED/,
    );

    await cluster.start();
    const secondPid = cluster.pid();
    assert.ok(secondPid !== undefined && secondPid !== firstPid);
    const again = new pg.Client({ connectionString: cluster.url });
    await again.connect();
    const rows = await again.query<{ v: string }>('SELECT v FROM kept');
    assert.deepEqual(rows.rows, [{ v: 'survives a restart' }]);
    await again.end();

    await cluster.destroy();
    assert.ok(await waitGone(secondPid), `postmaster ${secondPid} still exists after destroy()`);
    assert.equal(fs.existsSync(cluster.dir), false);
    await cluster.destroy(); // idempotent
    await assert.rejects(cluster.start(), /was destroyed/);
  } finally {
    await cluster.destroy();
  }
});

test('without initdb/pg_ctl in the search path the error says what is missing and where it looked', async () => {
  const empty = tempDir('authbench-empty-');
  try {
    await assert.rejects(startLocalPostgres({ searchPath: [empty] }), (err: Error) => {
      assert.match(err.message, /no PostgreSQL server binaries \(initdb, pg_ctl and postgres/);
      assert.ok(err.message.includes(empty));
      return true;
    });
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});
