-- authbench schema: the RBAC tables of the write-up plus the content the business routes read.
-- Idempotent: every statement may run against an already-migrated database.

CREATE TABLE IF NOT EXISTS roles (
  id   smallint PRIMARY KEY,
  name text NOT NULL UNIQUE
);

CREATE TABLE IF NOT EXISTS permissions (
  id   smallint PRIMARY KEY,
  name text NOT NULL UNIQUE
);

CREATE TABLE IF NOT EXISTS role_permissions (
  role_id       smallint NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  permission_id smallint NOT NULL REFERENCES permissions (id) ON DELETE CASCADE,
  PRIMARY KEY (role_id, permission_id)
);
CREATE INDEX IF NOT EXISTS role_permissions_permission_id_idx ON role_permissions (permission_id);

-- Token versions come from one sequence that re-seeding does not reset, so a version is never
-- issued twice: a token minted against an earlier dataset or before a revocation can never
-- match a current version again.
CREATE SEQUENCE IF NOT EXISTS token_version_seq AS bigint;
-- A user row's identity: a new one for every row ever inserted, so a token minted for a deleted
-- user can never speak for a later user who got the same id.
CREATE SEQUENCE IF NOT EXISTS user_incarnation_seq AS bigint;

CREATE TABLE IF NOT EXISTS users (
  id            bigint PRIMARY KEY,
  username      text NOT NULL UNIQUE,
  email         text NOT NULL UNIQUE,
  created_at    timestamptz NOT NULL,
  -- Replaced (by the triggers below) in the same transaction as every change to the user's
  -- roles or to those roles' permissions; tokens carry the version they were minted under.
  token_version bigint NOT NULL DEFAULT nextval('token_version_seq'),
  incarnation   bigint NOT NULL DEFAULT nextval('user_incarnation_seq')
);
ALTER TABLE users ADD COLUMN IF NOT EXISTS incarnation bigint NOT NULL DEFAULT nextval('user_incarnation_seq');

CREATE TABLE IF NOT EXISTS user_roles (
  user_id bigint   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role_id smallint NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, role_id)
);
CREATE INDEX IF NOT EXISTS user_roles_role_id_idx ON user_roles (role_id);

CREATE TABLE IF NOT EXISTS articles (
  id         bigint PRIMARY KEY,
  author_id  bigint REFERENCES users (id) ON DELETE SET NULL,
  title      text NOT NULL,
  body       text NOT NULL,
  updated_at timestamptz NOT NULL,
  revision   integer NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS articles_author_id_idx ON articles (author_id);
CREATE INDEX IF NOT EXISTS articles_updated_at_idx ON articles (updated_at DESC, id DESC);

-- One row: which generated dataset the database holds. `dataset_id` is fresh for every seeding
-- run, so Redis keys derived from it never mix two datasets; `modified` turns true on any
-- write outside seeding, so a re-seed is not skipped after tests or admins changed the data.
CREATE TABLE IF NOT EXISTS seed_meta (
  singleton         boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  generator_version integer NOT NULL,
  seed              bigint  NOT NULL,
  users             integer NOT NULL,
  dataset_id        text    NOT NULL,
  seeded_at         timestamptz NOT NULL DEFAULT now(),
  modified          boolean NOT NULL DEFAULT false
);

-- Seeding disables the tables' user triggers in its own transaction (fixtures/seed.ts): owner-only
-- and transactional, unlike a setting any session could set.
CREATE OR REPLACE FUNCTION authbench_mark_modified() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE seed_meta SET modified = true WHERE NOT modified;
  RETURN NULL;
END $$;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['users', 'user_roles', 'articles', 'roles', 'permissions', 'role_permissions'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = t || '_mark_modified') THEN
      EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
                     'FOR EACH STATEMENT EXECUTE FUNCTION authbench_mark_modified()', t || '_mark_modified', t);
    END IF;
  END LOOP;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Revocation (docs/freshness.md has the invariant and the argument why this keeps it).
--
-- Every write to the five RBAC tables first takes one lock (the revocation_clock row), so
-- revoking transactions commit one at a time; a statement-level trigger then appends the users
-- whose effective rights the statement may have changed to revocation_log, at the clock's next
-- position, with fresh token versions, in the same transaction. Positions are therefore gapless
-- and in commit order, and nothing that changes rights escapes the log: INSERT, UPDATE, DELETE
-- and TRUNCATE on any of the tables, cascades included, through the API or in plain SQL.
-- ---------------------------------------------------------------------------------------------

-- Superseded by the log (an earlier design): removed from databases migrated before it. The
-- user_roles and role_permissions triggers keep their names; their functions are replaced below.
DO $$
BEGIN
  IF to_regprocedure('authbench_revoke_deleted_users()') IS NOT NULL THEN
    DROP TRIGGER IF EXISTS users_revoke_delete ON users;
    DROP FUNCTION authbench_revoke_deleted_users();
  END IF;
END $$;
DROP FUNCTION IF EXISTS authbench_revoke(bigint[]);
DROP TABLE IF EXISTS revocation_state;

CREATE TABLE IF NOT EXISTS revocation_clock (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  -- The last position handed out. Never reset, not even by re-seeding.
  pos       bigint NOT NULL DEFAULT 0
);
INSERT INTO revocation_clock DEFAULT VALUES ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS revocation_log (
  pos       bigint  NOT NULL,
  xid       xid8    NOT NULL DEFAULT pg_current_xact_id(),
  -- NULL: every user (a TRUNCATE, or more users than are worth listing one by one).
  user_id   bigint,
  -- The user's new token version; for a deleted user a version of its own, as a tombstone.
  version   bigint,
  deleted   boolean NOT NULL DEFAULT false,
  logged_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS revocation_log_pos_idx ON revocation_log (pos);
CREATE INDEX IF NOT EXISTS revocation_log_xid_idx ON revocation_log (xid);

DROP FUNCTION IF EXISTS authbench_seeding();

-- Every function below runs with search_path = public, pg_temp: a session's temporary table or
-- sequence named like one of ours must not stand in for it (pg_temp is otherwise searched first).

-- BEFORE each statement on an RBAC table: the lock, before any row is touched, so two writers
-- never deadlock over it. Under REPEATABLE READ or SERIALIZABLE a transaction whose snapshot
-- predates another revocation fails here with a serialization error instead of deciding who is
-- affected from a stale view (a role assignment and that role's permission change, committing
-- concurrently, would otherwise each miss the other's users).
CREATE OR REPLACE FUNCTION authbench_rbac_lock() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM 1 FROM revocation_clock FOR UPDATE;
  RETURN NULL;
END $$;

-- Lists more users than this as one "everyone" entry: the servers then start a new key space
-- instead of writing thousands of records.
CREATE OR REPLACE FUNCTION authbench_log_revocations(affected bigint[], gone bigint[], everyone boolean)
RETURNS void LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  p bigint;
  many constant integer := 256;
BEGIN
  gone := ARRAY(SELECT DISTINCT x FROM unnest(gone) x WHERE x IS NOT NULL);
  -- Only users that still exist get a new version; a position is handed out only when there is
  -- something to log, so every position has entries (a gap means pruned entries).
  affected := ARRAY(SELECT id FROM users WHERE id = ANY(affected) AND NOT id = ANY(gone));
  IF NOT everyone AND cardinality(affected) = 0 AND cardinality(gone) = 0 THEN RETURN; END IF;
  UPDATE revocation_clock SET pos = pos + 1 RETURNING pos INTO p;
  IF everyone OR cardinality(affected) + cardinality(gone) > many THEN
    IF everyone THEN
      UPDATE users SET token_version = greatest(nextval('token_version_seq'), token_version + 1);
    ELSE
      UPDATE users SET token_version = greatest(nextval('token_version_seq'), token_version + 1) WHERE id = ANY(affected);
    END IF;
    INSERT INTO revocation_log (pos, user_id, version) VALUES (p, NULL, NULL);
  ELSE
    WITH bumped AS (
      UPDATE users SET token_version = greatest(nextval('token_version_seq'), token_version + 1) WHERE id = ANY(affected)
      RETURNING id, token_version)
    INSERT INTO revocation_log (pos, user_id, version) SELECT p, id, token_version FROM bumped;
    INSERT INTO revocation_log (pos, user_id, version, deleted)
      SELECT p, g, nextval('token_version_seq'), true FROM unnest(gone) g;
  END IF;
  PERFORM pg_notify('authbench_revocation', p::text);
END $$;

-- plpgsql plans a statement when it first runs it, so a branch may name a transition table
-- that only the other events have.
CREATE OR REPLACE FUNCTION authbench_revoke_user_roles() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM authbench_log_revocations('{}', '{}', true);
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM authbench_log_revocations(ARRAY(SELECT user_id FROM new_rows), '{}', false);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM authbench_log_revocations(ARRAY(SELECT user_id FROM old_rows), '{}', false);
  ELSE
    PERFORM authbench_log_revocations(
      ARRAY(SELECT user_id FROM old_rows UNION SELECT user_id FROM new_rows), '{}', false);
  END IF;
  RETURN NULL;
END $$;

-- A role's permissions changed: everyone holding the role, as the table is now (the lock makes
-- "now" include every revoking transaction that committed before this one).
CREATE OR REPLACE FUNCTION authbench_revoke_role_permissions() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM authbench_log_revocations('{}', '{}', true);
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM authbench_log_revocations(ARRAY(SELECT ur.user_id FROM user_roles ur
      WHERE ur.role_id IN (SELECT role_id FROM new_rows)), '{}', false);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM authbench_log_revocations(ARRAY(SELECT ur.user_id FROM user_roles ur
      WHERE ur.role_id IN (SELECT role_id FROM old_rows)), '{}', false);
  ELSE
    PERFORM authbench_log_revocations(ARRAY(SELECT ur.user_id FROM user_roles ur WHERE ur.role_id IN
      (SELECT role_id FROM old_rows UNION SELECT role_id FROM new_rows)), '{}', false);
  END IF;
  RETURN NULL;
END $$;

-- A role renamed (the role claim carries its name) or re-keyed. Deleting a role cascades to
-- user_roles and role_permissions, whose own triggers log it; a new role has no holders yet.
CREATE OR REPLACE FUNCTION authbench_revoke_roles() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM authbench_log_revocations('{}', '{}', true);
  ELSE
    PERFORM authbench_log_revocations(ARRAY(SELECT ur.user_id FROM user_roles ur WHERE ur.role_id IN
      (SELECT id FROM old_rows UNION SELECT id FROM new_rows)), '{}', false);
  END IF;
  RETURN NULL;
END $$;

-- A permission renamed (claims carry names) or re-keyed: everyone whose roles grant it.
CREATE OR REPLACE FUNCTION authbench_revoke_permissions() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM authbench_log_revocations('{}', '{}', true);
  ELSE
    PERFORM authbench_log_revocations(ARRAY(SELECT ur.user_id FROM user_roles ur
      JOIN role_permissions rp ON rp.role_id = ur.role_id
      WHERE rp.permission_id IN (SELECT id FROM old_rows UNION SELECT id FROM new_rows)), '{}', false);
  END IF;
  RETURN NULL;
END $$;

-- A user deleted. (Ids cannot change: the users guard below refuses it.)
CREATE OR REPLACE FUNCTION authbench_revoke_users() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM authbench_log_revocations('{}', '{}', true);
  ELSE
    PERFORM authbench_log_revocations('{}', ARRAY(SELECT id FROM old_rows), false);
  END IF;
  RETURN NULL;
END $$;

-- Versions and incarnations come from the sequences only: a row inserted in plain SQL with an
-- old version could otherwise bring an old token back, and lowering a version would too. Only
-- authbench_log_revocations, running inside a statement trigger (trigger depth 2 here), may
-- change a version; nobody may change an incarnation or an id (a row moved to a deleted user's
-- id would carry its own version into that id's tokens).
CREATE OR REPLACE FUNCTION authbench_users_guard() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.token_version := nextval('token_version_seq');
    NEW.incarnation := nextval('user_incarnation_seq');
  ELSIF NEW.id IS DISTINCT FROM OLD.id OR NEW.incarnation IS DISTINCT FROM OLD.incarnation
     OR (NEW.token_version IS DISTINCT FROM OLD.token_version AND pg_trigger_depth() < 2) THEN
    RAISE EXCEPTION 'users.id, users.incarnation and users.token_version are managed by authbench'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;

-- Transition tables allow one event per trigger (and no column list), hence one trigger per event.
DO $$
DECLARE
  t record;
  tbl text;
BEGIN
  DROP TRIGGER IF EXISTS users_revoke_update ON users;
  FOREACH tbl IN ARRAY ARRAY['users', 'user_roles', 'roles', 'permissions', 'role_permissions'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = tbl || '_rbac_lock') THEN
      EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
                     'FOR EACH STATEMENT EXECUTE FUNCTION authbench_rbac_lock()', tbl || '_rbac_lock', tbl);
    END IF;
  END LOOP;
  FOR t IN SELECT * FROM (VALUES
    ('user_roles_revoke_insert', 'INSERT', 'user_roles', 'REFERENCING NEW TABLE AS new_rows', 'authbench_revoke_user_roles'),
    ('user_roles_revoke_update', 'UPDATE', 'user_roles', 'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows', 'authbench_revoke_user_roles'),
    ('user_roles_revoke_delete', 'DELETE', 'user_roles', 'REFERENCING OLD TABLE AS old_rows', 'authbench_revoke_user_roles'),
    ('user_roles_revoke_truncate', 'TRUNCATE', 'user_roles', '', 'authbench_revoke_user_roles'),
    ('role_permissions_revoke_insert', 'INSERT', 'role_permissions', 'REFERENCING NEW TABLE AS new_rows', 'authbench_revoke_role_permissions'),
    ('role_permissions_revoke_update', 'UPDATE', 'role_permissions', 'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows', 'authbench_revoke_role_permissions'),
    ('role_permissions_revoke_delete', 'DELETE', 'role_permissions', 'REFERENCING OLD TABLE AS old_rows', 'authbench_revoke_role_permissions'),
    ('role_permissions_revoke_truncate', 'TRUNCATE', 'role_permissions', '', 'authbench_revoke_role_permissions'),
    ('roles_revoke_update', 'UPDATE', 'roles', 'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows', 'authbench_revoke_roles'),
    ('roles_revoke_truncate', 'TRUNCATE', 'roles', '', 'authbench_revoke_roles'),
    ('permissions_revoke_update', 'UPDATE', 'permissions', 'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows', 'authbench_revoke_permissions'),
    ('permissions_revoke_truncate', 'TRUNCATE', 'permissions', '', 'authbench_revoke_permissions'),
    ('users_revoke_delete', 'DELETE', 'users', 'REFERENCING OLD TABLE AS old_rows', 'authbench_revoke_users'),
    ('users_revoke_truncate', 'TRUNCATE', 'users', '', 'authbench_revoke_users')
  ) AS x(name, event, tbl, referencing, fn) LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = t.name) THEN
      EXECUTE format('CREATE TRIGGER %I AFTER %s ON %I %s FOR EACH STATEMENT EXECUTE FUNCTION %I()',
                     t.name, t.event, t.tbl, t.referencing, t.fn);
    END IF;
  END LOOP;
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'users_guard_insert') THEN
    CREATE TRIGGER users_guard_insert BEFORE INSERT ON users
      FOR EACH ROW EXECUTE FUNCTION authbench_users_guard();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'users_guard_update_v2') THEN
    DROP TRIGGER IF EXISTS users_guard_update ON users;
    CREATE TRIGGER users_guard_update_v2 BEFORE UPDATE ON users FOR EACH ROW
      WHEN (OLD.token_version IS DISTINCT FROM NEW.token_version OR OLD.incarnation IS DISTINCT FROM NEW.incarnation
            OR OLD.id IS DISTINCT FROM NEW.id)
      EXECUTE FUNCTION authbench_users_guard();
  END IF;
END $$;
