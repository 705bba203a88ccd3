/** The CI gate's checks, one line each, and the tally (pure). */
import type { Check } from '../analysis/gate.js';
import { rounded } from './format.js';

function measured(c: Check): string {
  if (c.measured === null) return c.limit.op === '≥' && c.median === undefined ? 'no comparison' : 'missing';
  return c.median === undefined
    ? rounded(c.measured)
    : `${rounded(c.measured)} (median ${rounded(c.median)})`;
}

export function renderChecks(checks: readonly Check[]): string {
  const w = Math.max(...checks.map((c) => c.name.length));
  const lines = checks.map(
    (c) =>
      `${c.pass ? 'PASS' : 'FAIL'}  ${c.name.padEnd(w)}  measured ${measured(c)}, limit ${c.limit.op} ${c.limit.value ?? 'n/a'}`,
  );
  const failed = checks.filter((c) => !c.pass).length;
  lines.push(
    failed === 0 ? `all ${checks.length} checks passed` : `${failed} of ${checks.length} checks FAILED`,
  );
  return `${lines.join('\n')}\n`;
}
