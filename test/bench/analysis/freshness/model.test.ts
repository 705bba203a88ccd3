import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTimelines, RbacModel, type TimelineEntry } from '../../../../bench/analysis/freshness/model.js';
import type { CommitEvent, RbacState, Rights, WalChange } from '../../../../bench/schema/freshness.js';

/** admin (1) > editor (2) > viewer (3); users 10 admin, 11 editor, 12 viewer; 99 is not probed. */
const initial: RbacState = {
  roles: [
    [1, 'admin'],
    [2, 'editor'],
    [3, 'viewer'],
  ],
  permissions: [
    [1, 'view_dashboard'],
    [2, 'edit'],
    [3, 'delete'],
  ],
  rolePermissions: [
    [1, 1],
    [1, 2],
    [1, 3],
    [2, 1],
    [2, 2],
    [3, 1],
  ],
  users: [
    [10, 1],
    [11, 1],
    [12, 1],
  ],
  userRoles: [
    [10, 1],
    [11, 2],
    [12, 3],
  ],
};

const ADMIN: Rights = { role: 'admin', permissions: ['delete', 'edit', 'view_dashboard'] };
const EDITOR: Rights = { role: 'editor', permissions: ['edit', 'view_dashboard'] };

const ins = (table: string, row: WalChange['new']): WalChange => ({
  table,
  op: 'INSERT',
  old: null,
  new: row,
});
const del = (table: string, key: WalChange['old']): WalChange => ({
  table,
  op: 'DELETE',
  old: key,
  new: null,
});
const upd = (table: string, row: WalChange['new'], oldKey: WalChange['old'] = null): WalChange => ({
  table,
  op: 'UPDATE',
  old: oldKey,
  new: row,
});
const truncate = (table: string): WalChange => ({ table, op: 'TRUNCATE', old: null, new: null });

let nextXid = 100;
function commit(...changes: WalChange[]): CommitEvent {
  const xid = nextXid++;
  return { xid, lsn: `0/${xid}`, atMs: xid * 10, changes };
}

function timelineOf(commits: CommitEvent[], user: number): TimelineEntry[] {
  const t = buildTimelines(initial, commits).get(user);
  assert.ok(t, `user ${user} has a timeline`);
  return t;
}

test('the initial state folds like claimsFromRows', () => {
  const model = new RbacModel(initial);
  assert.deepEqual(model.stateOf(10), { incarnation: 1, rights: ADMIN });
  assert.deepEqual(model.stateOf(12), {
    incarnation: 1,
    rights: { role: 'viewer', permissions: ['view_dashboard'] },
  });
  assert.equal(model.stateOf(99), null, 'an unknown user has no row');
  const t = timelineOf([], 10);
  assert.deepEqual(
    t.map((e) => [e.index, e.xid, e.atMs]),
    [[0, 0, -Infinity]],
    'element 0 is the initial state',
  );
});

test('the lowest role id names the role; permissions are the union over all roles', () => {
  const t = timelineOf([commit(ins('user_roles', { user_id: 12, role_id: 2 }))], 12);
  assert.deepEqual(t[1]?.state, { incarnation: 1, rights: EDITOR });
});

test('renaming a permission changes the rights of exactly the users whose roles hold it', () => {
  const commits = [commit(upd('permissions', { id: 2, name: 'write' }))];
  const timelines = buildTimelines(initial, commits);
  const admin = timelines.get(10)?.[1]?.state?.rights;
  assert.deepEqual(admin?.permissions, ['delete', 'view_dashboard', 'write'], 'admin has edit');
  assert.deepEqual(timelines.get(11)?.[1]?.state?.rights, {
    role: 'editor',
    permissions: ['view_dashboard', 'write'],
  });
  assert.equal(timelines.get(12)?.length, 1, 'viewer lacks edit: no transition');
  assert.equal(timelines.get(10)?.[1]?.xid, commits[0]!.xid);
  assert.equal(timelines.get(10)?.[1]?.atMs, commits[0]!.atMs);
});

test('a role rename and a role-key change through old-key', () => {
  const t = timelineOf(
    [
      commit(upd('roles', { id: 3, name: 'reader' })),
      commit(upd('roles', { id: 30, name: 'reader' }, { id: 3 })),
    ],
    12,
  );
  assert.equal(t[1]?.state?.rights?.role, 'reader', 'renamed');
  assert.deepEqual(
    t[2]?.state,
    { incarnation: 1, rights: null },
    'its user_roles row still names role 3, now gone',
  );
});

test('TRUNCATE user_roles and re-inserting identical rows in the same commit is no transition', () => {
  const same = commit(
    truncate('user_roles'),
    ins('user_roles', { user_id: 10, role_id: 1 }),
    ins('user_roles', { user_id: 11, role_id: 2 }),
    ins('user_roles', { user_id: 12, role_id: 3 }),
    ins('user_roles', { user_id: 99, role_id: 1 }),
  );
  for (const user of [10, 11, 12]) assert.equal(timelineOf([same], user).length, 1, `user ${user}`);
  const split = [commit(truncate('user_roles')), commit(ins('user_roles', { user_id: 10, role_id: 1 }))];
  const t = timelineOf(split, 10);
  const roles = t.map((e) => e.state?.rights?.role ?? null);
  assert.deepEqual(roles, ['admin', null, 'admin'], 'in two commits: two transitions');
});

test('removing a permission from a role revokes it from that role only', () => {
  const commits = [commit(del('role_permissions', { role_id: 2, permission_id: 2 }))];
  assert.deepEqual(timelineOf(commits, 11)[1]?.state?.rights?.permissions, ['view_dashboard']);
  assert.equal(timelineOf(commits, 10).length, 1, 'admin still holds edit through its own role');
});

test('a commit that changes nothing for a user is no transition of it', () => {
  const commits = [
    commit(upd('users', { id: 10, incarnation: 1, token_version: 57 })),
    commit(ins('user_roles', { user_id: 99, role_id: 1 }), ins('users', { id: 98, incarnation: 7 })),
    commit(ins('permissions', { id: 4, name: 'unused' })),
  ];
  for (const user of [10, 11, 12]) assert.equal(timelineOf(commits, user).length, 1, `user ${user}`);
});

test('deleting a user gives null; re-inserting it gives the new incarnation, first without a role', () => {
  const t = timelineOf(
    [
      commit(del('user_roles', { user_id: 10, role_id: 1 }), del('users', { id: 10 })),
      commit(ins('users', { id: 10, incarnation: 2, username: 'u10' })),
      commit(ins('user_roles', { user_id: 10, role_id: 1 })),
    ],
    10,
  );
  assert.deepEqual(
    t.map((e) => e.state),
    [
      { incarnation: 1, rights: ADMIN },
      null,
      { incarnation: 2, rights: null },
      { incarnation: 2, rights: ADMIN },
    ],
  );
  assert.deepEqual(
    t.map((e) => e.index),
    [0, 1, 2, 3],
  );
});

test('deletes cascade even when the WAL omits the cascaded rows; TRUNCATE empties the table', () => {
  const noRole = timelineOf(
    [commit(del('roles', { id: 3 })), commit(ins('roles', { id: 3, name: 'viewer' }))],
    12,
  );
  assert.deepEqual(
    noRole.map((e) => e.state?.rights ?? null),
    [{ role: 'viewer', permissions: ['view_dashboard'] }, null],
    'a re-created role does not bring back the links its deletion cut',
  );
  const userGone = timelineOf(
    [commit(del('users', { id: 11 })), commit(ins('users', { id: 11, incarnation: 5 }))],
    11,
  );
  assert.deepEqual(
    userGone.map((e) => e.state),
    [{ incarnation: 1, rights: EDITOR }, null, { incarnation: 5, rights: null }],
  );
  const perms = timelineOf([commit(truncate('role_permissions'))], 11);
  const editor = perms[1]?.state?.rights;
  assert.deepEqual(editor, { role: 'editor', permissions: [] }, 'a role without permissions is still a role');
  const users = buildTimelines(initial, [commit(truncate('users'))]);
  for (const user of [10, 11, 12]) assert.equal(users.get(user)?.[1]?.state, null, `user ${user} gone`);
});

test('a user id change moves the row away from (or onto) a probed id', () => {
  const t = timelineOf(
    [
      commit(upd('users', { id: 500, incarnation: 1 }, { id: 12 })),
      commit(upd('users', { id: 12, incarnation: 9 }, { id: 500 })),
    ],
    12,
  );
  assert.deepEqual(
    t.map((e) => e.state?.incarnation ?? null),
    [1, null, 9],
  );
  assert.equal(t[2]?.state?.rights?.role, 'viewer', 'its user_roles rows were never deleted');
});

test('a malformed change is an error, not a guess', () => {
  assert.throws(() => buildTimelines(initial, [commit(ins('users', { id: 10 }))]), /malformed incarnation/);
  assert.throws(
    () => buildTimelines(initial, [commit(ins('roles', { id: 'x', name: 'y' }))]),
    /malformed id/,
  );
});
