import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toRoundRecord, type GeneratorReport } from '../../../../bench/engine/load/round-record.js';
import { projectRoot } from '../../../../bench/infra/paths.js';

/** Captured from a real load-generator run (autocannon 8) against a server answering 503 to every 50th request. */
const captured = JSON.parse(
  readFileSync(join(projectRoot(), 'test', 'fixtures', 'data', 'generator-report.json'), 'utf8'),
) as GeneratorReport;
const meta = { index: 3, round: 2, strategy: 'jwt-redis' as const, serverCpuPercent: 88.5 };

test('a captured autocannon result maps into our round record', () => {
  const r = toRoundRecord(captured, meta);
  assert.equal(r.requests2xx, 1455, "autocannon's lower-case '2xx' bucket");
  assert.equal(r.non2xx, 29);
  assert.deepEqual(r.statusCodes, { 200: 1455, 503: 29 });
  assert.equal(r.durationSeconds, 1.01);
  assert.equal(r.requestsPerSecond, 1455 / 1.01, 'only 2xx responses count as throughput');
  assert.equal(r.generatorCpuPercent, captured.cpuPercent);
  assert.equal(r.serverCpuPercent, 88.5);
  assert.equal(r.status, 'invalid');
  assert.ok(!('latencyMs' in r), 'an invalid round carries no latency statistics');
  if (r.status === 'invalid') assert.deepEqual(r.invalidReasons, ['29 non-2xx responses (29× 503)']);
});

test('a clean result is valid; errors and timeouts each invalidate it', () => {
  const clean: GeneratorReport = {
    ...captured,
    result: { ...captured.result, non2xx: 0, statusCodeStats: { 200: { count: 1455 } } },
  };
  const valid = toRoundRecord(clean, meta);
  assert.equal(valid.status, 'valid');
  if (valid.status === 'valid')
    assert.equal(valid.latencyMs.p50, captured.latencyUs.p50 / 1000, 'our µs histogram, in ms');
  const reasons = (r: ReturnType<typeof toRoundRecord>): string[] =>
    r.status === 'invalid' ? r.invalidReasons : [];
  const errors = toRoundRecord({ ...clean, result: { ...clean.result, errors: 3 } }, meta);
  assert.deepEqual(reasons(errors), ['3 socket errors']);
  const timeouts = toRoundRecord({ ...clean, result: { ...clean.result, timeouts: 2, errors: 2 } }, meta);
  assert.deepEqual(
    reasons(timeouts),
    ['2 timeouts'],
    'autocannon counts a timeout in errors too: counted once',
  );
  assert.deepEqual([timeouts.errors, timeouts.timeouts], [0, 2], 'and stored once: the fields are disjoint');
  const both = toRoundRecord({ ...clean, result: { ...clean.result, timeouts: 2, errors: 5 } }, meta);
  assert.deepEqual([both.errors, both.timeouts], [3, 2]);
  const nothing = toRoundRecord(
    { ...clean, result: { ...clean.result, '2xx': 0, statusCodeStats: {} } },
    meta,
  );
  assert.deepEqual(reasons(nothing), ['no successful responses']);
  assert.equal(nothing.requestsPerSecond, 0);
});
