/**
 * The nemesis's revocations: each planned change runs at its time, concurrently with the others,
 * through the API (a role change or a deletion sent to one of the servers) or in plain SQL on
 * the RBAC tables (some held open in their transaction while others commit). Each is recorded
 * with its invoke and acknowledgement times, its outcome and, for SQL, its transaction id.
 */
import type { KeyObject } from 'node:crypto';
import type pg from 'pg';
import { PERMISSIONS, roleByName } from '../../../fixtures/rbac.js';
import { currentClaims } from '../../../fixtures/tokens.js';
import { signToken } from '../../../servers/jwt.js';
import type { PlannedRevocation, RevocationKind, RevocationOp } from '../../schema/freshness.js';
import type { PhaseClock } from './clock.js';
import type { Prober, ProbeTarget } from './prober.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Half the TRUNCATEs commit alone and reload the table in a transaction of their own. */
function reloadLater(kind: string, p: PlannedRevocation): boolean {
  return (
    (kind === 'sql-truncate-user-roles' || kind === 'sql-truncate-role-permissions') && p.server % 2 === 1
  );
}

/** Where TRUNCATE-and-reload keeps the rows between its two transactions; the nemesis's own table. */
export const NEMESIS_STAGE_DDL =
  'CREATE TABLE IF NOT EXISTS authbench_nemesis_stage (op bigint NOT NULL, a bigint NOT NULL, b smallint NOT NULL)';
const permissionId = (name: string): number => PERMISSIONS.find((p) => p.name === name)!.id;
const roleIds = (names: readonly string[]): number[] => names.map((n) => roleByName(n)!.id);

export class Nemesis {
  readonly ops: RevocationOp[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private adminToken: string | undefined;
  private nextId = 1;

  constructor(
    private readonly o: {
      clock: PhaseClock;
      /** Direct connections for plain-SQL changes (never through the servers' links). */
      db: pg.Pool;
      servers: ProbeTarget[];
      prober: Prober;
      probed: readonly number[];
      /** A user the nemesis acts as (manage_users); never a target. */
      admin: number;
      key: KeyObject;
    },
  ) {}

  start(plan: readonly PlannedRevocation[]): void {
    const t0 = this.o.clock();
    for (const p of plan) {
      this.timers.push(
        setTimeout(
          () => {
            const run = this.run(p)
              .catch(() => {})
              .finally(() => this.running.delete(run));
            this.running.add(run);
          },
          Math.max(0, p.atMs - t0),
        ),
      );
    }
  }

  /** Cancels what has not started and waits for what has. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await Promise.allSettled([...this.running]);
  }

  private async run(p: PlannedRevocation): Promise<void> {
    const exists = (await this.o.db.query('SELECT 1 FROM users WHERE id = $1', [p.user])).rowCount! > 0;
    // A deleted user cannot be changed: bring them back instead (a new incarnation, same id).
    const kind: PlannedRevocation['kind'] | 'sql-recreate-user' = exists ? p.kind : 'sql-recreate-user';
    const targets = await this.targets(kind, p);
    const pre = await this.o.prober.mint(targets);
    this.o.prober.keepAsPre(pre);
    let op: RevocationOp;
    if (kind === 'api-role-change' || kind === 'api-delete') {
      const unwatch = this.o.prober.watch(pre);
      try {
        op = await this.api(kind, p);
      } finally {
        // A little past the answer: the servers' own post-commit work is watched too.
        setTimeout(unwatch, 30);
      }
    } else {
      op = await this.sql(kind, p);
    }
    op.users = targets;
    this.ops.push(op);
    if (op.outcome === 'ok' && reloadLater(kind, p)) {
      // The table stayed empty in between: everyone's rights changed twice.
      await sleep(100 + (p.atMs % 200));
      const reload = await this.sql(
        kind === 'sql-truncate-user-roles' ? 'sql-reload-user-roles' : 'sql-reload-role-permissions',
        p,
        op.id,
      );
      reload.users = targets;
      this.ops.push(reload);
    }
    if (op.outcome !== 'fail') {
      this.o.prober.burst(pre);
      this.o.prober.freshBurst(await this.o.prober.mint(targets).catch(() => []));
    }
  }

  /** The probed users a change is about: the user, or those holding the role or permission. */
  private async targets(kind: string, p: PlannedRevocation): Promise<number[]> {
    if (kind === 'sql-permission-toggle' || kind === 'sql-role-rename') {
      const { rows } = await this.o.db.query<{ id: number }>(
        'SELECT DISTINCT user_id AS id FROM user_roles WHERE role_id = $1 AND user_id = ANY($2::bigint[])',
        [roleByName(p.role)!.id, this.o.probed],
      );
      return rows.map((r) => Number(r.id));
    }
    if (kind === 'sql-permission-rename') {
      const { rows } = await this.o.db.query<{ id: number }>(
        `SELECT DISTINCT ur.user_id AS id FROM user_roles ur
        JOIN role_permissions rp ON rp.role_id = ur.role_id WHERE rp.permission_id = $1 AND ur.user_id = ANY($2::bigint[])`,
        [permissionId(p.permission), this.o.probed],
      );
      return rows.map((r) => Number(r.id));
    }
    if (kind === 'sql-truncate-role-permissions') {
      const { rows } = await this.o.db.query<{ id: number }>(
        'SELECT DISTINCT user_id AS id FROM user_roles WHERE role_id = $1 AND user_id = ANY($2::bigint[])',
        [roleByName(p.role)!.id, this.o.probed],
      );
      return rows.map((r) => Number(r.id));
    }
    return [p.user];
  }

  private async api(kind: 'api-role-change' | 'api-delete', p: PlannedRevocation): Promise<RevocationOp> {
    const server = this.o.servers[p.server % this.o.servers.length]!;
    // Roles are asked for by name, and the nemesis renames them: today's names for the planned ids.
    const { rows: names } = await this.o.db.query<{ name: string }>(
      'SELECT name FROM roles WHERE id = ANY($1::smallint[]) ORDER BY id',
      [roleIds(p.roles)],
    );
    const roles = names.map((r) => r.name);
    const invokeMs = this.o.clock();
    let outcome: RevocationOp['outcome'] = 'info';
    let note: string | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await this.admin(attempt > 0);
      try {
        const res = await fetch(
          new URL(
            kind === 'api-delete' ? `/api/users/${p.user}` : `/api/users/${p.user}/roles`,
            server.url(),
          ),
          {
            method: kind === 'api-delete' ? 'DELETE' : 'PUT',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            ...(kind === 'api-delete' ? {} : { body: JSON.stringify({ roles }) }),
            signal: AbortSignal.timeout(10_000),
          },
        );
        await res.text();
        // The nemesis's own token was revoked (a revocation of everyone): mint another, once.
        if (res.status === 401 && attempt === 0) continue;
        outcome = res.ok ? 'ok' : 'fail';
        note = `HTTP ${res.status}`;
      } catch (err) {
        // The change may or may not have committed: the WAL tells the checker.
        outcome = 'info';
        note = (err as Error).message;
      }
      break;
    }
    return {
      id: this.nextId++,
      kind,
      via: 'api',
      users: [p.user],
      invokeMs,
      ackMs: this.o.clock(),
      outcome,
      xid: null,
      server: server.name,
      ...(note ? { note } : {}),
    };
  }

  private async sql(
    kind:
      | Exclude<PlannedRevocation['kind'], 'api-role-change' | 'api-delete'>
      | 'sql-recreate-user'
      | 'sql-reload-user-roles'
      | 'sql-reload-role-permissions',
    p: PlannedRevocation,
    stagedBy?: number,
  ): Promise<RevocationOp> {
    const id = this.nextId++;
    const client = await this.o.db.connect();
    const invokeMs = this.o.clock();
    let xid: number | null = null;
    let outcome: RevocationOp['outcome'] = 'fail';
    let note: string | undefined;
    let broken = false;
    let recorded: RevocationKind = kind === 'sql-permission-toggle' ? 'sql-permission-remove' : kind;
    const onError = (): void => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      xid = Number((await client.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x')).rows[0]!.x);
      recorded = (await this.statements(client, kind, p, stagedBy ?? id)) ?? recorded;
      if (p.holdMs > 0) await sleep(p.holdMs);
      outcome = 'info'; // from here a failure leaves the outcome unknown
      await client.query('COMMIT');
      outcome = 'ok';
    } catch (err) {
      note = (err as Error).message;
      if (outcome === 'fail')
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
    return {
      id,
      kind: recorded,
      via: 'sql',
      users: [p.user],
      invokeMs,
      ackMs: this.o.clock(),
      outcome,
      xid,
      ...(p.holdMs > 0 ? { heldMs: p.holdMs } : {}),
      ...(note ? { note } : {}),
    };
  }

  /** Runs the change's statements; returns the kind to record when it depends on the data. */
  private async statements(
    c: pg.PoolClient,
    kind: string,
    p: PlannedRevocation,
    op: number,
  ): Promise<RevocationKind | void> {
    const role = roleByName(p.role)!.id;
    const perm = permissionId(p.permission);
    switch (kind) {
      case 'sql-role-change':
        await c.query('DELETE FROM user_roles WHERE user_id = $1', [p.user]);
        await c.query('INSERT INTO user_roles (user_id, role_id) SELECT $1, unnest($2::smallint[])', [
          p.user,
          roleIds(p.roles),
        ]);
        return;
      case 'sql-recreate-user':
        // Values the schema must ignore (it gives a new version and incarnation).
        await c.query(
          `INSERT INTO users (id, username, email, created_at, token_version, incarnation)
          VALUES ($1::bigint, 'reborn-' || $1::text || '-' || txid_current(), 'reborn-' || $1::text || '-' || txid_current() || '@example.test', now(), 1, 1)`,
          [p.user],
        );
        await c.query('INSERT INTO user_roles (user_id, role_id) SELECT $1, unnest($2::smallint[])', [
          p.user,
          roleIds(p.roles),
        ]);
        return;
      case 'sql-permission-toggle': {
        const removed = await c.query(
          'DELETE FROM role_permissions WHERE role_id = $1 AND permission_id = $2',
          [role, perm],
        );
        if (removed.rowCount !== 0) return 'sql-permission-remove';
        await c.query('INSERT INTO role_permissions (role_id, permission_id) VALUES ($1, $2)', [role, perm]);
        return 'sql-permission-add';
      }
      case 'sql-permission-rename':
        await c.query(
          `UPDATE permissions SET name = CASE WHEN name LIKE '%~' THEN rtrim(name, '~') ELSE name || '~' END WHERE id = $1`,
          [perm],
        );
        return;
      case 'sql-role-rename':
        await c.query(
          `UPDATE roles SET name = CASE WHEN name LIKE '%~' THEN rtrim(name, '~') ELSE name || '~' END WHERE id = $1`,
          [role],
        );
        return;
      case 'sql-truncate-user-roles':
        // TRUNCATE fires no row trigger: everything must still be caught. The table is reloaded
        // (the user with new roles) in the same transaction, or in the next one.
        await c.query(
          'INSERT INTO authbench_nemesis_stage SELECT $1, user_id, role_id FROM user_roles WHERE user_id <> $2',
          [op, p.user],
        );
        await c.query('INSERT INTO authbench_nemesis_stage SELECT $1, $2, unnest($3::smallint[])', [
          op,
          p.user,
          roleIds(p.roles),
        ]);
        await c.query('TRUNCATE user_roles');
        if (!reloadLater(kind, p))
          await c.query('INSERT INTO user_roles SELECT a, b FROM authbench_nemesis_stage WHERE op = $1', [
            op,
          ]);
        return;
      case 'sql-truncate-role-permissions':
        await c.query(
          `INSERT INTO authbench_nemesis_stage SELECT $1, role_id, permission_id FROM role_permissions
          WHERE NOT (role_id = $2 AND permission_id = $3)`,
          [op, role, perm],
        );
        await c.query('TRUNCATE role_permissions');
        if (!reloadLater(kind, p))
          await c.query(
            'INSERT INTO role_permissions SELECT a, b FROM authbench_nemesis_stage WHERE op = $1',
            [op],
          );
        return;
      case 'sql-reload-user-roles':
        await c.query(
          'INSERT INTO user_roles SELECT a, b FROM authbench_nemesis_stage WHERE op = $1 ON CONFLICT DO NOTHING',
          [op],
        );
        return;
      case 'sql-reload-role-permissions':
        await c.query(
          'INSERT INTO role_permissions SELECT a, b FROM authbench_nemesis_stage WHERE op = $1 ON CONFLICT DO NOTHING',
          [op],
        );
        return;
      default:
        throw new Error(`unknown revocation kind ${kind}`);
    }
  }

  private async admin(renew: boolean): Promise<string> {
    if (!this.adminToken || renew) {
      const claims = (await currentClaims(this.o.db, [this.o.admin])).get(this.o.admin);
      if (!claims) throw new Error(`the nemesis's admin user ${this.o.admin} has no role`);
      this.adminToken = signToken(claims, this.o.key, 3600);
    }
    return this.adminToken;
  }
}
