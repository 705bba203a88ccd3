/**
 * The freshness checker: a pure function from a recorded history (every mint, probe, nemesis
 * revocation, fault and crash, on one clock) to a verdict, Jepsen/Elle-style. No I/O, no clock,
 * no randomness: the same history always gives the same verdict.
 *
 * Definitions (all times on the harness clock, ms):
 *
 * - **Timeline.** Replaying the WAL (model.ts) gives each probed user U states state_0 (initial,
 *   atMs −∞) … state_n; transition i ≥ 1 is the commit (xid_i, atMs_i) that produced state_i.
 * - **Visibility.** Commit X is visible in a mint snapshot S iff
 *   `X < S.xmin || (X < S.xmax && !S.xip.includes(X))`. A token *has not seen* transition i of its
 *   user iff xid_i is not visible in its mint snapshot. (An own token without a snapshot has seen
 *   exactly the transitions committed at or before its mint returned.) xids are compared as
 *   numbers: snapshot and WAL xids must share an epoch (a cluster younger than 2³² xids).
 * - **δ per transition.** xid_i = the xid of a `via: 'sql'` RevocationOp → δ = sqlMs, via 'sql'.
 *   Otherwise via 'api': δ = sqlMs if some API op for U with invokeMs ≤ atMs_i ≤ ackMs overlaps a
 *   FaultEvent with lossOfRedisWrites (a Redis that forgets acknowledged writes makes an API
 *   revocation asynchronous), else apiMs (also when no op matches: the strictest bound).
 *   due_i = atMs_i + δ_i.
 * - **Acceptable 2xx.** For a 2xx probe on an own token of U: k = the largest i ≥ 1 with
 *   due_i < startMs (0 if none), m = max(k, the largest i with atMs_i ≤ endMs). Acceptable iff some
 *   j in [k, m] has state_j non-null with non-null rights, state_j.incarnation = the mint's
 *   incarnation and state_j.rights = the probe's echoed rights. So a server answering with the
 *   user's current rights (db-lookup) passes, and a re-created user's old token never does.
 * - **Stale acceptance.** A non-acceptable 2xx whose token has not seen some transition i with
 *   due_i < startMs; the earliest such i (by commit time) is reported. Other non-acceptable 2xx
 *   count as wrongRights. 2xx on 'foreign' tokens count as foreignAccepted.
 * - **maxStalenessMs.** Over 2xx own-token probes not acceptable with δ = 0 everywhere: startMs −
 *   atMs_i, i the first transition after the newest state before k the answer shows (else the
 *   earliest transition the token has not seen with atMs_i < startMs). A stale acceptance
 *   reports the same transition.
 * - **Revocation latency**, per transition i of U and server s, over probes to s on own tokens of
 *   U that have not seen i with startMs ≥ atMs_i. A probe *honours* the old claims iff it is 2xx
 *   and (mint incarnation, echoed rights) equals no state_j with j ≥ i and atMs_j ≤ its endMs. A
 *   *correct* answer is a non-honouring 2xx, a 401, or a 403 when some state since i lacks the
 *   route's permission (a 403 on the token's own stale claims proves nothing; 0, 503 and other
 *   5xx: the server did not decide). latency = the earliest start of a correct answer after the
 *   last honouring probe's start (any, when none honoured) − atMs_i. Honoured but never answered
 *   correctly afterwards: neverRevoked, unless i was not yet due when the server's last probe
 *   started (then unresolved). No probes, or no probe ever honoured nor answered correctly:
 *   unmeasured. A first correct answer more than LATENCY_RESOLUTION_MS after the probe before it
 *   (or the commit) is too coarsely sampled to say anything: latencyUnresolved.
 * - **Rejections and lock-outs.** A probe on an own token that has seen every RBAC commit with
 *   atMs ≤ endMs, any user's (fresh throughout the request: a strategy may revoke more than
 *   changed, never less), and minted with rights expects 2xx if those
 *   rights include 'view_dashboard', else 403. Any other non-2xx status is a rejection; it is
 *   excused if [startMs, endMs] meets a fault window [startMs, endMs + recoveryMs], a crash of the
 *   same server [atMs, (restartedAtMs ?? ∞) + recoveryMs], or a RevocationOp of that user
 *   [invokeMs, ackMs]. Unexcused rejections of one (server, user), in start order and not
 *   separated by an expected answer to a fresh token, form one rejection episode; an episode
 *   lasting longer than recoveryMs (first start to last end) is a lock-out.
 * - **Fault windows** count every probe meeting [startMs, endMs + recoveryMs].
 */
import { quantile } from '../stats.js';
import type {
  CommitEvent,
  FaultEvent,
  FaultWindowStats,
  FreshnessBounds,
  FreshnessVerdict,
  History,
  LockoutEpisode,
  MintEvent,
  Percentiles,
  ProbeEvent,
  RevocationOp,
  Rights,
  StaleAcceptance,
  XidSnapshot,
} from '../../schema/freshness.js';
import { buildTimelines, type ModelOptions, type TimelineEntry, type UserState } from './model.js';

export const MAX_STALE_ACCEPTANCES_KEPT = 50;
/** The permission of the route the probes ask for (GET /api/dashboard). */
export const DASHBOARD_PERMISSION = 'view_dashboard';

export function visibleIn(xid: number, snapshot: XidSnapshot): boolean {
  return xid < snapshot.xmin || (xid < snapshot.xmax && !snapshot.xip.includes(xid));
}

interface Transition {
  index: number;
  xid: number;
  atMs: number;
  dueMs: number;
  via: 'api' | 'sql';
}

/** One user's timeline with the indexes the per-probe questions need. */
interface UserTimeline {
  entries: TimelineEntry[];
  /** transitions[i - 1] is transition i. */
  transitions: Transition[];
  byDue: LatestIndex;
  byCommit: LatestIndex;
  /** state key → the timeline indices holding that state (ascending). */
  indicesByKey: Map<string, number[]>;
}

interface Token {
  mint: MintEvent;
  timeline: UserTimeline;
  /** Transitions (ascending index) the token has not seen. */
  unseen: Transition[];
  unseenIndices: Set<number>;
  /** Earliest commit among the unseen transitions (Infinity: none). */
  firstUnseenMs: number;
  /**
   * Earliest RBAC commit of any kind the token has not seen. A strategy may revoke more than the
   * rights that changed (jwt-redis bumps every user a statement may affect), so only a token
   * that has seen every commit so far is one it must accept: the liveness check uses these.
   */
  firstUnseenCommitMs: number;
}

/** A probe on an own token, with what is derived from it once. */
interface OwnProbe {
  probe: ProbeEvent;
  token: Token;
  /** State key of (mint incarnation, echoed rights); null unless 2xx with rights. */
  key: string | null;
}

export function checkFreshness(
  history: History,
  bounds: FreshnessBounds,
  opts: ModelOptions = {},
): FreshnessVerdict {
  const timelines = buildUserTimelines(history, bounds, opts);
  const tokens = indexTokens(history.mints, timelines, history.commits);
  const probes = [...history.probes].sort((a, b) => a.startMs - b.startMs);
  const own: OwnProbe[] = [];
  let foreignAccepted = 0;
  for (const probe of probes) {
    const token = tokens.get(probe.token);
    if (token === undefined) continue; // a probe of an unrecorded mint cannot be judged
    if (token.mint.dataset === 'foreign') {
      if (is2xx(probe.status)) foreignAccepted++;
      continue;
    }
    const key = is2xx(probe.status) && probe.rights ? stateKey(token.mint.incarnation, probe.rights) : null;
    own.push({ probe, token, key });
  }

  const acceptance = judgeAcceptances(own);
  const latency = revocationLatencies(own, timelines, [...new Set(history.servers.map((s) => s.name))]);
  const lockouts = findLockouts(own, history, bounds);
  const transitions = [...timelines.values()].flatMap((t) => t.transitions);
  const sqlTransitions = transitions.filter((t) => t.via === 'sql').length;

  return {
    staleAccepted: acceptance.stale.length,
    staleAcceptances: acceptance.stale.slice(0, MAX_STALE_ACCEPTANCES_KEPT),
    wrongRights: acceptance.wrongRights,
    foreignAccepted,
    maxStalenessMs: acceptance.maxStalenessMs,
    revocationLatencyMs: percentiles(latency.all),
    revocationLatencyByVia: { api: percentiles(latency.api), sql: percentiles(latency.sql) },
    revocationLatencyByServer: Object.fromEntries([...latency.byServer].map(([s, v]) => [s, percentiles(v)])),
    neverRevoked: latency.neverRevoked,
    latencyUnresolved: latency.unresolved,
    revocations: {
      total: transitions.length,
      api: transitions.length - sqlTransitions,
      sql: sqlTransitions,
      ops: history.revocations.length,
      failedOps: history.revocations.filter((op) => op.outcome !== 'ok').length,
    },
    probes: countStatuses(probes),
    operations: history.revocations.length + history.probes.length + history.mints.length,
    // Liveness asks that a fresh token be accepted within the recovery bound: a rejection that
    // stops within it is reported, a run of them that outlasts it is a lock-out.
    lockouts: lockouts.episodes.filter((e) => e.durationMs > bounds.recoveryMs).length,
    lockoutEpisodes: lockouts.episodes.filter((e) => e.durationMs > bounds.recoveryMs),
    rejectionEpisodes: lockouts.episodes,
    rejectionsOutsideFaults: lockouts.unexcused,
    faults: history.faults.map((f) => faultStats(f, probes, bounds.recoveryMs)),
    unavailableLatencyMs: percentiles(probes.filter((p) => p.status === 503).map((p) => p.endMs - p.startMs)),
    crashes: history.crashes.length,
  };
}

// ---- timelines and tokens ----

function buildUserTimelines(
  history: History,
  bounds: FreshnessBounds,
  opts: ModelOptions,
): Map<number, UserTimeline> {
  const sqlXids = new Set<number>();
  const apiOps = new Map<number, RevocationOp[]>();
  for (const op of history.revocations) {
    if (op.via === 'sql') {
      if (op.xid !== null) sqlXids.add(op.xid);
    } else {
      for (const user of op.users) push(apiOps, user, op);
    }
  }
  const lossFaults = history.faults.filter((f) => f.lossOfRedisWrites);
  const out = new Map<number, UserTimeline>();
  for (const [user, entries] of buildTimelines(history.initial, history.commits, opts)) {
    const transitions = entries.slice(1).map((e): Transition => {
      const base = { index: e.index, xid: e.xid, atMs: e.atMs };
      if (sqlXids.has(e.xid)) return { ...base, dueMs: e.atMs + bounds.sqlMs, via: 'sql' };
      const lossy = (apiOps.get(user) ?? []).some(
        (op) =>
          op.invokeMs <= e.atMs &&
          e.atMs <= op.ackMs &&
          lossFaults.some((f) => meets(op.invokeMs, op.ackMs, f.startMs, f.endMs)),
      );
      const delta = lossy ? bounds.sqlMs : bounds.apiMs;
      return { ...base, dueMs: e.atMs + delta, via: 'api' };
    });
    out.set(user, indexTimeline(entries, transitions));
  }
  return out;
}

function indexTimeline(entries: TimelineEntry[], transitions: Transition[]): UserTimeline {
  const indicesByKey = new Map<string, number[]>();
  for (const e of entries) {
    const key = keyOfState(e.state);
    if (key !== null) push(indicesByKey, key, e.index);
  }
  return {
    entries,
    transitions,
    byDue: new LatestIndex(transitions.map((t) => [t.dueMs, t.index])),
    byCommit: new LatestIndex(transitions.map((t) => [t.atMs, t.index])),
    indicesByKey,
  };
}

function indexTokens(
  mints: readonly MintEvent[],
  timelines: Map<number, UserTimeline>,
  commits: readonly CommitEvent[],
): Map<number, Token> {
  const byTime = [...commits].sort((a, b) => a.atMs - b.atMs);
  // A user the initial state does not know is absent throughout.
  const unknownUser = indexTimeline([{ index: 0, xid: 0, atMs: -Infinity, state: null }], []);
  const tokens = new Map<number, Token>();
  for (const mint of mints) {
    const timeline = timelines.get(mint.user) ?? unknownUser;
    const snapshot = mint.snapshot;
    const seen = (t: Transition): boolean => (snapshot ? visibleIn(t.xid, snapshot) : t.atMs <= mint.atMs);
    const unseen = mint.dataset === 'own' ? timeline.transitions.filter((t) => !seen(t)) : [];
    tokens.set(mint.token, {
      mint,
      timeline,
      unseen,
      unseenIndices: new Set(unseen.map((t) => t.index)),
      firstUnseenMs: Math.min(Infinity, ...unseen.map((t) => t.atMs)),
      firstUnseenCommitMs:
        byTime.find((c) => !(snapshot ? visibleIn(c.xid, snapshot) : c.atMs <= mint.atMs))?.atMs ?? Infinity,
    });
  }
  return tokens;
}

/** Answers "the largest transition index whose key is below x" in O(log n). */
class LatestIndex {
  private readonly keys: number[];
  /** prefixMax[n] = the largest index among the n + 1 smallest keys. */
  private readonly prefixMax: number[];

  constructor(pairs: Array<[key: number, index: number]>) {
    const sorted = [...pairs].sort((a, b) => a[0] - b[0]);
    this.keys = sorted.map(([key]) => key);
    let max = 0;
    this.prefixMax = sorted.map(([, index]) => (max = Math.max(max, index)));
  }

  /** The largest index with key < x (orEqual: ≤ x), 0 when none. */
  latest(x: number, orEqual: boolean): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const key = this.keys[mid]!;
      if (key < x || (orEqual && key === x)) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : this.prefixMax[lo - 1]!;
  }
}

// ---- acceptance ----

interface AcceptanceResult {
  stale: StaleAcceptance[];
  wrongRights: number;
  maxStalenessMs: number | null;
}

function judgeAcceptances(own: readonly OwnProbe[]): AcceptanceResult {
  const stale: StaleAcceptance[] = [];
  let wrongRights = 0;
  let maxStalenessMs: number | null = null;
  for (const p of own) {
    if (!is2xx(p.probe.status)) continue;
    const { probe, token } = p;
    const timeline = token.timeline;
    // Staleness within δ too: judged as if every revocation were due the moment it committed.
    const committed = timeline.byCommit.latest(probe.startMs, false);
    if (!acceptable(p, committed)) {
      const first = fellBehindAt(p, committed) ?? earliest(token.unseen, (t) => t.atMs < probe.startMs);
      if (first) maxStalenessMs = Math.max(maxStalenessMs ?? -Infinity, probe.startMs - first.atMs);
    }
    const due = timeline.byDue.latest(probe.startMs, false);
    if (acceptable(p, due)) continue;
    const missed = fellBehindAt(p, due) ?? earliest(token.unseen, (t) => t.dueMs < probe.startMs);
    if (missed) {
      stale.push({
        server: probe.server,
        user: token.mint.user,
        token: token.mint.token,
        startMs: probe.startMs,
        status: probe.status,
        revocationXid: missed.xid,
        via: missed.via,
        commitMs: missed.atMs,
        sinceCommitMs: probe.startMs - missed.atMs,
        lateMs: probe.startMs - missed.dueMs,
      });
    } else {
      wrongRights++;
    }
  }
  return { stale, wrongRights, maxStalenessMs };
}

/**
 * The change an answer fell behind: the first transition after the newest state before index k
 * that the answer shows. A server answering from the database shows a state its token never
 * saw, so what the token missed would overstate how old the answer is; null when the answer
 * shows no earlier state (then the token's first unseen change is the reference).
 */
function fellBehindAt(p: OwnProbe, k: number): Transition | null {
  if (p.key === null) return null;
  const shown = (p.token.timeline.indicesByKey.get(p.key) ?? []).filter((j) => j < k);
  if (shown.length === 0) return null;
  const newest = Math.max(...shown);
  return p.token.timeline.transitions.find((t) => t.index === newest + 1) ?? null;
}

/** Whether the probe's answer is the user's state at some point in [k, m] (see the module doc). */
function acceptable(p: OwnProbe, k: number): boolean {
  if (p.key === null) return false;
  const m = Math.max(k, p.token.timeline.byCommit.latest(p.probe.endMs, true));
  return (p.token.timeline.indicesByKey.get(p.key) ?? []).some((j) => j >= k && j <= m);
}

/** The transition with the earliest commit among those matching (ties: the lower index). */
function earliest(transitions: readonly Transition[], match: (t: Transition) => boolean): Transition | null {
  let best: Transition | null = null;
  for (const t of transitions) if (match(t) && (best === null || t.atMs < best.atMs)) best = t;
  return best;
}

// ---- revocation latency ----

interface LatencyResult {
  all: number[];
  api: number[];
  sql: number[];
  byServer: Map<string, number[]>;
  neverRevoked: number;
  unresolved: number;
}

function revocationLatencies(
  own: readonly OwnProbe[],
  timelines: Map<number, UserTimeline>,
  servers: string[],
): LatencyResult {
  const result: LatencyResult = {
    all: [],
    api: [],
    sql: [],
    byServer: new Map(),
    neverRevoked: 0,
    unresolved: 0,
  };
  for (const server of servers) result.byServer.set(server, []);
  // user → server → probes in start order
  const index = new Map<number, Map<string, OwnProbe[]>>();
  const lastStart = new Map<string, number>();
  for (const p of own) {
    lastStart.set(p.probe.server, Math.max(lastStart.get(p.probe.server) ?? -Infinity, p.probe.startMs));
    let byServer = index.get(p.token.mint.user);
    if (!byServer) index.set(p.token.mint.user, (byServer = new Map()));
    push(byServer, p.probe.server, p);
  }
  for (const [user, timeline] of timelines) {
    for (const t of timeline.transitions) {
      for (const server of servers) {
        let outcome = latencyOf(t, index.get(user)?.get(server) ?? []);
        // Honoured until probing stopped, but not yet due then: the phase ended, not the server.
        if (outcome === 'never' && t.dueMs >= (lastStart.get(server) ?? -Infinity)) outcome = 'unresolved';
        if (outcome === 'never') result.neverRevoked++;
        else if (outcome === 'unresolved') result.unresolved++;
        else if (outcome !== null) {
          result.all.push(outcome);
          result[t.via].push(outcome);
          result.byServer.get(server)!.push(outcome);
        }
      }
    }
  }
  return result;
}

/** Commit → first correct answer after the last honouring one; 'never'; or null (unmeasured). */
/**
 * A latency counts only if it was sampled finely: the first correct answer started at most this
 * long after the probe before it (or after the commit). Otherwise it measures how rarely that
 * token happened to be probed, not the server.
 */
export const LATENCY_RESOLUTION_MS = 100;

function latencyOf(t: Transition, probes: readonly OwnProbe[]): number | 'never' | 'unresolved' | null {
  let lastHonour = -Infinity;
  const starts: number[] = [];
  const correct: boolean[] = [];
  for (let i = firstStartingAt(probes, t.atMs); i < probes.length; i++) {
    const p = probes[i]!;
    if (!p.token.unseenIndices.has(t.index)) continue;
    const honouring = honours(p, t.index);
    if (honouring) lastHonour = Math.max(lastHonour, p.probe.startMs);
    starts.push(p.probe.startMs);
    correct.push(
      !honouring &&
        (is2xx(p.probe.status) ||
          p.probe.status === 401 ||
          (p.probe.status === 403 && deniedRightly(p, t.index))),
    );
  }
  // Probes are in start order, so the first correct start after lastHonour is the earliest.
  const k = starts.findIndex((start, i) => correct[i] && start > lastHonour);
  if (k === -1) return lastHonour === -Infinity ? null : 'never';
  const previous = k === 0 ? t.atMs : starts[k - 1]!;
  return starts[k]! - previous > LATENCY_RESOLUTION_MS ? 'unresolved' : starts[k]! - t.atMs;
}

/** A 2xx that answers with claims the user has not held since transition i (by the probe's end). */
/**
 * A 403 to a stale token is a decision on current rights only if some state since revocation i
 * (by the end of the request) lacks the route's permission; otherwise the server denied on the
 * token's stale claims (jwt-only does), which is no sign that it saw the revocation.
 */
function deniedRightly(p: OwnProbe, i: number): boolean {
  const entries = p.token.timeline.entries;
  for (let j = i; j < entries.length && entries[j]!.atMs <= p.probe.endMs; j++) {
    const state = entries[j]!.state;
    if (
      state === null ||
      state.incarnation !== p.token.mint.incarnation ||
      state.rights === null ||
      !state.rights.permissions.includes(DASHBOARD_PERMISSION)
    )
      return true;
  }
  return false;
}

function honours(p: OwnProbe, i: number): boolean {
  if (!is2xx(p.probe.status)) return false;
  if (p.key === null) return true;
  const entries = p.token.timeline.entries;
  return !(p.token.timeline.indicesByKey.get(p.key) ?? []).some(
    (j) => j >= i && entries[j]!.atMs <= p.probe.endMs,
  );
}

function firstStartingAt(probes: readonly OwnProbe[], ms: number): number {
  let lo = 0;
  let hi = probes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (probes[mid]!.probe.startMs < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ---- rejections and lock-outs ----

function findLockouts(
  own: readonly OwnProbe[],
  history: History,
  bounds: FreshnessBounds,
): { episodes: LockoutEpisode[]; unexcused: number } {
  const excuses = excuseWindows(history, bounds.recoveryMs);
  const open = new Map<string, LockoutEpisode>();
  const episodes: LockoutEpisode[] = [];
  let unexcused = 0;
  for (const { probe, token } of own) {
    const rights: Rights | null = token.mint.rights ?? null;
    if (rights === null || token.firstUnseenCommitMs <= probe.endMs) continue;
    // Past its exp a token may be refused at any moment: that is expiry, not a lock-out.
    if (token.mint.expMs !== undefined && probe.endMs >= token.mint.expMs) continue;
    const user = token.mint.user;
    const pairKey = `${probe.server}\u0000${user}`;
    const expected = rights.permissions.includes(DASHBOARD_PERMISSION) ? 'ok' : 403;
    if (expected === 'ok' ? is2xx(probe.status) : probe.status === 403) {
      open.delete(pairKey);
      continue;
    }
    // A 2xx where 403 was due grants too much; that is no rejection (nor an expected answer).
    if (is2xx(probe.status) || excuses.excused(probe, user)) continue;
    unexcused++;
    const episode = open.get(pairKey);
    if (episode) {
      episode.toMs = Math.max(episode.toMs, probe.endMs);
      episode.durationMs = episode.toMs - episode.fromMs;
      episode.rejections++;
      if (!episode.statuses.includes(probe.status)) {
        episode.statuses = [...episode.statuses, probe.status].sort((a, b) => a - b);
      }
    } else {
      const fresh: LockoutEpisode = {
        server: probe.server,
        user,
        fromMs: probe.startMs,
        toMs: probe.endMs,
        durationMs: probe.endMs - probe.startMs,
        rejections: 1,
        statuses: [probe.status],
      };
      open.set(pairKey, fresh);
      episodes.push(fresh);
    }
  }
  return { episodes, unexcused };
}

interface Excuses {
  excused(probe: ProbeEvent, user: number): boolean;
}

function excuseWindows(history: History, recoveryMs: number): Excuses {
  const faults = history.faults.map((f): [number, number] => [f.startMs, f.endMs + recoveryMs]);
  const crashes = new Map<string, Array<[number, number]>>();
  for (const c of history.crashes)
    push(crashes, c.server, [c.atMs, (c.restartedAtMs ?? Infinity) + recoveryMs]);
  const ops = new Map<number, Array<[number, number]>>();
  for (const op of history.revocations) for (const user of op.users) push(ops, user, [op.invokeMs, op.ackMs]);
  const hit = (p: ProbeEvent, windows: ReadonlyArray<[number, number]> | undefined): boolean =>
    (windows ?? []).some(([from, to]) => meets(p.startMs, p.endMs, from, to));
  return {
    excused: (p, user) => hit(p, faults) || hit(p, crashes.get(p.server)) || hit(p, ops.get(user)),
  };
}

// ---- counts ----

function countStatuses(probes: readonly ProbeEvent[]): FreshnessVerdict['probes'] {
  const c = { total: probes.length, ok: 0, status401: 0, status403: 0, status503: 0, other: 0, errors: 0 };
  for (const { status } of probes) {
    if (is2xx(status)) c.ok++;
    else if (status === 401) c.status401++;
    else if (status === 403) c.status403++;
    else if (status === 503) c.status503++;
    else if (status === 0) c.errors++;
    else c.other++;
  }
  return c;
}

function faultStats(fault: FaultEvent, probes: readonly ProbeEvent[], recoveryMs: number): FaultWindowStats {
  const to = fault.endMs + recoveryMs;
  const stats: FaultWindowStats = {
    kind: fault.kind,
    startMs: fault.startMs,
    endMs: fault.endMs,
    probes: 0,
    ok: 0,
    status503: 0,
    otherRejections: 0,
    errors: 0,
    unavailableLatencyMs: null,
  };
  const unavailable: number[] = [];
  for (const p of probes) {
    if (p.startMs > to) break; // sorted by start
    if (!meets(p.startMs, p.endMs, fault.startMs, to)) continue;
    stats.probes++;
    if (is2xx(p.status)) stats.ok++;
    else if (p.status === 503) {
      stats.status503++;
      unavailable.push(p.endMs - p.startMs);
    } else if (p.status === 0) stats.errors++;
    else stats.otherRejections++;
  }
  stats.unavailableLatencyMs = percentiles(unavailable);
  return stats;
}

export function percentiles(values: readonly number[]): Percentiles | null {
  if (values.length === 0) return null;
  const max = values.reduce((a, b) => Math.max(a, b), -Infinity);
  return { p50: quantile(values, 0.5), p99: quantile(values, 0.99), max, count: values.length };
}

// ---- helpers ----

/** Permissions are compared as a set: an echo in another order still names the same rights. */
function stateKey(incarnation: number, rights: Rights): string {
  return JSON.stringify([incarnation, rights.role, [...new Set(rights.permissions)].sort()]);
}

/** Only states a token could claim (a user that exists and holds a role) get a key. */
function keyOfState(state: UserState): string | null {
  return state && state.rights ? stateKey(state.incarnation, state.rights) : null;
}

function is2xx(status: number): boolean {
  return status >= 200 && status < 300;
}

/** Whether the closed intervals [a1, a2] and [b1, b2] share a point. */
function meets(a1: number, a2: number, b1: number, b2: number): boolean {
  return a1 <= b2 && b1 <= a2;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
