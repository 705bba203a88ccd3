/**
 * Parses the text rows of Postgres' `test_decoding` output plugin into committed transactions,
 * as read with
 *
 *   SELECT lsn, xid, data FROM pg_logical_slot_get_changes(slot, NULL, NULL,
 *     'include-xids', '1', 'include-timestamp', '1', 'skip-empty-xacts', '1')
 *
 * Pure: text in, records out. The row format (contrib/test_decoding, PostgreSQL 15):
 *
 *   BEGIN 729
 *   table public.user_roles: INSERT: user_id[bigint]:1 role_id[smallint]:1
 *   table public.users: UPDATE: old-key: id[bigint]:5 new-tuple: id[bigint]:999 incarnation[bigint]:2
 *   table public.roles, public.role_permissions: TRUNCATE: cascade
 *   COMMIT 729 (at 2026-11-26 00:25:24.380812+00)
 *
 * Values: numbers (integer, float and numeric types) print bare, booleans as true/false, NULL as
 * `null`, bit strings as B'0101', everything else single-quoted with quotes doubled. One TRUNCATE
 * line names every table it emptied (cascaded ones included); it becomes one change per table.
 */
import type { CommitEvent, WalChange, WalValue } from '../../schema/freshness.js';

export interface WalRow {
  lsn: string;
  xid: string | number;
  data: string;
}

export interface ParseWalOptions {
  /** Tables whose changes are kept, with or without a schema (`users` or `public.users`). */
  tables: readonly string[];
  /** Maps Postgres' wall clock (epoch ms, fractional) onto the harness clock. */
  pgMsToHarnessMs: (pgEpochMs: number) => number;
  /** A further filter on the kept changes. */
  keep?: (change: WalChange) => boolean;
}

export interface ParsedWal {
  /** Transactions with at least one kept change, in commit order. */
  commits: CommitEvent[];
  /** The rows of a trailing transaction without its COMMIT: prepend them to the next batch. */
  pending: WalRow[];
}

interface OpenTransaction {
  firstRow: number;
  changes: WalChange[];
}

const BEGIN_RE = /^BEGIN(?: (\d+))?$/;
const COMMIT_RE = /^COMMIT(?: (\d+))?(?: \(at (.+)\))?$/;

export function parseWalRows(rows: readonly WalRow[], opts: ParseWalOptions): ParsedWal {
  const tables = new Set(opts.tables.map(unqualified));
  const commits: CommitEvent[] = [];
  let open: OpenTransaction | null = null;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const data = row.data;
    if (BEGIN_RE.test(data)) {
      // test_decoding never decodes an aborted transaction, so a second BEGIN before COMMIT
      // means rows went missing: better loud than a silently merged transaction.
      if (open) throw new Error(`WAL row ${row.lsn}: BEGIN inside an open transaction`);
      open = { firstRow: i, changes: [] };
      continue;
    }
    const commit = COMMIT_RE.exec(data);
    if (commit) {
      if (open) {
        const event = toCommit(row, commit, open.changes, opts);
        if (event) commits.push(event);
      }
      open = null;
      continue;
    }
    if (data.startsWith('table ')) {
      // A batch that starts mid-transaction (the caller dropped `pending`) still parses.
      open ??= { firstRow: i, changes: [] };
      for (const change of parseChangeLine(data)) {
        if (tables.has(change.table) && (opts.keep?.(change) ?? true)) open.changes.push(change);
      }
    }
    // Anything else (logical messages) carries no row change.
  }
  return { commits, pending: open ? rows.slice(open.firstRow) : [] };
}

function toCommit(
  row: WalRow,
  match: RegExpExecArray,
  changes: WalChange[],
  opts: ParseWalOptions,
): CommitEvent | null {
  if (changes.length === 0) return null;
  const stamp = match[2];
  if (stamp === undefined)
    throw new Error(`WAL row ${row.lsn}: COMMIT without a timestamp (include-timestamp off?)`);
  const xid = Number(match[1] ?? row.xid);
  if (!Number.isSafeInteger(xid)) throw new Error(`WAL row ${row.lsn}: bad xid ${String(row.xid)}`);
  return { xid, lsn: row.lsn, atMs: opts.pgMsToHarnessMs(parsePgTimestamp(stamp)), changes };
}

const TIMESTAMP_RE = new RegExp(
  '^(\\d{4,})-(\\d{2})-(\\d{2}) (\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,6}))?' + // date, time, microseconds
    '([+-])(\\d{2})(?::(\\d{2}))?(?::(\\d{2}))?$', // UTC offset: +00, -03:30
);

/**
 * A `timestamptz` as Postgres prints it in ISO style (`2026-11-26 00:25:24.380812+00`, or with
 * an offset like `-03:30` in another session time zone) → epoch milliseconds, microseconds kept
 * as the fraction.
 */
export function parsePgTimestamp(text: string): number {
  const m = TIMESTAMP_RE.exec(text);
  if (!m) throw new Error(`not a Postgres timestamptz: ${text}`);
  const [, y, mo, d, h, mi, s, frac, sign, oh, om, os] = m;
  const wallMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const micros = frac === undefined ? 0 : Number(frac.padEnd(6, '0'));
  const offsetMs = ((Number(oh) * 60 + Number(om ?? 0)) * 60 + Number(os ?? 0)) * 1000;
  // Local wall time = UTC + offset, so UTC = wall time − offset.
  return wallMs + micros / 1000 - (sign === '-' ? -offsetMs : offsetMs);
}

/** Strips the schema: `public.users` → `users`, `"My Schema"."T"` → `T`. */
function unqualified(name: string): string {
  const c = new Cursor(name);
  const parts = c.readQualifiedName();
  return parts[parts.length - 1] ?? name;
}

/** One `table ...:` line → its changes (several for a multi-table TRUNCATE). */
export function parseChangeLine(line: string): WalChange[] {
  const c = new Cursor(line);
  c.expect('table ');
  const tables: string[] = [];
  for (;;) {
    const parts = c.readQualifiedName();
    const name = parts[parts.length - 1];
    if (name === undefined) throw c.error('table name expected');
    tables.push(name);
    if (!c.accept(', ')) break;
  }
  c.expect(': ');
  const op = c.readUntil(':');
  c.expect(':');
  switch (op) {
    case 'TRUNCATE':
      // The rest are flags (`(no-flags)`, `restart_seqs`, `cascade`): the tables end up empty either way.
      return tables.map((table) => ({ table, op, old: null, new: null }));
    case 'INSERT':
      return [{ table: only(tables, c), op, old: null, new: c.readTuple() }];
    case 'DELETE':
      return [{ table: only(tables, c), op, old: c.readTuple(), new: null }];
    case 'UPDATE': {
      let old: Record<string, WalValue> | null = null;
      if (c.accept(' old-key:')) {
        old = c.readTuple(' new-tuple:');
        c.expect(' new-tuple:');
      }
      return [{ table: only(tables, c), op, old, new: c.readTuple() }];
    }
    default:
      throw c.error(`unknown operation ${op}`);
  }
}

function only(tables: string[], c: Cursor): string {
  const [table, ...rest] = tables;
  if (table === undefined || rest.length > 0) throw c.error('one table expected');
  return table;
}

/** Marks a column whose (TOASTed) value the WAL did not repeat because the UPDATE left it alone. */
const UNCHANGED_TOAST = Symbol('unchanged-toast-datum');

class Cursor {
  pos = 0;
  constructor(readonly text: string) {}

  error(message: string): Error {
    return new Error(`test_decoding row, column ${this.pos}: ${message}: ${this.text.slice(0, 200)}`);
  }

  accept(literal: string): boolean {
    if (!this.text.startsWith(literal, this.pos)) return false;
    this.pos += literal.length;
    return true;
  }

  expect(literal: string): void {
    if (!this.accept(literal)) throw this.error(`expected '${literal}'`);
  }

  readUntil(stop: string): string {
    const end = this.text.indexOf(stop, this.pos);
    if (end < 0) throw this.error(`expected '${stop}'`);
    const out = this.text.slice(this.pos, end);
    this.pos = end;
    return out;
  }

  /** An identifier as quote_identifier prints it: bare, or double-quoted with quotes doubled. */
  readIdentifier(): string {
    if (this.text[this.pos] === '"') return this.readQuoted('"');
    const start = this.pos;
    while (this.pos < this.text.length && !'.,:[ '.includes(this.text[this.pos]!)) this.pos++;
    if (this.pos === start) throw this.error('identifier expected');
    return this.text.slice(start, this.pos);
  }

  readQualifiedName(): string[] {
    const parts = [this.readIdentifier()];
    while (this.accept('.')) parts.push(this.readIdentifier());
    return parts;
  }

  /** A `q`-quoted string with embedded `q`s doubled; the cursor is on the opening quote. */
  readQuoted(q: string): string {
    this.pos++;
    let out = '';
    for (;;) {
      const end = this.text.indexOf(q, this.pos);
      if (end < 0) throw this.error('unterminated quoted string');
      out += this.text.slice(this.pos, end);
      this.pos = end + 1;
      if (this.text[this.pos] !== q) return out;
      out += q;
      this.pos++;
    }
  }

  /**
   * ` name[type]:value ...` up to the end of the text or to `stop`. A column left out of an
   * UPDATE's new tuple (unchanged TOAST value) is omitted: it kept its old value.
   */
  readTuple(stop?: string): Record<string, WalValue> | null {
    if (this.accept(' (no-tuple-data)')) return null;
    const row: Record<string, WalValue> = {};
    while (this.pos < this.text.length && !(stop !== undefined && this.text.startsWith(stop, this.pos))) {
      this.expect(' ');
      const name = this.readIdentifier();
      this.expect('[');
      // Types may hold spaces and brackets (`timestamp with time zone`, `bigint[]`); `]:` ends them.
      this.readUntil(']:');
      this.expect(']:');
      const value = this.readValue();
      if (value !== UNCHANGED_TOAST) row[name] = value;
    }
    return row;
  }

  readValue(): WalValue | typeof UNCHANGED_TOAST {
    if (this.text[this.pos] === "'") return this.readQuoted("'");
    if (this.text.startsWith("B'", this.pos)) {
      this.pos++;
      return this.readQuoted("'");
    }
    const start = this.pos;
    while (this.pos < this.text.length && this.text[this.pos] !== ' ') this.pos++;
    const token = this.text.slice(start, this.pos);
    switch (token) {
      case 'null':
        return null;
      case 'true':
        return true;
      case 'false':
        return false;
      case 'unchanged-toast-datum':
        return UNCHANGED_TOAST;
      default: {
        const n = Number(token);
        if (token === '' || (Number.isNaN(n) && token !== 'NaN'))
          throw this.error(`bad bare value '${token}'`);
        return n;
      }
    }
  }
}
