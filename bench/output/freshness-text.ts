/** A strategy's freshness verdict in one sentence, for the terminal and the record (pure). */
import { INVARIANT_BOUNDS, claimsNothing } from '../analysis/freshness/result.js';
import type { FreshnessStrategyResult } from '../schema/freshness.js';
import { duration, num } from './format.js';

/** One sentence: what was tried, what was found, and what it means. */
export function freshnessSentence(name: string, r: Omit<FreshnessStrategyResult, 'summary'>): string {
  const v = r.verdict;
  const what =
    `${num(v.probes.total)} probes, ${num(v.revocations.total)} revocations ` +
    `(${num(v.revocations.api)} API, ${num(v.revocations.sql)} SQL) and ${num(v.faults.length)} faults`;
  const stale =
    v.staleAccepted === 0
      ? '0 stale acceptances'
      : `${num(v.staleAccepted)} stale acceptance${v.staleAccepted === 1 ? '' : 's'}` +
        (v.maxStalenessMs !== null
          ? ` (stale claims honoured up to ${duration(v.maxStalenessMs)} after the revocation)`
          : '');
  const latency =
    (r.revocationLatencyMs
      ? `revocation latency p50 ${duration(r.revocationLatencyMs.p50)}, p99 ${duration(r.revocationLatencyMs.p99)}, max ${duration(r.revocationLatencyMs.max)}`
      : 'no revocation latency measured') +
    (v.neverRevoked > 0
      ? ` (${num(v.neverRevoked)} revocation${v.neverRevoked === 1 ? '' : 's'} still honoured at the end)`
      : '');
  const other = [
    v.wrongRights > 0 ? `${num(v.wrongRights)} answers with rights the user never had` : '',
    v.foreignAccepted > 0 ? `${num(v.foreignAccepted)} tokens of another dataset accepted` : '',
    v.lockouts > 0 ? `${num(v.lockouts)} lock-outs` : 'no lock-outs',
    v.rejectionsOutsideFaults > 0 && v.lockouts === 0
      ? `${num(v.rejectionsOutsideFaults)} fresh-token rejection${v.rejectionsOutsideFaults === 1 ? '' : 's'} outside faults, each over within ${duration(r.bounds.recoveryMs)}`
      : '',
    v.crashes > 0 ? `${num(v.crashes)} crashes` : 'no crashes',
  ]
    .filter((x) => x !== '')
    .join(', ');
  const invariant = r.bounds.apiMs === INVARIANT_BOUNDS.apiMs && r.bounds.sqlMs === INVARIANT_BOUNDS.sqlMs;
  const verdict = r.pass
    ? `${invariant ? 'meets the invariant' : 'stays within its declared bound'} (δ ${r.bounds.apiMs} ms API, ${r.bounds.sqlMs} ms SQL)`
    : claimsNothing(r.declared) &&
        v.wrongRights === 0 &&
        v.foreignAccepted === 0 &&
        v.lockouts === 0 &&
        v.crashes === 0
      ? 'UNSAFE, as it declares: it never checks revocation'
      : `VIOLATES ${claimsNothing(r.declared) ? 'the invariant' : 'its declared bound'}`;
  return `${name}: ${stale} in ${what}; ${latency}; ${other} — ${verdict}.`;
}
