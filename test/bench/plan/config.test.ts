import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS, validateConfig } from '../../../bench/plan/config.js';

test('no options: the defaults', () => {
  assert.deepEqual(validateConfig({}), DEFAULTS);
});

test('string values from the command line become numbers', () => {
  const c = validateConfig({
    rounds: '4',
    connections: '16',
    roundSeconds: '3',
    strategies: 'jwt-redis,db-lookup',
  });
  assert.equal(c.rounds, 4);
  assert.equal(c.connections, 16);
  assert.equal(c.roundSeconds, 3);
  assert.deepEqual(c.strategies, ['jwt-redis', 'db-lookup']);
  assert.deepEqual(
    validateConfig({ strategies: 'db-lookup, jwt-redis,jwt-only' }).strategies,
    ['db-lookup', 'jwt-redis', 'jwt-only'],
    'a baseline and any number of candidates',
  );
  assert.equal(validateConfig({ serverCpu: '0' }).serverCpu, 0);
  assert.equal(validateConfig({ serverCpu: 'none' }).serverCpu, 'none');
});

test('bad values name the flag, the rule and the value', () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ connections: '0' }, /^--connections must be an integer from 1 to 10000 \(got "0"\)$/],
    [{ rounds: 'abc' }, /^--rounds must be an integer from 2 to 1000 \(got "abc"\)$/],
    [{ rounds: '1' }, /^--rounds must be an integer from 2 to 1000 \(got "1"\)$/],
    [{ roundSeconds: '1.5' }, /^--round-seconds must be an integer/],
    [
      { strategies: 'db-lookup,nope' },
      /^--strategies must be one of db-lookup, jwt-redis, jwt-local, rbac-cache, jwt-only, no-auth \(got "nope"\)$/,
    ],
    [{ strategies: 'db-lookup' }, /^--strategies must be at least two different strategies, baseline first/],
    [
      { strategies: 'jwt-redis,jwt-redis' },
      /^--strategies must be at least two different strategies, baseline first/,
    ],
    [{ scenario: 'Bad Name' }, /^--scenario must be lowercase letters/],
    [{ users: '100', tokenUsers: '200' }, /^--token-users must be at most --users \(100\) \(got "200"\)$/],
    [{ tokenUsers: '10', verifyUsers: '20' }, /^--verify-users must be at most --token-users \(10\)/],
    [{ resultsDir: ' ' }, /^--results-dir must be a directory path/],
    [{ serverCpu: 'fast' }, /^--server-cpu must be an integer from 0 to 4095 \(got "fast"\)$/],
  ];
  for (const [raw, message] of cases)
    assert.throws(() => validateConfig(raw), { message }, JSON.stringify(raw));
});
