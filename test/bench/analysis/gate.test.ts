import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { compareResults, medianDifferenceCI } from '../../../bench/analysis/compare.js';
import { renderComparisonMarkdown, renderComparisonText } from '../../../bench/output/compare.js';
import { renderChecks } from '../../../bench/output/checks.js';
import { toBencherMetricFormat, toGithubActionBenchmark } from '../../../bench/output/exports.js';
import { gate, parseBaseline, type Baseline } from '../../../bench/analysis/gate.js';
import type { ResultsRecord } from '../../../bench/schema/results.js';
import { resultsFixture as fixture } from '../fixture-records.js';
import { projectRoot } from '../../../bench/infra/paths.js';

const root = projectRoot();
const baselineText = readFileSync(join(root, 'bench', 'baseline.json'), 'utf8');
const baseline: Baseline = parseBaseline(baselineText, 'bench/baseline.json');
const failed = (record: ResultsRecord): string[] =>
  gate(record, baseline)
    .filter((c) => !c.pass)
    .map((c) => c.name);

test('the committed baseline parses; a good run passes every check', () => {
  const checks = gate(fixture(), baseline);
  assert.equal(checks.length, 7);
  assert.deepEqual(
    checks.filter((c) => !c.pass),
    [],
  );
  assert.match(renderChecks(checks), /all 7 checks passed/);
});

test('a changed queries/request fails, naming the strategy, the value and the limit', () => {
  const r = fixture();
  r.strategies['jwt-redis']!.queriesPerRequest = 3;
  assert.deepEqual(failed(r), ['jwt-redis: database queries per request']);
  assert.match(
    renderChecks(gate(r, baseline)),
    /FAIL {2}jwt-redis: database queries per request +measured 3, limit = 2/,
  );
  const extraRedis = fixture();
  extraRedis.strategies['jwt-redis']!.redisCommandsPerRequest = 2;
  assert.deepEqual(failed(extraRedis), ['jwt-redis: Redis commands per request']);
});

test('an invalid round fails the gate', () => {
  const r = fixture();
  const rounds = r.strategies['db-lookup']!.rounds;
  rounds[4] = { ...rounds[4]!, status: 'invalid', invalidReasons: ['1 timeouts'] };
  assert.deepEqual(failed(r), ['invalid rounds']);
  assert.match(
    renderChecks(gate(r, baseline)),
    /FAIL {2}invalid rounds +measured 1, limit ≤ 0\n.*\n.*\n1 of 7 checks FAILED/,
  );
});

test('a ratio below the limit fails; so does a p99 ratio above it', () => {
  const r = fixture();
  r.comparisons[0]!.throughputRatio.ci95 = [0.8, 0.95];
  assert.deepEqual(failed(r), ['throughput jwt-redis/db-lookup: 95% CI lower bound']);
  assert.match(renderChecks(gate(r, baseline)), /measured 0\.8 \(median 1\.059\), limit ≥ 0\.85/);
  const slow = fixture();
  slow.strategies['jwt-redis']!.latencyMs.p99 = slow.strategies['db-lookup']!.latencyMs.p99 * 2.5;
  assert.deepEqual(failed(slow), ['p99 latency jwt-redis/db-lookup']);
  const none = fixture();
  none.comparisons = [];
  assert.ok(
    failed(none).includes('throughput jwt-redis/db-lookup: 95% CI lower bound'),
    'no comparison cannot pass',
  );
});

test('a malformed baseline names the field', () => {
  const b = JSON.parse(baselineText) as Record<string, unknown>;
  assert.throws(() => parseBaseline(JSON.stringify({ ...b, maxP99LatencyRatio: 'x' }), 'b.json'), {
    message: 'b.json: maxP99LatencyRatio must be a number ≥ 0',
  });
  assert.throws(
    () => parseBaseline(JSON.stringify({ ...b, queriesPerRequest: { 'db-lookup': 3 } }), 'b.json'),
    /queriesPerRequest must be an object with a number for db-lookup and jwt-redis/,
  );
  assert.throws(() => parseBaseline('{', 'b.json'), /b\.json: not JSON/);
});

test('compare: old → new per strategy and metric, with significance', () => {
  const older = fixture();
  const newer = fixture();
  for (const r of newer.strategies['jwt-redis']!.rounds) r.requestsPerSecond *= 0.8;
  newer.strategies['jwt-redis']!.throughput.median *= 0.8;
  newer.strategies['db-lookup']!.queriesPerRequest = 4;
  const changes = compareResults(older, newer);
  const get = (s: string, m: string) => changes.find((c) => c.strategy === s && c.metric === m)!;
  assert.equal(
    get('jwt-redis', 'throughput (median)').significant,
    true,
    'a 20% drop over 20 rounds is significant',
  );
  assert.ok(Math.abs(get('jwt-redis', 'throughput (median)').changePercent + 20) < 1e-9);
  assert.equal(get('db-lookup', 'throughput (median)').significant, false, 'identical rounds: no change');
  assert.equal(get('db-lookup', 'database queries per request').significant, true);
  const text = renderComparisonText(changes);
  assert.match(text, /jwt-redis +throughput \(median\) +2637 → 2110 req\/s +−20\.0% +WORSE/);
  assert.match(text, /db-lookup +database queries per request +3\.00 → 4\.00 per request +\+33\.3% +WORSE/);
  const md = renderComparisonMarkdown(changes, 'a.json', 'b.json');
  assert.match(
    md,
    /^\| jwt-redis \| throughput \(median\) \| 2637 req\/s \| 2110 req\/s \| −20\.0% \| WORSE \|$/m,
  );
});

test('medianDifferenceCI: identical samples give [0, 0]; a shift is found', () => {
  assert.deepEqual(medianDifferenceCI([5, 5, 5], [5, 5, 5]), [0, 0]);
  const [lo] = medianDifferenceCI([10, 11, 12, 10, 11], [20, 21, 22, 20, 21]);
  assert.ok(lo > 5);
});

test('exports: Bencher Metric Format and github-action-benchmark JSON', () => {
  const r = fixture();
  const bmf = toBencherMetricFormat(r);
  assert.deepEqual(Object.keys(bmf).sort(), [
    'authbench/default/db-lookup',
    'authbench/default/jwt-redis',
    'authbench/default/jwt-redis-vs-db-lookup',
  ]);
  assert.equal(
    bmf['authbench/default/db-lookup']!['requests-per-second']!.value,
    r.strategies['db-lookup']!.throughput.median,
  );
  assert.equal(
    bmf['authbench/default/db-lookup']!['requests-per-second']!.lower_value,
    r.strategies['db-lookup']!.throughput.ci95[0],
  );
  assert.equal(
    bmf['authbench/default/jwt-redis-vs-db-lookup']!['throughput-ratio']!.value,
    r.comparisons[0]!.throughputRatio.median,
  );
  const gab = toGithubActionBenchmark(r);
  for (const e of [...gab.biggerIsBetter, ...gab.smallerIsBetter]) {
    assert.equal(typeof e.name, 'string');
    assert.equal(typeof e.unit, 'string');
    assert.ok(Number.isFinite(e.value));
  }
  assert.ok(
    gab.biggerIsBetter.some((e) => e.unit === 'req/s') && gab.smallerIsBetter.every((e) => e.unit === 'ms'),
  );
});

test('the GitHub workflow parses and calls scripts that exist', () => {
  const wf = parse(readFileSync(join(root, '.github', 'workflows', 'bench.yml'), 'utf8')) as {
    jobs: {
      bench: {
        services: Record<string, { image: string }>;
        steps: Array<{ run?: string; uses?: string }>;
        env: Record<string, string>;
      };
    };
  };
  const job = wf.jobs.bench;
  assert.match(job.services.postgres!.image, /^postgres:/);
  assert.match(job.services.redis!.image, /^redis:/);
  assert.match(job.env.DATABASE_URL!, /^postgres:\/\/.*127\.0\.0\.1/);
  const scripts = (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts;
  const runs = job.steps.flatMap((s) => (s.run ? [s.run] : []));
  const npmRuns = runs.flatMap((r) => [...r.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!));
  assert.ok(npmRuns.includes('bench:ci'));
  for (const name of npmRuns) assert.ok(name in scripts, `npm run ${name} exists`);
  assert.ok(runs.some((r) => r.includes('npm ci --strict-allow-scripts')));
  assert.ok(
    runs.some((r) => r.includes('GITHUB_STEP_SUMMARY')),
    'Markdown summary into the job summary',
  );
  assert.ok(
    job.steps.some((s) => s.uses?.startsWith('actions/upload-artifact')),
    'reports uploaded',
  );
});
