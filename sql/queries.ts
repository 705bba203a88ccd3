/**
 * Every statement the servers run, named so pg prepares it once per connection (the 5-table
 * join spends ~0.6 ms planning and ~0.12 ms executing here: an unprepared baseline would
 * inflate the gain). Names are also the labels of the servers' query counters.
 */
export interface NamedQuery {
  readonly name: string;
  readonly text: string;
}

function q(name: string, text: string): NamedQuery {
  return Object.freeze({ name, text: text.replace(/\s+/g, ' ').trim() });
}

const RBAC_JOIN = `
  FROM users u
  LEFT JOIN user_roles ur ON u.id = ur.user_id
  LEFT JOIN roles r ON ur.role_id = r.id
  LEFT JOIN role_permissions rp ON r.id = rp.role_id
  LEFT JOIN permissions p ON rp.permission_id = p.id`;

/**
 * The auth middleware's query from the write-up, verbatim in shape: 5 tables, by user id; the
 * incarnation predicate binds the token to the user row it was minted for (a deleted user's id,
 * reused, finds no rows), at no extra cost.
 */
export const AUTH_USER_RBAC = q(
  'auth_user_rbac',
  `
  SELECT u.id AS user_id, u.username, u.email, r.id AS role_id, r.name AS role_name,
         p.id AS permission_id, p.name AS permission_name
  ${RBAC_JOIN}
  WHERE u.id = $1 AND u.incarnation = $2`,
);

/** What a token is minted from: the same join plus version and incarnation, in one snapshot. */
export const MINT_CLAIMS = q(
  'mint_claims',
  `
  SELECT u.id AS user_id, u.token_version, u.incarnation, r.id AS role_id, r.name AS role_name,
         p.name AS permission_name
  ${RBAC_JOIN}
  WHERE u.id = $1`,
);

/** rbac-cache's miss: the join, with the version and incarnation the claims belong to, in one snapshot. */
export const CACHE_FILL_CLAIMS = q('rbac_cache_fill', MINT_CLAIMS.text);

/**
 * A Redis record's refill: the user's version and the revocation log position it is current
 * as of, read in one snapshot (no row: the user does not exist).
 */
export const TOKEN_VERSION_AT = q(
  'token_version_at',
  `
  SELECT c.pos, u.token_version FROM revocation_clock c LEFT JOIN users u ON u.id = $1`,
);

/** The revocations the current transaction logged (the schema's triggers write them). */
export const OWN_REVOCATIONS = q(
  'own_revocations',
  `
  SELECT pos, xid::text AS xid, user_id, version, deleted FROM revocation_log
  WHERE xid = pg_current_xact_id() ORDER BY pos`,
);

export const DASHBOARD_STATS = q(
  'dashboard_stats',
  `
  SELECT count(*)::int AS articles, max(updated_at) AS last_updated_at
  FROM articles WHERE author_id = $1`,
);

export const DASHBOARD_RECENT = q(
  'dashboard_recent',
  `
  SELECT id, title, author_id, updated_at
  FROM articles ORDER BY updated_at DESC, id DESC LIMIT 5`,
);

export const ARTICLES_PAGE = q(
  'articles_page',
  `
  SELECT id, title, author_id, updated_at, revision
  FROM articles ORDER BY id LIMIT $1 OFFSET $2`,
);

export const ARTICLE_UPDATE = q(
  'article_update',
  `
  UPDATE articles SET title = $2, body = $3, updated_at = now(), revision = revision + 1
  WHERE id = $1
  RETURNING id, title, body, author_id, revision`,
);

export const ROLE_IDS_BY_NAME = q(
  'role_ids_by_name',
  `
  SELECT id, name FROM roles WHERE name = ANY($1::text[])`,
);

/**
 * The revocation lock (schema.sql), taken first by every API change: the schema's triggers take
 * it before the first RBAC row is touched anyway, but the API locks a user row before that, and a
 * plain-SQL revocation bumping that user's version meanwhile would deadlock with it.
 */
export const REVOCATION_LOCK = q(
  'revocation_lock',
  `
  SELECT pos FROM revocation_clock FOR UPDATE`,
);

export const USER_LOCK = q(
  'user_lock',
  `
  SELECT id FROM users WHERE id = $1 FOR UPDATE`,
);

export const USER_ROLES_DELETE = q(
  'user_roles_delete',
  `
  DELETE FROM user_roles WHERE user_id = $1`,
);

export const USER_ROLES_INSERT = q(
  'user_roles_insert',
  `
  INSERT INTO user_roles (user_id, role_id) SELECT $1, unnest($2::smallint[])`,
);

export const USER_DELETE = q(
  'user_delete',
  `
  DELETE FROM users WHERE id = $1 RETURNING id`,
);

export const HEALTH = q('health', 'SELECT 1 AS ok');

/**
 * The revocation applier's statements (servers/revocation/applier.ts): background work, off the
 * request path. The marker lets the bench's counters tell them from per-request statements.
 */
export const BACKGROUND_MARKER = 'authbench-background';

/** The log's head, and which dataset the database holds now (a re-seed under a server ends its trust). */
export const REVOCATION_HEAD = q(
  'revocation_head',
  `/* ${BACKGROUND_MARKER} */
  SELECT c.pos, m.dataset_id FROM revocation_clock c LEFT JOIN seed_meta m ON true`,
);

/** The last revocation of everyone in a range: catching up can start from there. */
export const LAST_EVERYONE = q(
  'last_everyone',
  `/* ${BACKGROUND_MARKER} */
  SELECT max(pos) AS pos FROM revocation_log WHERE user_id IS NULL AND pos > $1 AND pos <= $2`,
);

export const REVOCATIONS_SINCE = q(
  'revocations_since',
  `/* ${BACKGROUND_MARKER} */
  SELECT pos, xid::text AS xid, user_id, version, deleted FROM revocation_log
  WHERE pos > $1 AND pos <= $2 ORDER BY pos, user_id`,
);

/**
 * Every user's token version and the log position they are current as of, in one statement and
 * so one snapshot: what an in-process revocation map (jwt-local) starts from.
 */
export const VERSIONS_SNAPSHOT = q(
  'versions_snapshot',
  `/* ${BACKGROUND_MARKER} */
  SELECT c.pos, m.dataset_id, u.id, u.token_version
  FROM revocation_clock c LEFT JOIN seed_meta m ON true LEFT JOIN users u ON true`,
);

/** How an intent's transaction ended, and the last log position it wrote (null: none left). */
export const XACT_STATUS = q(
  'xact_status',
  `/* ${BACKGROUND_MARKER} */
  SELECT CASE WHEN pg_xact_status($1::xid8) = 'committed' AND NOT pg_visible_in_snapshot($1::xid8, pg_current_snapshot())
              THEN 'in progress' ELSE pg_xact_status($1::xid8) END AS status,
         (SELECT max(pos) FROM revocation_log WHERE xid = $1::xid8) AS pos`,
);

/** Entries older than any token can be: a Redis restored from before them is started afresh. */
export const PRUNE_REVOCATIONS = q(
  'prune_revocations',
  `/* ${BACKGROUND_MARKER} */
  DELETE FROM revocation_log WHERE logged_at < now() - make_interval(secs => $1)`,
);
