import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { findWrk } from '../../../bench/infra/binaries.js';
import { toRoundRecord } from '../../../bench/engine/load/round-record.js';
import { parseWrkOutput, runWrk, wrkReport } from '../../../bench/engine/load/wrk.js';

test("wrk's summary as a generator report: timeouts in errors as autocannon counts them, non-2xx apart", () => {
  const s = parseWrkOutput(
    'Running 1s test\nAUTHBENCH {"durationUs":2000000,"requests":1000,"connect":0,"read":2,"write":0,"status":10,' +
      '"timeout":3,"p50":1500,"p90":2500,"p99":4000,"p999":9000,"max":12000,"cpuSeconds":0.5}\n',
  );
  const r = wrkReport(s);
  assert.equal(r.result.duration, 2);
  assert.equal(r.result['2xx'], 990);
  assert.equal(r.result.non2xx, 10);
  assert.equal(r.result.errors, 5, 'socket errors and timeouts, as autocannon reports them');
  assert.equal(r.result.timeouts, 3);
  assert.equal(r.cpuPercent, 25);
  const round = toRoundRecord(r, { index: 0, round: 1, strategy: 'db-lookup', serverCpuPercent: null });
  assert.equal(round.status, 'invalid');
  assert.equal(round.errors, 2, 'disjoint: the socket errors only');
  assert.equal(round.timeouts, 3);
  assert.throws(
    () => parseWrkOutput('connection refused\n'),
    /wrk printed no summary line: connection refused/,
  );
});

test('a real wrk run: every token in rotation, the counts right, a 503 makes the round invalid', async () => {
  const wrk = findWrk();
  assert.ok(wrk, 'wrk must be installed (Debian: apt-get install wrk); .ci/run installs it');
  const seen = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    seen.set(auth, (seen.get(auth) ?? 0) + 1);
    res.statusCode = auth === 'Bearer bad' ? 503 : 200;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const job = {
      url,
      path: '/api/dashboard',
      tokens: ['a', 'b', 'c'],
      connections: 2,
      durationSeconds: 1,
      timeoutSeconds: 5,
    };
    const ok = await runWrk(wrk, job);
    assert.ok(ok.result['2xx'] > 100, `${ok.result['2xx']} responses`);
    assert.equal(ok.result.non2xx, 0);
    assert.ok(ok.result.duration >= 0.9 && ok.result.duration < 2, `${ok.result.duration} s`);
    assert.ok(ok.latencyUs.p50 > 0 && ok.latencyUs.p99 >= ok.latencyUs.p50);
    assert.ok(ok.cpuPercent > 0 && ok.cpuPercent <= 110, `wrk's own CPU ${ok.cpuPercent}%`);
    assert.deepEqual(
      [...seen.keys()].sort(),
      ['Bearer a', 'Bearer b', 'Bearer c'],
      'every token, in rotation',
    );
    const counts = [...seen.values()];
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 2, `evenly: ${counts.join(', ')}`);
    const round = toRoundRecord(ok, { index: 0, round: 1, strategy: 'jwt-redis', serverCpuPercent: null });
    assert.equal(round.status, 'valid');
    const bad = await runWrk(wrk, { ...job, tokens: ['a', 'bad'] });
    assert.ok(bad.result.non2xx > 0);
    const invalid = toRoundRecord(bad, { index: 1, round: 1, strategy: 'jwt-redis', serverCpuPercent: null });
    assert.equal(invalid.status, 'invalid');
    await assert.rejects(runWrk(wrk, { ...job, url: 'http://127.0.0.1:1' }), /wrk/);
  } finally {
    server.close();
  }
});
