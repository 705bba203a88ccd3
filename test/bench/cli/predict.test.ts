import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../../bench/infra/paths.js';
import { RESULTS_V1, MODEL_FIXTURE, modelFixture } from '../fixture-records.js';

const CLI = join(projectRoot(), 'dist', 'bench', 'cli', 'bin.js');
const predict = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, 'predict', ...args], { encoding: 'utf8', timeout: 30_000 });

test('authbench predict: from a calibrated record, for other conditions, without load, in about a second', () => {
  const record = modelFixture();
  const t0 = performance.now();
  const r = predict(
    '--calibration',
    MODEL_FIXTURE,
    '--db-rtt-ms',
    '4',
    '--pool-size',
    '20',
    '--connections',
    '300',
  );
  const seconds = (performance.now() - t0) / 1000;
  assert.equal(r.status, 0, r.stderr);
  assert.ok(seconds < 5, `${seconds.toFixed(1)} s`);
  assert.match(r.stdout, /predicted for 300 connections, a pool of 20, a 4\.00 ms database round trip:/);
  for (const s of Object.keys(record.model!.calibration.strategies))
    assert.match(r.stdout, new RegExp(`^${s} +\\d+ +`, 'm'), `${s} has a row`);
  assert.match(r.stdout, /^predicted gain of jwt-redis over db-lookup: [+−]\d+\.\d%$/m);
  assert.match(r.stdout, /how this model did where it was measured/);
  // As measured: the same prediction the record holds.
  const same = predict('--calibration', MODEL_FIXTURE, '--strategies', 'db-lookup,jwt-redis');
  assert.equal(same.status, 0, same.stderr);
  const rps = Math.round(record.model!.predicted['db-lookup']!.requestsPerSecond);
  assert.match(same.stdout, new RegExp(`^db-lookup +${rps} `, 'm'));
});

test('authbench predict: a slower link lowers a pool-bound prediction', () => {
  const rps = (rtt: string): number => {
    const r = predict(
      '--calibration',
      MODEL_FIXTURE,
      '--db-rtt-ms',
      rtt,
      '--strategies',
      'db-lookup,jwt-redis',
    );
    assert.equal(r.status, 0, r.stderr);
    return Number(/^db-lookup +(\d+) /m.exec(r.stdout)![1]);
  };
  assert.ok(rps('6') < rps('1'), 'farther database, fewer requests per second');
});

test('authbench predict: bad flags name the flag and the rule; a record without a calibration says so', () => {
  const bad = predict('--calibration', MODEL_FIXTURE, '--db-rtt-ms', 'far');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--db-rtt-ms must be a number from 0 to 10000 \(got "far"\)/);
  const pool = predict('--calibration', MODEL_FIXTURE, '--pool-size', '0');
  assert.equal(pool.status, 2);
  assert.match(pool.stderr, /--pool-size must be an integer from 1 to 1000/);
  const unknown = predict('--calibration', MODEL_FIXTURE, '--strategies', 'db-lookup,ldap');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /--strategies must be a comma-separated list of/);
  const old = predict('--calibration', RESULTS_V1);
  assert.equal(old.status, 1);
  assert.match(old.stderr, /no calibration in this file/);
  const missing = predict('--calibration', '/nonexistent/results.json');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /cannot read results file/);
});
