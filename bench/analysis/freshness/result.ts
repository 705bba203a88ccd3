/**
 * From a strategy's declared bound and the checker's verdict to its entry in the freshness
 * record, and the one sentence the terminal prints for it. Pure.
 */
import type {
  FreshnessBounds,
  FreshnessStrategyResult,
  FreshnessVerdict,
  ServerInfo,
} from '../../schema/freshness.js';

/** The invariant (docs/freshness.md): what "safe" means, whatever a strategy declares. */
export const INVARIANT_BOUNDS = { apiMs: 0, sqlMs: 1000 } as const;
/**
 * After a fault ends, fresh tokens must work again within 1 s plus the longest retry of any
 * component (the servers' Redis reconnect backs off to 500 ms).
 */
export const RECOVERY_MS = 1000 + 500;

export type Declared = FreshnessStrategyResult['declared'];

/** The bound checked: the declared one, or the invariant's where a strategy declares none. */
export function boundsFor(declared: Declared): FreshnessBounds {
  return {
    apiMs: declared.apiMs ?? INVARIANT_BOUNDS.apiMs,
    sqlMs: declared.sqlMs ?? INVARIANT_BOUNDS.sqlMs,
    recoveryMs: RECOVERY_MS,
  };
}

function claimsNothing(d: Declared): boolean {
  return d.apiMs === null && d.sqlMs === null;
}

const count = (n: number): string => n.toLocaleString('en-US');
const msText = (x: number): string =>
  (x < 10 ? x.toFixed(2) : x < 1000 ? x.toFixed(1) : `${(x / 1000).toFixed(2)} s`) + (x < 1000 ? ' ms' : '');

/** Meets the invariant: nothing stale, wrong or foreign accepted, no lock-out, no crash. */
export function meetsInvariant(v: FreshnessVerdict): boolean {
  return (
    v.staleAccepted === 0 &&
    v.wrongRights === 0 &&
    v.foreignAccepted === 0 &&
    v.lockouts === 0 &&
    v.crashes === 0
  );
}

export function strategyResult(input: {
  name: string;
  declared: Declared;
  verdict: FreshnessVerdict;
  servers: ServerInfo[];
  load: FreshnessStrategyResult['load'];
  history: string;
}): FreshnessStrategyResult {
  const { verdict: v, declared } = input;
  const bounds = boundsFor(declared);
  const latency = v.revocationLatencyMs;
  const result: FreshnessStrategyResult = {
    declared,
    bounds,
    staleAccepted: v.staleAccepted,
    revocationLatencyMs: latency ? { p50: latency.p50, p99: latency.p99, max: latency.max } : null,
    lockouts: v.lockouts,
    crashes: v.crashes,
    operations: v.operations,
    pass: meetsInvariant(v),
    summary: '',
    servers: input.servers,
    load: input.load,
    verdict: v,
    history: input.history,
  };
  result.summary = summarize(input.name, result);
  return result;
}

/** One sentence: what was tried, what was found, and what it means. */
export function summarize(name: string, r: FreshnessStrategyResult): string {
  const v = r.verdict;
  const what =
    `${count(v.probes.total)} probes, ${count(v.revocations.total)} revocations ` +
    `(${count(v.revocations.api)} API, ${count(v.revocations.sql)} SQL) and ${count(v.faults.length)} faults`;
  const stale =
    v.staleAccepted === 0
      ? '0 stale acceptances'
      : `${count(v.staleAccepted)} stale acceptance${v.staleAccepted === 1 ? '' : 's'}` +
        (v.maxStalenessMs !== null
          ? ` (stale claims honoured up to ${msText(v.maxStalenessMs)} after the revocation)`
          : '');
  const latency =
    (r.revocationLatencyMs
      ? `revocation latency p50 ${msText(r.revocationLatencyMs.p50)}, p99 ${msText(r.revocationLatencyMs.p99)}, max ${msText(r.revocationLatencyMs.max)}`
      : 'no revocation latency measured') +
    (v.neverRevoked > 0 ? ` (${count(v.neverRevoked)} revocations still honoured at the end)` : '');
  const other = [
    v.wrongRights > 0 ? `${count(v.wrongRights)} answers with rights the user never had` : '',
    v.foreignAccepted > 0 ? `${count(v.foreignAccepted)} tokens of another dataset accepted` : '',
    v.lockouts > 0 ? `${count(v.lockouts)} lock-outs` : 'no lock-outs',
    v.rejectionsOutsideFaults > 0 && v.lockouts === 0
      ? `${count(v.rejectionsOutsideFaults)} fresh-token rejection${v.rejectionsOutsideFaults === 1 ? '' : 's'} outside faults, each over within ${msText(r.bounds.recoveryMs)}`
      : '',
    v.crashes > 0 ? `${count(v.crashes)} crashes` : 'no crashes',
  ]
    .filter((x) => x !== '')
    .join(', ');
  const verdict = r.pass
    ? `meets the invariant (δ ${r.bounds.apiMs} ms API, ${r.bounds.sqlMs} ms SQL)`
    : claimsNothing(r.declared) &&
        v.wrongRights === 0 &&
        v.foreignAccepted === 0 &&
        v.lockouts === 0 &&
        v.crashes === 0
      ? 'UNSAFE, as it declares: it never checks revocation'
      : `VIOLATES ${claimsNothing(r.declared) ? 'the invariant' : 'its declared bound'}`;
  return `${name}: ${stale} in ${what}; ${latency}; ${other} — ${verdict}.`;
}

/** A strategy behaves as it declares: only a strategy that claims nothing may accept stale tokens. */
export function asDeclared(r: FreshnessStrategyResult): boolean {
  if (r.pass) return true;
  const v = r.verdict;
  return (
    claimsNothing(r.declared) &&
    v.wrongRights === 0 &&
    v.foreignAccepted === 0 &&
    v.lockouts === 0 &&
    v.crashes === 0
  );
}
