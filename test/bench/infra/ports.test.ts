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

  let calls = 0;
  await assert.rejects(
    onFreePort(
      undefined,
      async () => {
        calls++;
        throw taken;
      },
      () => {},
    ),
    /Address already in use/,
  );
  assert.equal(calls, 3, 'three ports, then the error');

  calls = 0;
  await assert.rejects(
    onFreePort(
      5432,
      async () => {
        calls++;
        throw taken;
      },
      () => {},
    ),
    /Address already in use/,
  );
  assert.equal(calls, 1, 'a port the user chose is not replaced');

  calls = 0;
  await assert.rejects(
    onFreePort(
      undefined,
      async () => {
        calls++;
        throw new Error('initdb: permission denied');
      },
      () => {},
    ),
    /permission denied/,
  );
  assert.equal(calls, 1, 'other failures are not retried');
});
