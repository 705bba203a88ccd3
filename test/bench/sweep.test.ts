import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULTS } from '../../bench/config.js';
import type { ResultsRecord } from '../../bench/results.js';
import { renderSweep, summarizeSweep, sweepConfigs } from '../../bench/sweep.js';
import { projectRoot } from '../../sql/migrate.js';

const fixture = (): ResultsRecord => JSON.parse(readFileSync(join(projectRoot(), 'test', 'fixtures', 'data', 'results.json'), 'utf8')) as ResultsRecord;

test('sweep points: one validated config per value', () => {
  const points = sweepConfigs(DEFAULTS, 'connections', '10, 50,200');
  assert.deepEqual(points.map((p) => [p.value, p.config.connections]), [['10', 10], ['50', 50], ['200', 200]]);
  assert.ok(points.every((p) => p.config.rounds === DEFAULTS.rounds), 'everything else from the base');
  assert.deepEqual(sweepConfigs(DEFAULTS, 'jwt-verify', 'keyobject,string').map((p) => p.config.jwtVerify), ['keyobject', 'string']);
  assert.deepEqual(sweepConfigs(DEFAULTS, 'db-delay-ms', '0,1,2').map((p) => p.config.dbDelayMs), [0, 1, 2]);
});

test('bad sweep input names the flag and the rule', () => {
  assert.throws(() => sweepConfigs(DEFAULTS, 'colour', '1,2'), { message: /^--param must be one of connections, db-delay-ms, pool-size, users, jwt-verify \(got "colour"\)$/ });
  assert.throws(() => sweepConfigs(DEFAULTS, 'connections', '10'), { message: /^--values must be at least two distinct comma-separated values/ });
  assert.throws(() => sweepConfigs(DEFAULTS, 'connections', '10,0'), { message: /^--connections must be an integer from 1 to 10000 \(got "0"\)$/ });
});

test('the summary finds where the latency difference reaches the write-up\'s 80 ms', () => {
  const small = fixture();
  const large = fixture();
  large.comparison!.p50DeltaMs = { median: -95, ci95: [-110, -85] };
  const s = summarizeSweep('seed-regime', 'connections', 'now', [{ value: '50', record: small }, { value: '400', record: large }]);
  assert.equal(s.points.length, 2);
  assert.equal(s.points[0]!.throughputRatio!.median, small.comparison!.throughputRatio.median);
  assert.equal(s.latencyClaimReachedAt, '400');
  assert.match(renderSweep(s), /reaches the write-up's 80 ms \(95% CI entirely beyond it\) at 400 connections, measured\./);
  const none = summarizeSweep('local', 'connections', 'now', [{ value: '8', record: small }, { value: '16', record: fixture() }]);
  assert.equal(none.latencyClaimReachedAt, null);
  assert.match(renderSweep(none), /does not reach the write-up's 80 ms anywhere in the measured range/);
});
