import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FRONTIER_FLOOR_MS, chartSpecs, frontierChart } from '../../../bench/output/charts.js';
import { matrixFixture as withMatrix, resultsFixture } from '../fixture-records.js';

test('no frontier without the ceiling and a freshness phase', () => {
  assert.equal(frontierChart([resultsFixture()]), null);
  assert.deepEqual(
    chartSpecs(resultsFixture()).map((c) => c.id),
    ['throughput', 'rounds', 'latency', 'costs'],
  );
});

test('the frontier comes first: × ceiling against the worst staleness, safe strategies filled', () => {
  const specs = chartSpecs(withMatrix());
  assert.equal(specs[0]!.id, 'frontier');
  const data = specs[0]!.config.data as {
    datasets: Array<{ label: string; data: Array<{ x: number; y: number }>; backgroundColor: string }>;
  };
  const byLabel = Object.fromEntries(data.datasets.map((d) => [d.label.split(' ')[0], d]));
  assert.deepEqual(
    byLabel['db-lookup']!.data,
    [{ x: 0.7, y: FRONTIER_FLOOR_MS }],
    'never stale: on the floor',
  );
  assert.deepEqual(byLabel['jwt-redis']!.data, [{ x: 0.712, y: 142.3 }], 'stale within its δ: its worst');
  assert.deepEqual(byLabel['jwt-only']!.data, [{ x: 0.9, y: 29_000 }]);
  assert.match(byLabel['jwt-only']!.label, /8329 stale acceptances/);
  assert.equal(byLabel['jwt-only']!.backgroundColor, 'rgba(0,0,0,0)', 'unsafe: hollow');
  assert.notEqual(byLabel['jwt-redis']!.backgroundColor, 'rgba(0,0,0,0)', 'safe: filled');
});

test('one frontier for a run: a point per strategy and regime, a colour per strategy, a shape per regime', () => {
  const local = withMatrix();
  const seed = withMatrix('seed-regime');
  const spec = frontierChart([local, seed])!;
  const data = spec.config.data as {
    datasets: Array<{ label: string; borderColor: string; pointStyle: string }>;
  };
  assert.equal(data.datasets.length, 6);
  const by = Object.fromEntries(data.datasets.map((d) => [d.label.split(' (')[0], d]));
  assert.ok(by['jwt-redis · local'] && by['jwt-redis · seed-regime']);
  assert.equal(by['jwt-redis · local']!.borderColor, by['jwt-redis · seed-regime']!.borderColor);
  assert.notEqual(by['jwt-redis · local']!.pointStyle, by['jwt-redis · seed-regime']!.pointStyle);
  assert.notEqual(by['jwt-redis · local']!.borderColor, by['db-lookup · local']!.borderColor);
  assert.match(spec.title, /\(local, seed-regime\)/);
  assert.deepEqual(
    chartSpecs(local, { frontier: false }).map((c) => c.id),
    ['throughput', 'rounds', 'latency', 'costs'],
    "a run's scenario sections leave the frontier to the run",
  );
});
