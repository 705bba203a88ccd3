/**
 * From a strategy's declared bound and the checker's verdict to its entry in the freshness
 * record (its sentence is rendered by bench/output/freshness-text.ts). Pure.
 */
import { CLOCK_TOLERANCE_S } from '../../../servers/jwt.js';
import type { FaultOutcome, StrategyFreshness } from '../../schema/results.js';
import type {
  FaultKind,
  FaultWindowStats,
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

/**
 * What a strategy declares when its tokens live `tokenTtlSeconds`: one that never checks
 * revocation (jwt-only) is stale until exp, which the servers honour up to CLOCK_TOLERANCE_S
 * late, and exp itself is rounded down to a whole second at signing; the others keep their own.
 */
export function declaredWithTtl(declared: Declared, tokenTtlSeconds: number | null | undefined): Declared {
  if (tokenTtlSeconds == null || !claimsNothing(declared)) return declared;
  const ms = (tokenTtlSeconds + CLOCK_TOLERANCE_S + 1) * 1000;
  return { apiMs: ms, sqlMs: ms };
}

/** A strategy that declares no bound at all (jwt-only): it makes no freshness claim. */
export function claimsNothing(d: Declared): boolean {
  return d.apiMs === null && d.sqlMs === null;
}

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
}): Omit<FreshnessStrategyResult, 'summary'> {
  const { verdict: v, declared } = input;
  const bounds = boundsFor(declared);
  const latency = v.revocationLatencyMs;
  return {
    declared,
    bounds,
    staleAccepted: v.staleAccepted,
    revocationLatencyMs: latency ? { p50: latency.p50, p99: latency.p99, max: latency.max } : null,
    lockouts: v.lockouts,
    crashes: v.crashes,
    operations: v.operations,
    pass: meetsInvariant(v),
    servers: input.servers,
    load: input.load,
    verdict: v,
    history: input.history,
  };
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

const REDIS_FAULTS: readonly FaultKind[] = [
  'redis-pause',
  'redis-stall',
  'redis-restart-empty',
  'redis-restore-snapshot',
  'redis-evict-records',
];
const POSTGRES_FAULTS: readonly FaultKind[] = ['pg-terminate-backends', 'db-link-slow'];

function outcome(windows: readonly FaultWindowStats[], kinds: readonly FaultKind[]): FaultOutcome | null {
  const mine = windows.filter((w) => kinds.includes(w.kind));
  if (mine.length === 0) return null;
  const p99s = mine.map((w) => w.unavailableLatencyMs?.p99).filter((x): x is number => x !== undefined);
  return {
    windows: mine.length,
    probes: mine.reduce((a, w) => a + w.probes, 0),
    ok: mine.reduce((a, w) => a + w.ok, 0),
    status503: mine.reduce((a, w) => a + w.status503, 0),
    otherRejections: mine.reduce((a, w) => a + w.otherRejections, 0),
    unavailableP99Ms: p99s.length > 0 ? Math.max(...p99s) : null,
  };
}

/** What a run's record keeps of a strategy's freshness phase. */
export function freshnessOf(r: FreshnessStrategyResult, record: string): StrategyFreshness {
  return {
    staleAccepted: r.staleAccepted,
    maxStalenessMs: r.verdict.maxStalenessMs,
    revocationLatencyMs: r.revocationLatencyMs,
    declared: r.declared,
    lockouts: r.lockouts,
    crashes: r.crashes,
    pass: r.pass,
    onRedisLoss: outcome(r.verdict.faults, REDIS_FAULTS),
    onPostgresLoss: outcome(r.verdict.faults, POSTGRES_FAULTS),
    record,
  };
}
