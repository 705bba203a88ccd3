/**
 * Replays the RBAC tables' committed changes over an in-memory copy of the five tables and
 * derives, per probed user, the timeline of what a fresh token of that user would claim.
 *
 * Rights fold exactly as `servers/claims.ts` `claimsFromRows` folds the 5-table join: the role
 * is the name of the user's role with the lowest id, the permissions the sorted distinct names
 * of all permissions of all the user's roles, and a user without roles has no rights.
 *
 * The probed users are the ids of `initial.users`, fixed for the whole replay: a probed id that
 * is deleted and inserted again is tracked (with its new incarnation); other users are ignored.
 * Deleting a role, permission or user also drops the link rows that reference it, as the real
 * schema's ON DELETE CASCADE does (the WAL repeats those deletes; applying them twice is
 * harmless), and the fold skips links to rows that no longer exist besides.
 */
import type { CommitEvent, RbacState, Rights, WalChange, WalValue } from '../../schema/freshness.js';

/** null: the user row does not exist; rights null: it exists but holds no role. */
export type UserState = { incarnation: number; rights: Rights | null } | null;

export interface TimelineEntry {
  /** Position in the user's timeline; 0 is the initial state. */
  index: number;
  /** The transaction that produced this state (0 for the initial state). */
  xid: number;
  /** Its commit time on the harness clock (-Infinity for the initial state). */
  atMs: number;
  state: UserState;
}

export interface ModelOptions {
  /** The users column holding the incarnation (default 'incarnation'). */
  incarnationColumn?: string;
}

export const RBAC_TABLES = ['roles', 'permissions', 'role_permissions', 'users', 'user_roles'] as const;

type Row = Record<string, WalValue>;

export class RbacModel {
  readonly probed: ReadonlySet<number>;
  private readonly roles = new Map<number, string>();
  private readonly permissions = new Map<number, string>();
  /** role id → permission ids */
  private readonly rolePermissions = new Map<number, Set<number>>();
  /** probed user id → incarnation, for the rows that currently exist */
  private readonly users = new Map<number, number>();
  /** probed user id → role ids */
  private readonly userRoles = new Map<number, Set<number>>();
  private readonly incarnationColumn: string;

  constructor(initial: RbacState, opts: ModelOptions = {}) {
    this.incarnationColumn = opts.incarnationColumn ?? 'incarnation';
    this.probed = new Set(initial.users.map(([id]) => id));
    for (const [id, name] of initial.roles) this.roles.set(id, name);
    for (const [id, name] of initial.permissions) this.permissions.set(id, name);
    for (const [roleId, permissionId] of initial.rolePermissions)
      link(this.rolePermissions, roleId, permissionId);
    for (const [id, incarnation] of initial.users) this.users.set(id, incarnation);
    for (const [userId, roleId] of initial.userRoles) {
      if (this.probed.has(userId)) link(this.userRoles, userId, roleId);
    }
  }

  apply(change: WalChange): void {
    switch (change.table) {
      case 'roles':
        return this.applyNamed(change, this.roles, (id) => this.dropRole(id));
      case 'permissions':
        return this.applyNamed(change, this.permissions, (id) => this.dropPermission(id));
      case 'role_permissions':
        return this.applyLink(change, this.rolePermissions, 'role_id', 'permission_id', () => true);
      case 'user_roles':
        return this.applyLink(change, this.userRoles, 'user_id', 'role_id', (userId) =>
          this.probed.has(userId),
        );
      case 'users':
        return this.applyUsers(change);
      default:
        return;
    }
  }

  stateOf(userId: number): UserState {
    const incarnation = this.users.get(userId);
    if (incarnation === undefined) return null;
    const roleIds = [...(this.userRoles.get(userId) ?? [])].filter((id) => this.roles.has(id));
    if (roleIds.length === 0) return { incarnation, rights: null };
    const best = Math.min(...roleIds);
    const names = new Set<string>();
    for (const roleId of roleIds) {
      for (const permissionId of this.rolePermissions.get(roleId) ?? []) {
        const name = this.permissions.get(permissionId);
        if (name !== undefined) names.add(name);
      }
    }
    // Default sort, as claimsFromRows sorts: both sides must order names identically.
    return { incarnation, rights: { role: this.roles.get(best)!, permissions: [...names].sort() } };
  }

  /** roles / permissions: (id, name) rows. */
  private applyNamed(change: WalChange, table: Map<number, string>, drop: (id: number) => void): void {
    switch (change.op) {
      case 'TRUNCATE':
        for (const id of [...table.keys()]) drop(id);
        return;
      case 'DELETE':
        return drop(intOf(change, keyRow(change), 'id'));
      case 'INSERT':
      case 'UPDATE': {
        const row = newRow(change);
        const id = intOf(change, row, 'id');
        const oldId = change.old ? intOf(change, change.old, 'id') : id;
        const name = row['name'] === undefined ? table.get(oldId) : row['name'];
        if (typeof name !== 'string') throw badChange(change, 'name');
        // A changed key cannot carry references along (no ON UPDATE CASCADE): there were none.
        if (oldId !== id) table.delete(oldId);
        table.set(id, name);
        return;
      }
    }
  }

  private dropRole(id: number): void {
    this.roles.delete(id);
    this.rolePermissions.delete(id);
    for (const roleIds of this.userRoles.values()) roleIds.delete(id);
  }

  private dropPermission(id: number): void {
    this.permissions.delete(id);
    for (const permissionIds of this.rolePermissions.values()) permissionIds.delete(id);
  }

  /** role_permissions / user_roles: rows that are nothing but their two-column key. */
  private applyLink(
    change: WalChange,
    table: Map<number, Set<number>>,
    fromCol: string,
    toCol: string,
    tracked: (from: number) => boolean,
  ): void {
    if (change.op === 'TRUNCATE') {
      table.clear();
      return;
    }
    if (change.op === 'DELETE' || (change.op === 'UPDATE' && change.old)) {
      const row = keyRow(change);
      const from = intOf(change, row, fromCol);
      if (tracked(from)) table.get(from)?.delete(intOf(change, row, toCol));
    }
    if (change.op === 'INSERT' || change.op === 'UPDATE') {
      const row = newRow(change);
      const from = intOf(change, row, fromCol);
      if (tracked(from)) link(table, from, intOf(change, row, toCol));
    }
  }

  private applyUsers(change: WalChange): void {
    if (change.op === 'TRUNCATE') {
      this.users.clear();
      this.userRoles.clear();
      return;
    }
    if (change.op === 'DELETE') {
      const id = intOf(change, keyRow(change), 'id');
      this.users.delete(id);
      this.userRoles.delete(id);
      return;
    }
    const row = newRow(change);
    const id = intOf(change, row, 'id');
    const oldId = change.old ? intOf(change, change.old, 'id') : id;
    const previous = this.users.get(oldId);
    if (oldId !== id) this.users.delete(oldId);
    if (!this.probed.has(id)) return;
    const col = this.incarnationColumn;
    // Only an UPDATE may leave a column out (an unchanged TOASTed value): it kept its value.
    const kept = change.op === 'UPDATE' && row[col] === undefined ? previous : undefined;
    const incarnation = kept ?? intOf(change, row, col);
    this.users.set(id, incarnation);
  }
}

/**
 * Replays `commits` (in order) from `initial` and returns, per probed user, the states that
 * user went through: element 0 is the initial state; an element is appended only when a commit
 * changes the user's state, so a commit that changes nothing for a user is no transition of it.
 */
export function buildTimelines(
  initial: RbacState,
  commits: readonly CommitEvent[],
  opts: ModelOptions = {},
): Map<number, TimelineEntry[]> {
  const model = new RbacModel(initial, opts);
  const users = [...model.probed].sort((a, b) => a - b);
  const timelines = new Map<number, TimelineEntry[]>();
  for (const user of users)
    timelines.set(user, [{ index: 0, xid: 0, atMs: -Infinity, state: model.stateOf(user) }]);
  for (const commit of commits) {
    for (const change of commit.changes) model.apply(change);
    for (const user of users) {
      const timeline = timelines.get(user)!;
      const state = model.stateOf(user);
      if (!sameState(timeline[timeline.length - 1]!.state, state)) {
        timeline.push({ index: timeline.length, xid: commit.xid, atMs: commit.atMs, state });
      }
    }
  }
  return timelines;
}

export function sameRights(a: Rights | null, b: Rights | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.role === b.role &&
    a.permissions.length === b.permissions.length &&
    a.permissions.every((p, i) => p === b.permissions[i])
  );
}

export function sameState(a: UserState, b: UserState): boolean {
  if (a === null || b === null) return a === b;
  return a.incarnation === b.incarnation && sameRights(a.rights, b.rights);
}

function link(table: Map<number, Set<number>>, from: number, to: number): void {
  let set = table.get(from);
  if (!set) table.set(from, (set = new Set()));
  set.add(to);
}

/** The row identifying what a DELETE or key-changing UPDATE removed. */
function keyRow(change: WalChange): Row {
  const row = change.old ?? (change.op === 'UPDATE' ? change.new : null);
  if (!row) throw badChange(change, 'old key');
  return row;
}

function newRow(change: WalChange): Row {
  if (!change.new) throw badChange(change, 'new tuple');
  return change.new;
}

function intOf(change: WalChange, row: Row, col: string): number {
  const v = row[col];
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw badChange(change, col);
  return n;
}

function badChange(change: WalChange, what: string): Error {
  return new Error(
    `${change.op} on ${change.table}: missing or malformed ${what}: ${JSON.stringify(change)}`,
  );
}
