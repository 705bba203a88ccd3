import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onFreePort } from '../../../bench/infra/ports.js';

test('a picked port taken before the bind: a fresh one, up to three; a fixed port or another failure is not retried', async () => {
  const lines: string[] = [];
  const tried: number[] = [];
  const taken = new Error('could not bind IPv4 address "127.0.0.1": Address already in use');
  const ok = await onFreePort(
    undefined,
    async (port) => {
      tried.push(port);
      if (tried.length === 1) throw taken;
      return `up on ${port}`;
    },
    (l) => lines.push(l),
  );
  assert.equal(tried.length, 2);
  assert.equal(ok, `up on ${tried[1]}`);
  assert.match(lines[0]!, /^port \d+ was taken before the server bound it; trying another$/);

  for (const [fixed, error, expected, why] of [
    [undefined, taken, 3, 'three ports, then the error'],
    [5432, taken, 1, 'a port the user chose is not replaced'],
    [undefined, new Error('initdb: permission denied'), 1, 'other failures are not retried'],
  ] as const) {
    let calls = 0;
    await assert.rejects(
      onFreePort(
        fixed,
        async () => {
          calls++;
          throw error;
        },
        () => {},
      ),
      (err: Error) => err === error,
    );
    assert.equal(calls, expected, why);
  }
});
