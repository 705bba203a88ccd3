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

CREATE TABLE IF NOT EXISTS users (
  id            bigint PRIMARY KEY,
  username      text NOT NULL UNIQUE,
  email         text NOT NULL UNIQUE,
  created_at    timestamptz NOT NULL,
  -- Replaced (by the triggers below) in the same transaction as every change to the user's
  -- roles or to those roles' permissions; tokens carry the version they were minted under.
  token_version bigint NOT NULL DEFAULT nextval('token_version_seq')
);

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

CREATE OR REPLACE FUNCTION authbench_mark_modified() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('authbench.seeding', true) IS DISTINCT FROM 'on' THEN
    UPDATE seed_meta SET modified = true WHERE NOT modified;
  END IF;
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

-- The highest token version any revocation has produced (role change, permission change,
-- deletion). Redis keeps the highest version it was told of; a Redis behind this number
-- (restored from a snapshot, a lagging replica, a missed notification) has stale records, and
-- the servers drop them before trusting Redis again.
CREATE TABLE IF NOT EXISTS revocation_state (
  singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_version bigint NOT NULL DEFAULT 0
);
INSERT INTO revocation_state DEFAULT VALUES ON CONFLICT DO NOTHING;

-- Revokes the tokens of these users: new versions, the revocation high-water mark, and a
-- notification the servers turn into a Redis check once the transaction commits.
CREATE OR REPLACE FUNCTION authbench_revoke(user_ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE top bigint;
BEGIN
  IF cardinality(user_ids) = 0 THEN RETURN; END IF;
  WITH bumped AS (
    UPDATE users SET token_version = nextval('token_version_seq')
    WHERE id = ANY(user_ids) RETURNING token_version)
  SELECT max(token_version) INTO top FROM bumped;
  -- A deleted user has no row left to bump: the revocation still needs a version of its own.
  IF top IS NULL THEN top := nextval('token_version_seq'); END IF;
  UPDATE revocation_state SET last_version = greatest(last_version, top);
  PERFORM pg_notify('authbench_revocation', top::text);
END $$;

-- plpgsql plans a statement when it first runs it, so a branch may name a transition table
-- that only the other events have.
CREATE OR REPLACE FUNCTION authbench_revoke_user_roles() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('authbench.seeding', true) IS DISTINCT FROM 'on' THEN
    IF TG_OP = 'INSERT' THEN
      PERFORM authbench_revoke(ARRAY(SELECT DISTINCT user_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
      PERFORM authbench_revoke(ARRAY(SELECT DISTINCT user_id FROM old_rows));
    ELSE
      PERFORM authbench_revoke(ARRAY(SELECT user_id FROM old_rows UNION SELECT user_id FROM new_rows));
    END IF;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION authbench_revoke_role_permissions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('authbench.seeding', true) IS DISTINCT FROM 'on' THEN
    IF TG_OP = 'INSERT' THEN
      PERFORM authbench_revoke(ARRAY(SELECT DISTINCT user_id FROM user_roles
                                     WHERE role_id IN (SELECT role_id FROM new_rows)));
    ELSIF TG_OP = 'DELETE' THEN
      PERFORM authbench_revoke(ARRAY(SELECT DISTINCT user_id FROM user_roles
                                     WHERE role_id IN (SELECT role_id FROM old_rows)));
    ELSE
      PERFORM authbench_revoke(ARRAY(SELECT DISTINCT user_id FROM user_roles WHERE role_id IN
                                     (SELECT role_id FROM old_rows UNION SELECT role_id FROM new_rows)));
    END IF;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION authbench_revoke_deleted_users() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('authbench.seeding', true) IS DISTINCT FROM 'on' THEN
    PERFORM authbench_revoke(ARRAY(SELECT id FROM old_rows));
  END IF;
  RETURN NULL;
END $$;

-- Transition tables allow one event per trigger, hence one trigger per event.
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT * FROM (VALUES
    ('user_roles_revoke_insert', 'INSERT', 'user_roles', 'NEW TABLE AS new_rows', 'authbench_revoke_user_roles'),
    ('user_roles_revoke_update', 'UPDATE', 'user_roles', 'OLD TABLE AS old_rows NEW TABLE AS new_rows', 'authbench_revoke_user_roles'),
    ('user_roles_revoke_delete', 'DELETE', 'user_roles', 'OLD TABLE AS old_rows', 'authbench_revoke_user_roles'),
    ('role_permissions_revoke_insert', 'INSERT', 'role_permissions', 'NEW TABLE AS new_rows', 'authbench_revoke_role_permissions'),
    ('role_permissions_revoke_update', 'UPDATE', 'role_permissions', 'OLD TABLE AS old_rows NEW TABLE AS new_rows', 'authbench_revoke_role_permissions'),
    ('role_permissions_revoke_delete', 'DELETE', 'role_permissions', 'OLD TABLE AS old_rows', 'authbench_revoke_role_permissions'),
    ('users_revoke_delete', 'DELETE', 'users', 'OLD TABLE AS old_rows', 'authbench_revoke_deleted_users')
  ) AS x(name, event, tbl, referencing, fn) LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = t.name) THEN
      EXECUTE format('CREATE TRIGGER %I AFTER %s ON %I REFERENCING %s FOR EACH STATEMENT EXECUTE FUNCTION %I()',
                     t.name, t.event, t.tbl, t.referencing, t.fn);
    END IF;
  END LOOP;
END $$;
