import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { clockTicksPerSecond, cpuSeconds } from '../../../bench/engine/children.js';

test("CPU seconds from /proc in the system's clock ticks agree with the process's own account", () => {
  assert.equal(clockTicksPerSecond(), Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })));
  const before = cpuSeconds(process.pid)!;
  const own = process.cpuUsage();
  const until = Date.now() + 400;
  let x = 0;
  while (Date.now() < until) x += Math.sqrt(x + 1);
  assert.ok(x > 0);
  const used = process.cpuUsage(own);
  const measured = cpuSeconds(process.pid)! - before;
  const expected = (used.user + used.system) / 1e6;
  // One tick of resolution at each end.
  const tick = 1 / clockTicksPerSecond()!;
  assert.ok(Math.abs(measured - expected) <= 2 * tick + 0.02, `${measured} s vs ${expected} s`);
});
