import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseChangeLine,
  parsePgTimestamp,
  parseWalRows,
  type WalRow,
} from '../../../../bench/analysis/freshness/wal.js';

const RBAC = ['roles', 'permissions', 'role_permissions', 'users', 'user_roles'];
const T0 = Date.UTC(2026, 10, 26, 0, 25, 24);
/** The harness clock starts at T0 on Postgres' clock. */
const opts = { tables: RBAC, pgMsToHarnessMs: (ms: number) => ms - T0 };

function rows(xid: number, lines: string[]): WalRow[] {
  const lsn = (i: number): string => `0/15${(0xb458 + i * 16).toString(16).toUpperCase()}`;
  return lines.map((data, i) => ({ lsn: lsn(i), xid: String(xid), data }));
}

test('the sample transaction from PostgreSQL 15 parses into one commit', () => {
  const input = rows(729, [
    'BEGIN 729',
    'table public.user_roles: INSERT: user_id[bigint]:1 role_id[smallint]:1',
    "table public.roles: UPDATE: id[smallint]:1 name[text]:'x y'",
    'table public.users: DELETE: id[bigint]:2',
    'table public.user_roles: DELETE: user_id[bigint]:2 role_id[smallint]:2',
    'table public.user_roles: TRUNCATE: (no-flags)',
    'table public.users: UPDATE: id[bigint]:1 inc[bigint]:11',
    'COMMIT 729 (at 2026-11-26 00:25:24.380812+00)',
  ]);
  const { commits, pending } = parseWalRows(input, opts);
  assert.deepEqual(pending, [], 'the transaction is complete');
  assert.equal(commits.length, 1);
  const c = commits[0]!;
  assert.equal(c.xid, 729);
  assert.equal(c.lsn, input[7]!.lsn, "the COMMIT row's lsn");
  assert.ok(
    Math.abs(c.atMs - 380.812) < 0.001,
    `microseconds kept, mapped onto the harness clock: ${c.atMs}`,
  );
  assert.deepEqual(c.changes, [
    { table: 'user_roles', op: 'INSERT', old: null, new: { user_id: 1, role_id: 1 } },
    { table: 'roles', op: 'UPDATE', old: null, new: { id: 1, name: 'x y' } },
    { table: 'users', op: 'DELETE', old: { id: 2 }, new: null },
    { table: 'user_roles', op: 'DELETE', old: { user_id: 2, role_id: 2 }, new: null },
    { table: 'user_roles', op: 'TRUNCATE', old: null, new: null },
    { table: 'users', op: 'UPDATE', old: null, new: { id: 1, inc: 11 } },
  ]);
});

test('values: doubled quotes, null, booleans, numbers, bit strings, types with spaces and brackets', () => {
  const [insert] = parseChangeLine(
    'table public.users: INSERT: id[bigint]:-1 incarnation[bigint]:1' +
      " created_at[timestamp with time zone]:'2026-01-01 00:00:00+00' ids[bigint[]]:'{1,2}'" +
      ' flag[boolean]:true off[boolean]:false "Weird Col"[text]:\'w\' note[character varying]:null' +
      " name[text]:'edi''tor' empty[text]:'' nl[text]:'a\nb '' c'" +
      " n[numeric]:1.50 f[double precision]:NaN b[bit]:B'101'",
  );
  assert.deepEqual(insert?.new, {
    id: -1,
    incarnation: 1,
    created_at: '2026-01-01 00:00:00+00',
    ids: '{1,2}',
    flag: true,
    off: false,
    'Weird Col': 'w',
    note: null,
    name: "edi'tor",
    empty: '',
    nl: "a\nb ' c",
    n: 1.5,
    f: NaN,
    b: '101',
  });
});

test('an UPDATE that changed the key carries the old key; unchanged TOAST columns are left out', () => {
  const [update] = parseChangeLine(
    'table public.users: UPDATE: old-key: id[bigint]:5 new-tuple: id[bigint]:999 incarnation[bigint]:1' +
      ' big[text]:unchanged-toast-datum',
  );
  assert.deepEqual(update, {
    table: 'users',
    op: 'UPDATE',
    old: { id: 5 },
    new: { id: 999, incarnation: 1 },
  });
});

test('one TRUNCATE line naming several tables is one change per table, whatever the flags', () => {
  const changes = parseChangeLine(
    'table public.roles, public.role_permissions, public.user_roles: TRUNCATE: restart_seqs cascade',
  );
  assert.deepEqual(
    changes.map((c) => [c.table, c.op]),
    [
      ['roles', 'TRUNCATE'],
      ['role_permissions', 'TRUNCATE'],
      ['user_roles', 'TRUNCATE'],
    ],
  );
  const quoted = parseChangeLine('table "My Schema"."Odd Table": INSERT: id[integer]:1');
  assert.equal(quoted[0]?.table, 'Odd Table', 'quoted names');
});

test('only the listed tables are kept; a transaction left without changes is dropped', () => {
  const { commits } = parseWalRows(
    [
      ...rows(730, [
        'BEGIN 730',
        "table public.articles: INSERT: id[bigint]:1 title[text]:'t'",
        'table public.roles, public.articles: TRUNCATE: cascade',
        'COMMIT 730 (at 2026-11-26 00:25:25+00)',
      ]),
      ...rows(731, [
        'BEGIN 731',
        'table public.seed_meta: UPDATE: singleton[boolean]:true modified[boolean]:true',
        'COMMIT 731 (at 2026-11-26 00:25:26+00)',
      ]),
      ...rows(732, [
        'BEGIN 732',
        'message: transactional: 1 prefix: x, sz: 1 content:y',
        'COMMIT 732 (at 2026-11-26 00:25:27+00)',
      ]),
    ],
    { ...opts, tables: ['public.roles', 'users'] },
  );
  assert.equal(commits.length, 1, 'only xid 730 touched a listed table');
  const kept = commits[0]!.changes;
  assert.deepEqual(kept, [{ table: 'roles', op: 'TRUNCATE', old: null, new: null }], 'articles filtered out');
  assert.equal(commits[0]!.atMs, 1000, 'a commit time without a fraction');
});

test('keep filters further: a commit of nothing but token-version bumps disappears', () => {
  const { commits } = parseWalRows(
    rows(740, [
      'BEGIN 740',
      'table public.users: UPDATE: id[bigint]:7 token_version[bigint]:55 incarnation[bigint]:3',
      'COMMIT 740 (at 2026-11-26 00:25:24+00)',
    ]),
    { ...opts, keep: (c) => c.new?.['id'] !== 7 },
  );
  assert.deepEqual(commits, []);
});

test('an unfinished trailing transaction comes back as pending rows, and parses once completed', () => {
  const first = rows(750, ['BEGIN 750', 'table public.users: DELETE: id[bigint]:2']);
  const a = parseWalRows(first, opts);
  assert.deepEqual(a.commits, []);
  assert.deepEqual(a.pending, first, 'prepend these to the next batch');
  const b = parseWalRows([...a.pending, ...rows(750, ['COMMIT 750 (at 2026-11-26 00:25:24.5+00)'])], opts);
  assert.equal(b.commits.length, 1);
  assert.equal(b.commits[0]!.atMs, 500);
  assert.deepEqual(b.pending, []);
  const headless = parseWalRows(
    rows(751, ['table public.users: DELETE: id[bigint]:3', 'COMMIT 751 (at 2026-11-26 00:25:24+00)']),
    opts,
  );
  assert.equal(headless.commits[0]?.xid, 751, 'a batch starting mid-transaction still yields the commit');
});

test('commit timestamps: offsets and fractions; missing timestamps and broken rows are loud', () => {
  assert.equal(parsePgTimestamp('2026-11-26 00:25:24.380812+00'), T0 + 380.812);
  assert.equal(parsePgTimestamp('2026-11-25 20:55:24.38-03:30'), T0 + 380, 'a session time zone west of UTC');
  assert.equal(parsePgTimestamp('2026-11-26 05:55:24+05:30'), T0, 'and east of it');
  assert.throws(() => parsePgTimestamp('yesterday'), /not a Postgres timestamptz/);
  assert.throws(
    () => parseWalRows(rows(1, ['BEGIN 1', 'table public.users: DELETE: id[bigint]:2', 'COMMIT 1']), opts),
    /without a timestamp/,
  );
  assert.throws(
    () => parseWalRows(rows(1, ['BEGIN 1', 'BEGIN 2']), opts),
    /BEGIN inside an open transaction/,
  );
  assert.throws(() => parseChangeLine('table public.users: INSERT: id[bigint]:x1'), /bad bare value/);
  assert.throws(() => parseChangeLine("table public.users: INSERT: name[text]:'open"), /unterminated/);
});
