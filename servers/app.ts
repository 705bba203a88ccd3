import { randomUUID, type KeyObject } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  ARTICLES_PAGE,
  ARTICLE_UPDATE,
  DASHBOARD_RECENT,
  DASHBOARD_STATS,
  HEALTH,
  MINT_CLAIMS,
  OWN_REVOCATIONS,
  REVOCATION_LOCK,
  ROLE_IDS_BY_NAME,
  USER_DELETE,
  USER_LOCK,
  USER_ROLES_DELETE,
  USER_ROLES_INSERT,
} from '../sql/queries.js';
import { authenticate, requirePermission, userOf } from './authenticate.js';
import { claimsFromRows, type RbacRow } from './claims.js';
import type { Db, Queryable } from './db.js';
import {
  DependencyError,
  HttpError,
  badRequest,
  isInvalidData,
  notFound,
  serviceUnavailable,
} from './errors.js';
import { claimsOf, parseUserId, signToken, type TokenVerifier } from './jwt.js';
import type { Metrics } from './metrics.js';
import type { RecordUpdate } from './revocation/records.js';
import type { Revocations } from './revocation/revocations.js';
import type { AuthStrategy } from './strategies/index.js';

export interface AppDeps {
  strategy: AuthStrategy;
  db: Db;
  revocations: Revocations;
  /** The dataset this server serves: tokens minted against any other are rejected. */
  datasetId: string;
  /** Redis readiness, for /healthz when the strategy's request path needs Redis. */
  pingRedis: () => Promise<void>;
  /** Signs minted tokens. */
  key: KeyObject;
  /** Verifies requests' tokens with the same secret (servers/jwt.ts: the verify variants). */
  verify: TokenVerifier;
  metrics: Metrics;
  /** POST /auth/token mints a token for any user who asks: only for benchmarks and tests. */
  issueTokens: boolean;
  tokenTtlSeconds: number;
}

const PAGE_SIZE = 20;
const MAX_ROLES = 3;

function idParam(req: Request, name: string): number {
  const id = parseUserId(req.params[name]);
  if (id === null) throw badRequest(`${name} must be a positive integer`);
  return id;
}

function bodyObject(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('the request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

function stringField(body: Record<string, unknown>, name: string, max: number): string {
  const value = body[name];
  if (typeof value !== 'string' || value.length < 1 || value.length > max) {
    throw badRequest(`${name} must be a string of 1 to ${max} characters`);
  }
  return value;
}

/**
 * The API both strategies serve: identical routes, SQL and serialisation; only
 * `deps.strategy` differs between the compared servers.
 */
export function createApp(deps: AppDeps): express.Express {
  const { db, revocations, metrics, strategy } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const json = express.json({ limit: '16kb' });

  app.use((_req, res, next) => {
    res.on('finish', () => metrics.countResponse(res.statusCode));
    next();
  });

  // Names this process: a bench given the same server under two URLs (localhost and
  // 127.0.0.1) would otherwise sum its counters twice.
  const instance = randomUUID();
  app.get('/healthz', async (_req, res) => {
    await db.query(HEALTH);
    if (strategy.usesRedis) {
      // Ready means requests can be authorised: Redis answers and its revocation records have
      // been reconciled with Postgres since it last (re)connected.
      try {
        await deps.pingRedis();
      } catch (err) {
        throw new DependencyError('redis', { cause: err });
      }
    }
    // Ready means requests can be authorised: the strategy's revocation source (jwt-redis: Redis
    // reconciled with Postgres since it last connected; jwt-local: its map confirmed) holds.
    if (!strategy.ready()) throw new DependencyError(strategy.usesRedis ? 'redis' : 'postgres');
    res.json({ status: 'ok', strategy: strategy.name, instance });
  });

  app.get('/metrics', (_req, res) => {
    res.type('text/plain; version=0.0.4').send(metrics.render({ strategy: strategy.name }));
  });

  if (deps.issueTokens) {
    app.post('/auth/token', json, async (req, res) => {
      const userId = parseUserId(bodyObject(req).userId);
      if (userId === null) throw badRequest('userId must be a positive integer');
      // One statement, one snapshot: the claims and the version they belong to cannot disagree.
      const rows = await db.query<RbacRow & { token_version: number; incarnation: number }>(MINT_CLAIMS, [
        userId,
      ]);
      if (rows.length === 0) throw notFound('no such user');
      const user = claimsFromRows(rows);
      if (user === null) throw notFound('the user has no role');
      const binding = { ver: rows[0]!.token_version, inc: rows[0]!.incarnation, ds: deps.datasetId };
      res.json({ token: signToken(claimsOf(user, binding), deps.key, deps.tokenTtlSeconds) });
    });
  }

  const api = express.Router();
  api.use(authenticate(strategy, deps.verify, deps.datasetId));

  api.get('/dashboard', requirePermission('view_dashboard'), async (_req, res) => {
    const user = userOf(res);
    const [stats] = await db.query<{ articles: number; last_updated_at: Date | null }>(DASHBOARD_STATS, [
      user.id,
    ]);
    const recent = await db.query<{ id: number; title: string; author_id: number | null; updated_at: Date }>(
      DASHBOARD_RECENT,
    );
    res.json({
      user: { id: user.id, role: user.role, permissions: user.permissions },
      stats: { articles: stats?.articles ?? 0, lastUpdatedAt: stats?.last_updated_at ?? null },
      recent: recent.map((a) => ({
        id: a.id,
        title: a.title,
        authorId: a.author_id,
        updatedAt: a.updated_at,
      })),
    });
  });

  api.get('/articles', requirePermission('view_articles'), async (req, res) => {
    const raw = req.query.page ?? '1';
    const page = typeof raw === 'string' && /^[1-9][0-9]{0,5}$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(page)) throw badRequest('page must be an integer from 1 to 999999');
    const rows = await db.query<{
      id: number;
      title: string;
      author_id: number | null;
      updated_at: Date;
      revision: number;
    }>(ARTICLES_PAGE, [PAGE_SIZE, (page - 1) * PAGE_SIZE]);
    res.json({
      page,
      articles: rows.map((a) => ({
        id: a.id,
        title: a.title,
        authorId: a.author_id,
        updatedAt: a.updated_at,
        revision: a.revision,
      })),
    });
  });

  api.put('/articles/:id', requirePermission('edit_articles'), json, async (req, res) => {
    const id = idParam(req, 'id');
    const body = bodyObject(req);
    const title = stringField(body, 'title', 200);
    const text = stringField(body, 'body', 10_000);
    const [row] = await db.query<{
      id: number;
      title: string;
      body: string;
      author_id: number | null;
      revision: number;
    }>(ARTICLE_UPDATE, [id, title, text]);
    if (!row) throw notFound('no such article');
    res.json({
      id: row.id,
      title: row.title,
      body: row.body,
      authorId: row.author_id,
      revision: row.revision,
    });
  });

  api.put('/users/:id/roles', requirePermission('manage_users'), json, async (req, res) => {
    const id = idParam(req, 'id');
    const roles = bodyObject(req).roles;
    if (
      !Array.isArray(roles) ||
      roles.length < 1 ||
      roles.length > MAX_ROLES ||
      !roles.every((r) => typeof r === 'string') ||
      new Set(roles).size !== roles.length
    ) {
      throw badRequest(`roles must be an array of 1 to ${MAX_ROLES} distinct role names`);
    }
    const { result: names, updates } = await revokeWith(revocations, db, async (tx) => {
      const known = await tx.query<{ id: number; name: string }>(ROLE_IDS_BY_NAME, [roles]);
      if (known.length !== roles.length) throw badRequest('roles names an unknown role');
      if ((await tx.query(USER_LOCK, [id])).length === 0) throw notFound('no such user');
      // The schema's triggers give the user a new token version for this change.
      await tx.query(USER_ROLES_DELETE, [id]);
      await tx.query(USER_ROLES_INSERT, [id, known.map((r) => r.id)]);
      return known.map((r) => r.name).sort();
    });
    const mine = updates.find((u) => u.userId === id);
    res.json({ id, roles: names, tokenVersion: mine && !mine.deleted ? mine.version : null });
  });

  api.delete('/users/:id', requirePermission('manage_users'), async (req, res) => {
    const id = idParam(req, 'id');
    await revokeWith(revocations, db, async (tx) => {
      if ((await tx.query(USER_DELETE, [id])).length === 0) throw notFound('no such user');
    });
    res.status(204).end();
  });

  app.use('/api', api);

  app.use((_req, _res, next) => next(notFound()));
  app.use(errorHandler);
  return app;
}

/**
 * Runs a change that revokes tokens (the schema's triggers log who is affected, with new token
 * versions, in the same transaction). Before COMMIT every affected user gets an intent in Redis,
 * so no server answers for them from their old record once the commit happens; if Redis cannot
 * be told, the change rolls back (503) rather than commit a revocation old tokens would not see.
 * After COMMIT the new versions replace the intents. Nothing is undone by hand: an intent whose
 * transaction did not commit is cleared by whichever server next meets it (docs/freshness.md).
 */
async function revokeWith<T>(
  revocations: Revocations,
  db: Db,
  change: (tx: Queryable) => Promise<T>,
): Promise<{ result: T; updates: RecordUpdate[] }> {
  let updates: RecordUpdate[] = [];
  const result = await db.transaction(async (tx) => {
    await tx.query(REVOCATION_LOCK);
    const r = await change(tx);
    const rows = await tx.query<{
      pos: number;
      xid: string;
      user_id: number | null;
      version: number;
      deleted: boolean;
    }>(OWN_REVOCATIONS);
    // A change of several statements logs a user once per statement: the last entry counts.
    const latest = new Map<number, RecordUpdate>();
    for (const row of rows) {
      if (row.user_id !== null)
        latest.set(row.user_id, {
          userId: row.user_id,
          version: row.version,
          deleted: row.deleted,
          xid: row.xid,
        });
    }
    updates = [...latest.values()];
    const xid = rows[0]?.xid;
    if (xid !== undefined) await revocations.publishIntents(updates, xid);
    return r;
  });
  await revocations.applyOwn(updates).catch(() => revocations.poke());
  return { result, updates };
}

function errorHandler(err: unknown, _req: Request, res: Response, _next: NextFunction): void {
  let httpError: HttpError;
  if (err instanceof HttpError) {
    httpError = err;
  } else if (err instanceof DependencyError) {
    httpError = serviceUnavailable(err.dependency);
  } else if (isInvalidData(err)) {
    httpError = badRequest('A value in the request cannot be stored');
  } else if (isClientError(err)) {
    // body-parser's errors (malformed JSON, too large, bad charset): the client's fault.
    httpError = new HttpError(
      err.status,
      err.status === 413 ? 'payload_too_large' : 'bad_request',
      err.status === 413 ? 'The request body is too large' : 'The request body could not be parsed',
    );
  } else {
    process.stderr.write(
      `authbench server: unexpected error: ${err instanceof Error ? err.stack : String(err)}\n`,
    );
    httpError = new HttpError(500, 'internal_error', 'Internal server error');
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res
    .status(httpError.status)
    .set(httpError.headers)
    .json({ error: httpError.code, message: httpError.message });
}

function isClientError(err: unknown): err is { status: number } {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}
