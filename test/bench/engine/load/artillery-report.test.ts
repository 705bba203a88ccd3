/**
 * Artillery's report back into round records, from a real run (artillery 2.0.20, seed regime
 * with a 5 ms link, 200 virtual users, captured by `run --engine artillery`) and from copies of
 * it with one thing broken each: a slice missing, virtual users missing, failures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importArtilleryReport } from '../../../../bench/engine/load/artillery-report.js';
import { projectRoot } from '../../../../bench/infra/paths.js';
import type { ArtilleryPlan } from '../../../../bench/schema/artillery.js';

const dir = join(projectRoot(), 'test', 'fixtures', 'data', 'artillery');
const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as ArtilleryPlan;
interface Report {
  aggregate: { counters: Record<string, number>; summaries: Record<string, Record<string, number>> };
}
const report = (): Report => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;

test('a real report: every slice valid, throughput = 2xx ÷ the measured window, latency in ms', () => {
  const r = report();
  const out = importArtilleryReport(r, plan);
  assert.equal(out.warmup.length, 2);
  assert.equal(out.rounds.length, 4);
  assert.equal(out.openModel.length, 0);
  for (const x of [...out.warmup, ...out.rounds]) assert.equal(x.status, 'valid', JSON.stringify(x));
  const round1 = out.rounds.find((x) => x.round === 1 && x.strategy === 'db-lookup')!;
  const slice = plan.slices.find((s) => s.id === 'round-1.db-lookup')!;
  const window = (slice.endMs - slice.measureFromMs) / 1000;
  assert.equal(round1.durationSeconds, window);
  assert.equal(round1.requests2xx, r.aggregate.counters['authbench.round-1.db-lookup.ok']);
  assert.equal(round1.requestsPerSecond, round1.requests2xx / window);
  assert.equal(round1.index, plan.slices.indexOf(slice), 'index = position in the run order');
  if (round1.status === 'valid') {
    const s = r.aggregate.summaries['authbench.round-1.db-lookup.latency_us']!;
    assert.equal(round1.latencyMs.p50, s.p50! / 1000);
    assert.equal(round1.latencyMs.p99, s.p99! / 1000);
    assert.equal(round1.latencyMs.max, s.max! / 1000);
  }
  assert.deepEqual(
    out.rounds.map((x) => `${x.round}.${x.strategy}`),
    ['1.db-lookup', '1.jwt-redis', '2.jwt-redis', '2.db-lookup'],
    "the plan's order (alternating within rounds)",
  );
});

test('a slice with no data in the report is invalid, with the reason', () => {
  const r = report();
  for (const k of Object.keys(r.aggregate.counters))
    if (k.startsWith('authbench.round-2.jwt-redis.')) delete r.aggregate.counters[k];
  delete r.aggregate.summaries['authbench.round-2.jwt-redis.latency_us'];
  const x = importArtilleryReport(r, plan).rounds.find((y) => y.round === 2 && y.strategy === 'jwt-redis')!;
  assert.equal(x.status, 'invalid');
  if (x.status === 'invalid')
    assert.ok(
      x.invalidReasons.includes('no data for this slice in the Artillery report'),
      x.invalidReasons.join(),
    );
});

test('fewer virtual users than planned over a slice (a late or lost worker): partial, invalid', () => {
  const r = report();
  r.aggregate.counters['authbench.round-1.jwt-redis.vus'] = 150;
  r.aggregate.counters['authbench.round-1.jwt-redis.late_vus'] = 50;
  const x = importArtilleryReport(r, plan).rounds.find((y) => y.round === 1 && y.strategy === 'jwt-redis')!;
  assert.equal(x.status, 'invalid');
  if (x.status === 'invalid')
    assert.deepEqual(x.invalidReasons, [
      'partial: 150 of 200 virtual users ran the whole slice (50 reached it after its guard band)',
    ]);
  // Two workers planned, one report's worth of users: every slice is partial.
  const two = importArtilleryReport(report(), { ...plan, workers: 2 });
  assert.ok([...two.warmup, ...two.rounds].every((y) => y.status === 'invalid'));
});

test('non-2xx, socket errors and timeouts count as for autocannon: the round is invalid', () => {
  const r = report();
  r.aggregate.counters['authbench.round-2.db-lookup.non2xx'] = 3;
  r.aggregate.counters['authbench.round-2.db-lookup.status_503'] = 3;
  r.aggregate.counters['authbench.round-2.db-lookup.errors'] = 2;
  r.aggregate.counters['authbench.round-2.db-lookup.timeouts'] = 1;
  const x = importArtilleryReport(r, plan).rounds.find((y) => y.round === 2 && y.strategy === 'db-lookup')!;
  assert.equal(x.status, 'invalid');
  assert.equal(x.non2xx, 3);
  assert.equal(x.errors, 2);
  assert.equal(x.timeouts, 1);
  assert.equal(x.statusCodes['503'], 3);
  if (x.status === 'invalid')
    assert.deepEqual(x.invalidReasons, ['3 non-2xx responses (3× 503)', '2 socket errors', '1 timeouts']);
});

test('fewer answers than requests due in an open run: partial, excluded with its reason', () => {
  const openPlan = JSON.parse(readFileSync(join(dir, 'open-plan.json'), 'utf8')) as ArtilleryPlan;
  const r = JSON.parse(readFileSync(join(dir, 'open-report.json'), 'utf8')) as Report;
  const runs = importArtilleryReport(r, openPlan).openModel;
  assert.equal(runs.length, 6, '3 repetitions × 2 strategies');
  const first = runs[0]!;
  const slice = openPlan.slices[0]!;
  const c = r.aggregate.counters;
  assert.equal(first.sent, c[`authbench.${slice.id}.due`]);
  assert.equal(
    first.achievedRps,
    c[`authbench.${slice.id}.sent`]! / ((slice.endMs - slice.measureFromMs) / 1000),
  );
  assert.equal(first.fraction, 0.5);
  assert.ok(runs.every((o) => o.missing === undefined));
  c[`authbench.${slice.id}.ok`]! -= 5;
  assert.equal(
    importArtilleryReport(r, openPlan).openModel[0]!.missing,
    `partial: ${c[`authbench.${slice.id}.due`]! - 5} of ${c[`authbench.${slice.id}.due`]} requests due in the window have an outcome in the report`,
  );
});

test('more virtual users than planned (more workers than exported for), or stuck requests: invalid', () => {
  const r = report();
  r.aggregate.counters['authbench.round-1.db-lookup.vus'] = 400;
  r.aggregate.counters['authbench.round-1.jwt-redis.unanswered'] = 7;
  const out = importArtilleryReport(r, plan).rounds;
  const reasons = (strategy: string): string[] => {
    const x = out.find((y) => y.round === 1 && y.strategy === strategy)!;
    return x.status === 'invalid' ? x.invalidReasons : [];
  };
  assert.deepEqual(reasons('db-lookup'), [
    '400 virtual users ran the slice, 200 planned: more workers than the plan was exported for (--workers)',
  ]);
  assert.match(
    reasons('jwt-redis')[0] ?? '',
    /^7 requests still unanswered at the end of the next slice's guard band/,
  );
});

test('2xx answers without their latency summary: invalid, never 0 ms', () => {
  const r = report();
  delete r.aggregate.summaries['authbench.round-2.db-lookup.latency_us'];
  const x = importArtilleryReport(r, plan).rounds.find((y) => y.round === 2 && y.strategy === 'db-lookup')!;
  assert.equal(x.status, 'invalid');
  if (x.status === 'invalid')
    assert.deepEqual(x.invalidReasons, ['no latency summary for its 2xx answers in the Artillery report']);
});

test("a report of another plan is refused: the plan's id was not counted", () => {
  assert.throws(
    () => importArtilleryReport(report(), { ...plan, planId: 'someotherplan' }),
    /this report is not of this plan: no virtual user counted authbench.plan.someotherplan/,
  );
});

test('a file that is not an Artillery report is refused by name', () => {
  assert.throws(() => importArtilleryReport({ rounds: [] }, plan), /not an Artillery report: no "aggregate"/);
});
