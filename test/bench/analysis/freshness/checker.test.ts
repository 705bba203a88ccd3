import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFreshness, visibleIn } from '../../../../bench/analysis/freshness/checker.js';
import { declaredWithTtl } from '../../../../bench/analysis/freshness/result.js';
import { quantile, seededRandom } from '../../../../bench/analysis/stats.js';
import type {
  CommitEvent,
  CrashEvent,
  FaultEvent,
  FreshnessBounds,
  History,
  MintEvent,
  ProbeEvent,
  RbacState,
  RevocationOp,
  Rights,
  ServerInfo,
  XidSnapshot,
} from '../../../../bench/schema/freshness.js';

/** Users 10 and 11 are admins, 12 a guest (no view_dashboard: the dashboard answers 403). */
const initial: RbacState = {
  roles: [
    [1, 'admin'],
    [3, 'viewer'],
    [4, 'guest'],
  ],
  permissions: [
    [1, 'view_dashboard'],
    [2, 'edit'],
    [3, 'delete'],
    [4, 'report'],
  ],
  rolePermissions: [
    [1, 1],
    [1, 2],
    [1, 3],
    [3, 1],
    [3, 4],
    [4, 4],
  ],
  users: [
    [10, 1],
    [11, 1],
    [12, 1],
  ],
  userRoles: [
    [10, 1],
    [11, 1],
    [12, 4],
  ],
};
const ADMIN: Rights = { role: 'admin', permissions: ['delete', 'edit', 'view_dashboard'] };
const VIEWER: Rights = { role: 'viewer', permissions: ['report', 'view_dashboard'] };
const VIEWER_NO_REPORT: Rights = { role: 'viewer', permissions: ['view_dashboard'] };
const GUEST: Rights = { role: 'guest', permissions: ['report'] };

const bounds: FreshnessBounds = { apiMs: 0, sqlMs: 1000, recoveryMs: 500 };
/** Taken before xid 100: sees none of the commits below. */
const BEFORE: XidSnapshot = { xmin: 100, xmax: 100, xip: [] };
const after = (xid: number): XidSnapshot => ({ xmin: xid + 1, xmax: xid + 1, xip: [] });

function commit(xid: number, atMs: number, changes: CommitEvent['changes']): CommitEvent {
  return { xid, lsn: `0/${xid}`, atMs, changes };
}

/** admin → viewer */
function demote(xid: number, atMs: number, user: number): CommitEvent {
  return commit(xid, atMs, [
    { table: 'user_roles', op: 'DELETE', old: { user_id: user, role_id: 1 }, new: null },
    { table: 'user_roles', op: 'INSERT', old: null, new: { user_id: user, role_id: 3 } },
  ]);
}

function server(name: string): ServerInfo {
  return { name, strategy: name === 'db' ? 'db-lookup' : 'jwt-redis', link: 'direct', linkDelayMs: 0 };
}

function history(parts: Partial<History>): History {
  return {
    schemaVersion: 1,
    strategy: 'jwt-redis',
    seed: 1,
    startedAt: '2026-11-26T00:00:00.000Z',
    durationMs: 60_000,
    servers: [server('jwt')],
    clock: { offsetMs: 0, uncertaintyMs: 0, driftMs: 0 },
    initial,
    commits: [],
    mints: [],
    probes: [],
    revocations: [],
    faults: [],
    crashes: [],
    ...parts,
  };
}

function mint(
  token: number,
  user: number,
  rights: Rights,
  snapshot: XidSnapshot | null = BEFORE,
  extra: Partial<MintEvent> = {},
): MintEvent {
  return { token, user, atMs: 0, dataset: 'own', snapshot, incarnation: 1, rights, ...extra };
}

function probe(
  token: number,
  startMs: number,
  status: number,
  rights: Rights | null = null,
  extra: Partial<ProbeEvent> = {},
): ProbeEvent {
  return { server: 'jwt', token, startMs, endMs: startMs + 2, status, rights, ...extra };
}

function apiOp(id: number, users: number[], invokeMs: number, ackMs: number): RevocationOp {
  return {
    id,
    kind: 'api-role-change',
    via: 'api',
    users,
    invokeMs,
    ackMs,
    outcome: 'ok',
    xid: null,
    server: 'jwt',
  };
}

function sqlOp(id: number, users: number[], xid: number, invokeMs: number, ackMs: number): RevocationOp {
  return { id, kind: 'sql-role-change', via: 'sql', users, invokeMs, ackMs, outcome: 'ok', xid };
}

function fault(startMs: number, endMs: number, lossOfRedisWrites = false): FaultEvent {
  return {
    kind: lossOfRedisWrites ? 'redis-restart-empty' : 'redis-pause',
    startMs,
    endMs,
    lossOfRedisWrites,
  };
}

test('visibility: committed before xmin, or below xmax and not in progress', () => {
  const s: XidSnapshot = { xmin: 100, xmax: 105, xip: [100, 103] };
  assert.equal(visibleIn(99, s), true, 'below xmin');
  assert.equal(visibleIn(100, s), false, 'in progress at xmin');
  assert.equal(visibleIn(101, s), true, 'committed between xmin and xmax');
  assert.equal(visibleIn(103, s), false, 'in progress');
  assert.equal(visibleIn(105, s), false, 'xmax: not yet assigned');
});

test('API revocation (δ = 0): a probe 1 ms before the commit is fine, 1 ms after is a stale acceptance', () => {
  const v = checkFreshness(
    history({
      commits: [demote(100, 1000, 10)],
      revocations: [apiOp(1, [10], 990, 1010)],
      mints: [mint(1, 10, ADMIN)],
      probes: [probe(1, 999, 200, ADMIN), probe(1, 1001, 200, ADMIN)],
    }),
    bounds,
  );
  assert.equal(v.staleAccepted, 1, 'stale acceptance just after commit + δ');
  assert.deepEqual(v.staleAcceptances, [
    {
      server: 'jwt',
      user: 10,
      token: 1,
      startMs: 1001,
      status: 200,
      revocationXid: 100,
      via: 'api',
      commitMs: 1000,
      sinceCommitMs: 1,
      lateMs: 1,
    },
  ]);
  assert.equal(v.wrongRights, 0);
  assert.equal(v.maxStalenessMs, 1, 'the probe before the commit was not stale at all');
  assert.deepEqual(v.revocations, { total: 1, api: 1, sql: 0, ops: 1, failedOps: 0 });
});

test('SQL revocation (δ = 1000): 1 ms before commit + δ is within the bound, 1 ms after is not', () => {
  const v = checkFreshness(
    history({
      commits: [demote(100, 1000, 10)],
      revocations: [sqlOp(1, [10], 100, 900, 1000)],
      mints: [mint(1, 10, ADMIN)],
      probes: [probe(1, 1500, 200, ADMIN), probe(1, 1999, 200, ADMIN), probe(1, 2001, 200, ADMIN)],
    }),
    bounds,
  );
  assert.equal(v.staleAccepted, 1, 'only the probe after commit + δ');
  assert.equal(v.staleAcceptances[0]?.startMs, 2001);
  assert.equal(v.staleAcceptances[0]?.via, 'sql');
  assert.equal(v.staleAcceptances[0]?.sinceCommitMs, 1001);
  assert.equal(v.staleAcceptances[0]?.lateMs, 1);
  assert.equal(v.maxStalenessMs, 1001, 'staleness within δ is measured too');
  assert.deepEqual(v.revocations, { total: 1, api: 0, sql: 1, ops: 1, failedOps: 0 });
});

test("a db-lookup-like server answering a stale token with the user's current rights is no violation", () => {
  const v = checkFreshness(
    history({
      servers: [server('db')],
      commits: [demote(100, 1000, 10)],
      revocations: [apiOp(1, [10], 990, 1010)],
      mints: [mint(1, 10, ADMIN), mint(2, 10, VIEWER, after(100))],
      probes: [
        probe(1, 3000, 200, VIEWER, { server: 'db' }),
        probe(1, 3010, 200, { role: 'viewer', permissions: ['view_dashboard', 'report'] }, { server: 'db' }),
        probe(2, 3020, 200, VIEWER_NO_REPORT, { server: 'db' }),
      ],
    }),
    bounds,
  );
  assert.equal(
    v.staleAccepted,
    0,
    'current rights on a stale token are acceptable (echo order does not matter)',
  );
  assert.equal(v.wrongRights, 1, 'rights the user never had, on a fresh token');
  assert.equal(v.maxStalenessMs, null);
});

test('concurrent revocations: tokens minted between them in snapshot terms, including an in-progress lower xid', () => {
  const dropReport = commit(101, 1005, [
    { table: 'role_permissions', op: 'DELETE', old: { role_id: 3, permission_id: 4 }, new: null },
  ]);
  const v = checkFreshness(
    history({
      commits: [demote(100, 1000, 10), dropReport],
      mints: [
        mint(1, 10, ADMIN, { xmin: 100, xmax: 102, xip: [100] }), // saw 101 but not 100, still in progress
        mint(2, 10, VIEWER, after(100)), // saw 100, not 101
        mint(3, 10, ADMIN, { xmin: 100, xmax: 102, xip: [100, 101] }), // saw neither
      ],
      probes: [
        probe(1, 1003, 200, ADMIN),
        probe(2, 1003, 200, VIEWER),
        probe(2, 1006, 200, VIEWER),
        probe(3, 1010, 200, ADMIN),
      ],
    }),
    bounds,
  );
  assert.equal(v.revocations.total, 2, 'two transitions of user 10');
  assert.equal(
    v.staleAccepted,
    3,
    'token 2 between the commits is fine; the other three missed a due revocation',
  );
  assert.deepEqual(
    v.staleAcceptances.map((s) => [s.token, s.startMs, s.revocationXid]),
    [
      [1, 1003, 100],
      [2, 1006, 101],
      [3, 1010, 100],
    ],
    'a committed higher xid does not make the in-progress lower one seen; the earliest missed one is reported',
  );
  assert.equal(v.maxStalenessMs, 10);
});

test('an API revocation overlapping a Redis write loss gets the SQL δ', () => {
  const parts: Partial<History> = {
    commits: [demote(100, 1000, 10)],
    revocations: [apiOp(1, [10], 990, 1010)],
    mints: [mint(1, 10, ADMIN)],
    probes: [probe(1, 1500, 200, ADMIN), probe(1, 2001, 200, ADMIN)],
  };
  const lossy = checkFreshness(history({ ...parts, faults: [fault(1005, 1200, true)] }), bounds);
  assert.equal(lossy.staleAccepted, 1, 'only after commit + sqlMs');
  const first = lossy.staleAcceptances[0];
  assert.deepEqual([first?.startMs, first?.via, first?.lateMs], [2001, 'api', 1]);
  const paused = checkFreshness(
    history({ ...parts, faults: [fault(1005, 1200, false), fault(3000, 3100, true)] }),
    bounds,
  );
  assert.equal(
    paused.staleAccepted,
    2,
    'a pause loses nothing, and a later loss does not overlap the op: δ = apiMs',
  );
});

test("a deleted and re-created user: the old incarnation's token is stale, the new one is not", () => {
  const recreate = commit(100, 1000, [
    { table: 'user_roles', op: 'DELETE', old: { user_id: 10, role_id: 1 }, new: null },
    { table: 'users', op: 'DELETE', old: { id: 10 }, new: null },
    { table: 'users', op: 'INSERT', old: null, new: { id: 10, incarnation: 2 } },
    { table: 'user_roles', op: 'INSERT', old: null, new: { user_id: 10, role_id: 1 } },
  ]);
  const v = checkFreshness(
    history({
      commits: [recreate],
      revocations: [{ ...sqlOp(1, [10], 100, 900, 1000), kind: 'sql-recreate-user' }],
      mints: [mint(1, 10, ADMIN), mint(2, 10, ADMIN, after(100), { incarnation: 2 })],
      probes: [
        probe(1, 1500, 200, ADMIN),
        probe(1, 2500, 200, ADMIN),
        probe(2, 2500, 200, ADMIN),
        probe(1, 2600, 401),
      ],
    }),
    bounds,
  );
  assert.equal(v.revocations.total, 1, 'same rights, new incarnation: one transition');
  assert.equal(v.staleAccepted, 1, 'same rights but the wrong incarnation, past δ');
  assert.deepEqual([v.staleAcceptances[0]?.token, v.staleAcceptances[0]?.lateMs], [1, 500]);
  assert.equal(v.wrongRights, 0, 'the new token is acceptable');
  assert.deepEqual(
    v.revocationLatencyByVia.sql,
    { p50: 1600, p99: 1600, max: 1600, count: 1 },
    'the 401 at 2600',
  );
});

test('a token minted against another dataset: any 2xx counts as foreignAccepted', () => {
  const v = checkFreshness(
    history({
      mints: [mint(5, 10, ADMIN, null, { dataset: 'foreign' })],
      probes: [probe(5, 100, 200, ADMIN), probe(5, 200, 401)],
    }),
    bounds,
  );
  assert.equal(v.foreignAccepted, 1);
  assert.equal(v.staleAccepted, 0);
  assert.equal(v.wrongRights, 0);
  assert.equal(v.rejectionsOutsideFaults, 0, 'rejecting a foreign token is right, whatever its claims');
});

test('lock-outs: rejections of a fresh token outside fault + recovery form episodes', () => {
  const v = checkFreshness(
    history({
      faults: [fault(1000, 2000)],
      mints: [mint(1, 10, ADMIN), mint(3, 12, GUEST)],
      probes: [
        probe(1, 1500, 401), // inside the fault
        probe(1, 2400, 401), // inside recovery (until 2500)
        probe(1, 5000, 401, null, { endMs: 5010 }),
        probe(1, 5100, 503, null, { endMs: 5120 }),
        probe(1, 5700, 401), // still rejected 700 ms later: past the recovery bound (500)
        probe(1, 6000, 200, ADMIN), // the expected answer ends the episode
        probe(1, 7000, 401),
        probe(3, 7000, 403), // a guest is expected to get 403
        probe(3, 8000, 401),
      ],
    }),
    bounds,
  );
  assert.equal(v.rejectionsOutsideFaults, 5, 'the two rejections within fault + recovery are excused');
  assert.equal(v.lockouts, 1, 'only the run of rejections that outlasted the recovery bound');
  assert.deepEqual(
    v.lockoutEpisodes[0],
    {
      server: 'jwt',
      user: 10,
      fromMs: 5000,
      toMs: 5702,
      durationMs: 702,
      rejections: 3,
      statuses: [401, 503],
    },
    'a 401 long after the fault ended, a 503, a 401: one episode',
  );
  assert.deepEqual(
    v.rejectionEpisodes.map((e) => [e.user, e.fromMs, e.rejections]),
    [
      [10, 5000, 3],
      [10, 7000, 1],
      [12, 8000, 1],
    ],
    'single short rejections are reported, not lock-outs',
  );
  assert.equal(v.staleAccepted, 0);
});

test('a rejection during an in-flight API revocation of that user is excused; a stale token is no lock-out', () => {
  const parts: Partial<History> = {
    commits: [demote(100, 8090, 11)],
    mints: [mint(4, 11, ADMIN)],
    probes: [probe(4, 8010, 503, null, { endMs: 8020 }), probe(4, 8200, 401)],
  };
  const inFlight = checkFreshness(history({ ...parts, revocations: [apiOp(1, [11], 8000, 8100)] }), bounds);
  assert.equal(
    inFlight.rejectionsOutsideFaults,
    0,
    'the 503 overlaps the op; the 401 is on a token that missed it',
  );
  assert.equal(inFlight.lockouts, 0);
  const otherUser = checkFreshness(history({ ...parts, revocations: [apiOp(1, [10], 8000, 8100)] }), bounds);
  assert.equal(otherUser.rejectionsOutsideFaults, 1, "another user's revocation excuses nothing");
});

test('liveness judges only tokens that saw every RBAC commit: a strategy may revoke more than changed', () => {
  // Commit 100 touches user 11 only; a strategy that also revoked user 10 (a conservative
  // trigger) rejects 10's older token: that is over-revocation, not a lock-out. A token of 10's
  // minted after it must be accepted.
  const v = checkFreshness(
    history({
      commits: [demote(100, 1000, 11)],
      mints: [mint(1, 10, ADMIN, BEFORE), mint(2, 10, ADMIN, after(100))],
      probes: [probe(1, 5000, 401), probe(2, 5000, 401), probe(2, 5600, 401)],
    }),
    bounds,
  );
  assert.equal(v.lockouts, 1, 'only the token minted after every commit counts');
  assert.equal(v.rejectionsOutsideFaults, 2, 'its two rejections');
  assert.equal(v.lockoutEpisodes[0]!.rejections, 2);
});

test('crashes are counted and excuse their own server until restart + recovery', () => {
  const crash: CrashEvent = {
    server: 'jwt',
    atMs: 9000,
    restartedAtMs: 9100,
    code: null,
    signal: 'SIGKILL',
    stderr: '',
  };
  const v = checkFreshness(
    history({
      servers: [server('jwt'), server('db')],
      crashes: [crash],
      mints: [mint(1, 10, ADMIN)],
      probes: [
        probe(1, 9150, 0, null, { error: 'ECONNREFUSED' }),
        probe(1, 9700, 0),
        probe(1, 9050, 0, null, { server: 'db' }),
      ],
    }),
    bounds,
  );
  assert.equal(v.crashes, 1);
  assert.equal(v.rejectionsOutsideFaults, 2, 'after restart + recovery, and on another server');
  assert.deepEqual(v.rejectionEpisodes.map((e) => e.server).sort(), ['db', 'jwt']);
  const forever = checkFreshness(
    history({
      crashes: [{ ...crash, restartedAtMs: null }],
      mints: [mint(1, 10, ADMIN)],
      probes: [probe(1, 50_000, 0)],
    }),
    bounds,
  );
  assert.equal(forever.lockouts, 0, 'a server that never came back excuses everything after');
});

test('revocation latency: first correct answer after the last honouring probe; 503 does not end it', () => {
  const v = checkFreshness(
    history({
      servers: [server('jwt'), server('db'), server('slow'), server('sparse')],
      commits: [demote(100, 1000, 10), demote(101, 2000, 11)],
      revocations: [apiOp(1, [10], 990, 1010), sqlOp(2, [11], 101, 1900, 2000)],
      mints: [mint(1, 10, ADMIN), mint(2, 11, ADMIN), mint(3, 10, VIEWER, after(100))],
      probes: [
        probe(1, 999, 200, ADMIN), // before the commit: not part of it
        probe(1, 1001, 200, ADMIN),
        probe(1, 1010, 503),
        probe(1, 1020, 200, ADMIN), // still honoured: the last honouring probe
        probe(1, 1030, 0),
        probe(1, 1040, 401), // → 40
        probe(1, 1100, 401),
        probe(3, 1005, 200, VIEWER), // a token that saw the revocation says nothing about it
        probe(1, 1005, 200, VIEWER, { server: 'db' }), // current rights → 5
        probe(1, 1002, 200, ADMIN, { server: 'slow' }),
        probe(1, 1050, 503, null, { server: 'slow' }), // never revoked
        probe(2, 2100, 200, ADMIN), // within the SQL δ, still honoured
        probe(2, 2550, 200, ADMIN), // … and again
        probe(2, 2600, 401), // → 600
        probe(1, 1300, 401, null, { server: 'sparse' }), // 300 ms after the commit, nothing between: unresolved
        probe(2, 2100, 503, null, { server: 'db' }),
        probe(2, 2200, 503, null, { server: 'db' }), // only "no decision": unmeasured
      ],
    }),
    bounds,
  );
  assert.equal(v.neverRevoked, 1, 'slow honoured the old claims until the end');
  assert.deepEqual(v.revocationLatencyMs, { p50: 40, p99: quantile([5, 40, 600], 0.99), max: 600, count: 3 });
  assert.deepEqual(v.revocationLatencyByVia, {
    api: { p50: 22.5, p99: quantile([5, 40], 0.99), max: 40, count: 2 },
    sql: { p50: 600, p99: 600, max: 600, count: 1 },
  });
  assert.deepEqual(
    v.revocationLatencyByServer,
    {
      jwt: { p50: 320, p99: quantile([40, 600], 0.99), max: 600, count: 2 },
      db: { p50: 5, p99: 5, max: 5, count: 1 },
      slow: null,
      sparse: null,
    },
    'every server key, null when nothing was measured',
  );
  assert.equal(
    v.latencyUnresolved,
    1,
    'a first rejection 300 ms after the last sample is no latency measurement',
  );
  assert.equal(v.staleAccepted, 3, 'the API revocation (δ = 0) honoured at 1001, 1002 and 1020');
});

test("a 403 on the stale token's own claims is no sign the revocation was seen; a 403 on current rights is", () => {
  // Guest 12 (no view_dashboard) is promoted to admin at 1000: a server still deciding on the
  // token's claims answers 403, which current rights would not.
  const promote = commit(100, 1000, [
    { table: 'user_roles', op: 'DELETE', old: { user_id: 12, role_id: 4 }, new: null },
    { table: 'user_roles', op: 'INSERT', old: null, new: { user_id: 12, role_id: 1 } },
  ]);
  const onClaims = checkFreshness(
    history({ commits: [promote], mints: [mint(1, 12, GUEST)], probes: [probe(1, 1010, 403)] }),
    bounds,
  );
  assert.equal(onClaims.revocationLatencyMs, null, 'a 403 from the stale claims measures nothing');
  const onCurrent = checkFreshness(
    history({
      commits: [demote(100, 1000, 10)],
      mints: [mint(1, 10, ADMIN)],
      probes: [probe(1, 1010, 401)],
    }),
    bounds,
  );
  assert.equal(onCurrent.revocationLatencyMs?.max, 10, 'a 401 to the stale token: the revocation was seen');
});

test('status counts, fault windows, unavailability latency, operations', () => {
  const v = checkFreshness(
    history({
      faults: [{ kind: 'redis-stall', startMs: 100, endMs: 200, lossOfRedisWrites: false }],
      revocations: [apiOp(1, [10], 10, 20), { ...apiOp(2, [10], 30, 40), outcome: 'fail' }],
      mints: [mint(1, 10, ADMIN)],
      probes: [
        probe(1, 50, 200, ADMIN), // before the window
        probe(1, 150, 200, ADMIN),
        probe(1, 160, 401),
        probe(1, 650, 503, null, { endMs: 660 }),
        probe(1, 690, 503, null, { endMs: 720 }), // starts inside the window (until 200 + 500)
        probe(1, 800, 403), // after it
        probe(1, 300, 500),
        probe(1, 400, 0),
      ],
    }),
    bounds,
  );
  assert.deepEqual(v.probes, {
    total: 8,
    ok: 2,
    status401: 1,
    status403: 1,
    status503: 2,
    other: 1,
    errors: 1,
  });
  assert.deepEqual(v.faults, [
    {
      kind: 'redis-stall',
      startMs: 100,
      endMs: 200,
      probes: 6,
      ok: 1,
      status503: 2,
      otherRejections: 2,
      errors: 1,
      unavailableLatencyMs: { p50: 20, p99: quantile([10, 30], 0.99), max: 30, count: 2 },
    },
  ]);
  assert.deepEqual(v.unavailableLatencyMs, { p50: 20, p99: quantile([10, 30], 0.99), max: 30, count: 2 });
  assert.equal(v.operations, 2 + 8 + 1, 'revocation ops + probes + mints');
  assert.deepEqual(v.revocations, { total: 0, api: 0, sql: 0, ops: 2, failedOps: 1 });
  assert.equal(v.rejectionsOutsideFaults, 1, 'only the 403 after the window');
  assert.equal(v.revocationLatencyMs, null);
  assert.deepEqual(v.revocationLatencyByServer, { jwt: null });
});

test('at most 50 stale acceptances are listed, all are counted', () => {
  const probes = Array.from({ length: 60 }, (_, i) => probe(1, 2000 + (59 - i) * 10, 200, ADMIN));
  const v = checkFreshness(
    history({ commits: [demote(100, 1000, 10)], mints: [mint(1, 10, ADMIN)], probes }),
    bounds,
  );
  assert.equal(v.staleAccepted, 60);
  assert.equal(v.staleAcceptances.length, 50);
  assert.equal(v.staleAcceptances[0]?.startMs, 2000, 'the first ones by start time');
  assert.equal(v.staleAcceptances[49]?.startMs, 2490);
});

test('scales to tens of thousands of probes, deterministically', { timeout: 20_000 }, () => {
  const random = seededRandom(7);
  const users = Array.from({ length: 30 }, (_, i) => 10 + i);
  const state: RbacState = {
    ...initial,
    users: users.map((u) => [u, 1]),
    userRoles: users.map((u) => [u, 1]),
  };
  const commits: CommitEvent[] = [];
  const mints: MintEvent[] = [];
  let xid = 100;
  for (let step = 0; step < 300; step++) {
    const user = users[step % users.length]!;
    const toViewer = Math.floor(step / users.length) % 2 === 0;
    const [from, to] = toViewer ? [1, 3] : [3, 1];
    commits.push(
      commit(xid, step * 100 + 50, [
        { table: 'user_roles', op: 'DELETE', old: { user_id: user, role_id: from }, new: null },
        { table: 'user_roles', op: 'INSERT', old: null, new: { user_id: user, role_id: to } },
      ]),
    );
    mints.push(mint(step, user, toViewer ? ADMIN : VIEWER, after(xid - 1)));
    xid++;
  }
  const probes = Array.from({ length: 30_000 }, (_, i): ProbeEvent => {
    const token = Math.floor(random() * mints.length);
    const start = Math.floor(random() * 30_000);
    return probe(token, start, random() < 0.7 ? 200 : 401, mints[token]!.rights, {
      server: i % 2 ? 'jwt' : 'db',
    });
  });
  const h = history({ initial: state, servers: [server('jwt'), server('db')], commits, mints, probes });
  const v = checkFreshness(h, bounds);
  assert.equal(v.revocations.total, 300);
  assert.deepEqual(checkFreshness(h, bounds), v, 'same history, same verdict');
});

test("past its exp a token may be refused: expiry is no lock-out, and a TTL is jwt-only's bound", () => {
  const probes = [probe(1, 3000, 401), probe(1, 3600, 401), probe(1, 4200, 401, null, { endMs: 4300 })];
  const expiring = checkFreshness(
    history({ mints: [mint(1, 10, ADMIN, BEFORE, { expMs: 3000 })], probes }),
    bounds,
  );
  assert.equal(expiring.lockouts, 0);
  assert.equal(expiring.rejectionsOutsideFaults, 0);
  const unexpired = checkFreshness(
    history({ mints: [mint(1, 10, ADMIN, BEFORE, { expMs: 60_000 })], probes }),
    bounds,
  );
  assert.equal(unexpired.lockouts, 1, 'the same rejections of a live token are a lock-out');

  assert.deepEqual(declaredWithTtl({ apiMs: null, sqlMs: null }, 10), { apiMs: 16_000, sqlMs: 16_000 });
  assert.deepEqual(declaredWithTtl({ apiMs: null, sqlMs: null }, null), { apiMs: null, sqlMs: null });
  assert.deepEqual(
    declaredWithTtl({ apiMs: 0, sqlMs: 1000 }, 10),
    { apiMs: 0, sqlMs: 1000 },
    'its own bound',
  );
});

test('staleness is measured from the first change after the state the answer shows, not from what the token missed', () => {
  // A server that answers from the database (db-lookup, rbac-cache) with a token minted before
  // two SQL changes, 18 s apart: showing the first change's state 500 ms after the second is
  // 500 ms stale (within δ), not 18.5 s.
  const dropReport = commit(102, 19_000, [
    { table: 'role_permissions', op: 'DELETE', old: { role_id: 3, permission_id: 4 }, new: null },
  ]);
  const v = checkFreshness(
    history({
      commits: [demote(101, 1000, 10), dropReport],
      revocations: [sqlOp(1, [10], 101, 990, 1001), sqlOp(2, [10], 102, 18_990, 19_001)],
      mints: [mint(1, 10, ADMIN)],
      probes: [probe(1, 2500, 200, VIEWER), probe(1, 19_500, 200, VIEWER)],
    }),
    bounds,
  );
  assert.equal(v.staleAccepted, 0, 'both answers were due states');
  assert.equal(v.maxStalenessMs, 500);

  // Past δ the same answer is a stale acceptance, reported against the change it missed.
  const late = checkFreshness(
    history({
      commits: [demote(101, 1000, 10), dropReport],
      revocations: [sqlOp(1, [10], 101, 990, 1001), sqlOp(2, [10], 102, 18_990, 19_001)],
      mints: [mint(1, 10, ADMIN)],
      probes: [probe(1, 20_500, 200, VIEWER)],
    }),
    bounds,
  );
  assert.equal(late.staleAccepted, 1);
  assert.equal(late.staleAcceptances[0]!.revocationXid, 102);
  assert.equal(late.staleAcceptances[0]!.sinceCommitMs, 1500);
  assert.equal(late.maxStalenessMs, 1500);
});

test('a revocation still honoured when probing stopped, but not yet due then, is unresolved, not never revoked', () => {
  const judge = (lastProbeMs: number) =>
    checkFreshness(
      history({
        commits: [demote(101, 2000, 11)],
        revocations: [sqlOp(1, [11], 101, 1900, 2000)],
        mints: [mint(2, 11, ADMIN), mint(9, 12, GUEST)],
        probes: [probe(2, 2100, 200, ADMIN), probe(2, 2500, 200, ADMIN), probe(9, lastProbeMs, 403)],
      }),
      bounds,
    );
  const endedWithinDelta = judge(2600);
  assert.equal(endedWithinDelta.neverRevoked, 0, 'due at 3000, probing ended at 2600');
  assert.equal(endedWithinDelta.latencyUnresolved, 1);
  assert.equal(endedWithinDelta.staleAccepted, 0);
  const endedPastDue = judge(4000);
  assert.equal(endedPastDue.neverRevoked, 1, 'probing went on past its due time without a correct answer');
});
