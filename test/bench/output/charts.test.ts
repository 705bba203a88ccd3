import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FRONTIER_FLOOR_MS, chartSpecs, frontierChart } from '../../../bench/output/charts.js';
import type { ResultsRecord, StrategyFreshness } from '../../../bench/schema/results.js';
import { resultsFixture } from '../fixture-records.js';

const freshness = (staleAccepted: number, maxStalenessMs: number | null): StrategyFreshness => ({
  staleAccepted,
  maxStalenessMs,
  revocationLatencyMs: null,
  declared: { apiMs: 0, sqlMs: 1000 },
  lockouts: 0,
  crashes: 0,
  pass: staleAccepted === 0,
  onRedisLoss: null,
  onPostgresLoss: null,
  record: 'f.json',
});

function withMatrix(): ResultsRecord {
  const r = resultsFixture();
  r.strategies['db-lookup']!.ceilingRatio = { median: 0.7, ci95: [0.65, 0.75], pairs: 20 };
  r.strategies['db-lookup']!.freshness = freshness(0, null);
  r.strategies['jwt-redis']!.ceilingRatio = { median: 0.712, ci95: [0.65, 0.8], pairs: 20 };
  r.strategies['jwt-redis']!.freshness = freshness(0, 142.26);
  r.strategies['jwt-only'] = {
    ...r.strategies['jwt-redis']!,
    ceilingRatio: { median: 0.9, ci95: [0.86, 0.94], pairs: 20 },
  };
  r.strategies['jwt-only']!.freshness = freshness(8329, 29_000);
  return r;
}

test('no frontier without the ceiling and a freshness phase', () => {
  assert.equal(frontierChart(resultsFixture()), null);
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
