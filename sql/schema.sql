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

CREATE TABLE IF NOT EXISTS users (
  id            bigint PRIMARY KEY,
  username      text NOT NULL UNIQUE,
  email         text NOT NULL UNIQUE,
  created_at    timestamptz NOT NULL,
  -- Bumped in the same transaction as every role change; tokens carry the version they were
  -- minted under, so a revocation names exactly the tokens it kills and outlives them.
  token_version integer NOT NULL DEFAULT 1 CHECK (token_version >= 1)
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
