import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULTS } from '../../../bench/plan/config.js';
import { parseRunArgs } from '../../../bench/plan/args.js';
import { DEFAULT_SCENARIOS, listScenarios, scenarioConfig } from '../../../bench/plan/scenarios.js';

const dir = mkdtempSync(join(tmpdir(), 'authbench-scenarios-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

test('the shipped scenarios load; seed-regime puts the database across a network', () => {
  assert.deepEqual(listScenarios(), ['local', 'seed-regime']);
  const seed = scenarioConfig('seed-regime', {}, DEFAULTS);
  assert.equal(seed.scenario, 'seed-regime');
  assert.equal(seed.dbDelayMs, 1, '≈2 ms round trip');
  assert.equal(seed.poolSize, 10, "pg's default pool");
  assert.equal(seed.connections, 200);
  const local = scenarioConfig('local', {}, DEFAULTS);
  assert.equal(local.dbDelayMs, 0);
});

test('explicit flags override the scenario file', () => {
  const c = scenarioConfig('seed-regime', { connections: '50', rounds: '3' }, DEFAULTS);
  assert.equal(c.connections, 50);
  assert.equal(c.rounds, 3);
  assert.equal(c.dbDelayMs, 1, 'the rest from the file');
});

test('run without --scenario does the default scenarios back to back; with one, just it', () => {
  assert.deepEqual(
    parseRunArgs({}, {}, {}).configs.map((c) => c.scenario),
    [...DEFAULT_SCENARIOS],
  );
  assert.deepEqual(
    parseRunArgs({ scenario: 'local' }, {}, { scenario: 'local' }).configs.map((c) => c.scenario),
    ['local'],
  );
  const own = file('mine.json', { connections: 8, dbDelayMs: 3 });
  const [c] = parseRunArgs({ scenario: own }, {}, { scenario: own }).configs;
  assert.equal(c!.scenario, 'mine');
  assert.equal(c!.dbDelayMs, 3);
});

test('bad scenario files: the file and the field are named', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    [
      'zero.json',
      { connections: 0 },
      /^scenario zero\.json: connections must be an integer from 1 to 10000 \(got "0"\)$/,
    ],
    [
      'delay.json',
      { dbDelayMs: -1 },
      /^scenario delay\.json: dbDelayMs must be a number from 0 to 1000 \(got "-1"\)$/,
    ],
    [
      'jwt.json',
      { jwtVerify: 'rsa' },
      /^scenario jwt\.json: jwtVerify must be one of keyobject, string, native, cached \(got "rsa"\)$/,
    ],
    ['typo.json', { conections: 5 }, /^scenario typo\.json: unknown field "conections"/],
    ['broken.json', '{"connections": ', /^scenario broken\.json: not valid JSON/],
    ['array.json', [1], /^scenario array\.json: must be a JSON object$/],
  ];
  for (const [name, content, message] of cases) {
    const path = file(name, content);
    assert.throws(() => scenarioConfig(path, {}, DEFAULTS), { message }, name);
  }
  assert.throws(() => scenarioConfig('nope', {}, DEFAULTS), {
    message:
      /^--scenario must name a file in bench\/scenarios \(local, seed-regime\) or a path \(got "nope"\)$/,
  });
});
