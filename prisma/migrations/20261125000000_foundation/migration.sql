-- Foundation: users, projects, provider keys, settings, custom models, audit log.
--
-- Tenancy: the API connects as pantheon_app (not owner, not superuser, no BYPASSRLS). Every tenant table
-- has ENABLE + FORCE ROW LEVEL SECURITY and a policy on app_current_user_id(), which reads the
-- transaction-local setting `app.user_id` (set by libs/db withUser). With no setting, nothing is visible.
-- The roles themselves are cluster-level and created by setup (deploy.sh / test/run.sh), not here.

CREATE FUNCTION app_current_user_id() RETURNS uuid
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

-- Set only while resolving a verified token's subject to a user row (before the user id is known).
CREATE FUNCTION app_current_auth_sub() RETURNS text
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('app.auth_sub', true), '') $$;

-- users -------------------------------------------------------------------------------------------
CREATE TABLE users (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  keycloak_sub    text NOT NULL UNIQUE CHECK (char_length(keycloak_sub) BETWEEN 1 AND 255),
  email           text,
  name            text,
  picture_url     text,
  last_session_id text,
  last_login_at   timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_self ON users TO pantheon_app
  USING (id = app_current_user_id() OR keycloak_sub = app_current_auth_sub())
  WITH CHECK (id = app_current_user_id() OR keycloak_sub = app_current_auth_sub());
-- No DELETE: removing an account is a system operation, not something a request can do.
GRANT SELECT, INSERT, UPDATE ON users TO pantheon_app;

-- projects (lifecycle columns are used by the provisioning worker) -------------------------------
CREATE TABLE projects (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  owner_id        uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name            text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
  status          text NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'provisioning', 'running', 'failed', 'deleting', 'deleted')),
  progress_step   text,
  subnet_index    integer UNIQUE CHECK (subnet_index BETWEEN 1 AND 254),
  vm_spec         jsonb NOT NULL DEFAULT '{}'::jsonb,
  last_error      text,
  idempotency_key text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  deleted_at      timestamptz,
  UNIQUE (owner_id, idempotency_key)
);
CREATE INDEX projects_owner_created_idx ON projects (owner_id, created_at DESC);
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE projects FORCE ROW LEVEL SECURITY;
CREATE POLICY projects_owner ON projects TO pantheon_app
  USING (owner_id = app_current_user_id()) WITH CHECK (owner_id = app_current_user_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON projects TO pantheon_app;

-- provider_keys: ciphertext only; the plaintext never reaches the database ------------------------
CREATE TABLE provider_keys (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id           uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name              text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
  provider          text NOT NULL
                    CHECK (provider IN ('openrouter', 'openai', 'anthropic', 'google', 'together', 'xai', 'custom')),
  base_url          text CHECK (base_url IS NULL OR char_length(base_url) <= 2048),
  ciphertext        bytea NOT NULL,
  key_version       integer NOT NULL CHECK (key_version > 0),
  last4             text NOT NULL,
  fingerprint       text NOT NULL,
  last_tested_at    timestamptz,
  last_test_ok      boolean,
  last_test_error   text,
  last_used_at      timestamptz,
  request_count     bigint NOT NULL DEFAULT 0,
  prompt_tokens     bigint NOT NULL DEFAULT 0,
  completion_tokens bigint NOT NULL DEFAULT 0,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, name),
  CHECK ((provider = 'custom') = (base_url IS NOT NULL))
);
CREATE INDEX provider_keys_rotation_idx ON provider_keys (key_version);
ALTER TABLE provider_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE provider_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY provider_keys_owner ON provider_keys TO pantheon_app
  USING (user_id = app_current_user_id()) WITH CHECK (user_id = app_current_user_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON provider_keys TO pantheon_app;
-- Key rotation (a system task) re-encrypts every user's keys: it may read and rewrite ciphertexts, nothing else.
CREATE POLICY provider_keys_rotation ON provider_keys TO pantheon_worker USING (true) WITH CHECK (true);
GRANT SELECT (id, user_id, key_version, ciphertext) ON provider_keys TO pantheon_worker;
GRANT UPDATE (key_version, ciphertext, updated_at) ON provider_keys TO pantheon_worker;

-- user_settings ------------------------------------------------------------------------------------
CREATE TABLE user_settings (
  user_id          uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  preferred_model  text CHECK (preferred_model IS NULL OR char_length(preferred_model) <= 200),
  model_parameters jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE user_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY user_settings_owner ON user_settings TO pantheon_app
  USING (user_id = app_current_user_id()) WITH CHECK (user_id = app_current_user_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON user_settings TO pantheon_app;

-- custom_models --------------------------------------------------------------------------------------
CREATE TABLE custom_models (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id        uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  provider       text NOT NULL
                 CHECK (provider IN ('openrouter', 'openai', 'anthropic', 'google', 'together', 'xai', 'custom')),
  model_id       text NOT NULL CHECK (char_length(model_id) BETWEEN 1 AND 200),
  display_name   text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 100),
  context_length integer CHECK (context_length IS NULL OR context_length BETWEEN 1 AND 100000000),
  parameters     jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, provider, model_id)
);
ALTER TABLE custom_models ENABLE ROW LEVEL SECURITY;
ALTER TABLE custom_models FORCE ROW LEVEL SECURITY;
CREATE POLICY custom_models_owner ON custom_models TO pantheon_app
  USING (user_id = app_current_user_id()) WITH CHECK (user_id = app_current_user_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON custom_models TO pantheon_app;

-- audit_log: append-only, hash-chained per user ------------------------------------------------------
CREATE TABLE audit_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users(id),
  seq         bigint NOT NULL,
  action      text NOT NULL CHECK (char_length(action) BETWEEN 1 AND 100),
  target_type text,
  target_id   text,
  metadata    jsonb NOT NULL DEFAULT '{}'::jsonb,
  request_id  text,
  ip          text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  prev_hash   bytea,
  hash        bytea NOT NULL,
  UNIQUE (user_id, seq)
);

-- One formula, used both when a row is written and when a chain is verified.
CREATE FUNCTION audit_log_row_hash(
  p_prev bytea, p_user_id uuid, p_seq bigint, p_action text, p_target_type text, p_target_id text,
  p_metadata jsonb, p_request_id text, p_ip text, p_created_at timestamptz
) RETURNS bytea
  LANGUAGE sql IMMUTABLE
  AS $$
    SELECT sha256(coalesce(p_prev, '\x'::bytea) || convert_to(concat_ws(E'\x1f',
      p_user_id::text, p_seq::text, p_action, coalesce(p_target_type, ''), coalesce(p_target_id, ''),
      p_metadata::text, coalesce(p_request_id, ''), coalesce(p_ip, ''),
      to_char(p_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')), 'UTF8'))
  $$;

-- The chain is computed by the database, not the caller, so a client cannot forge a link. The per-user
-- advisory lock serialises concurrent writers of one user's chain.
CREATE FUNCTION audit_log_link() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  DECLARE
    last_row record;
  BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('audit_log:' || NEW.user_id::text, 0));
    SELECT seq, hash INTO last_row FROM audit_log WHERE user_id = NEW.user_id ORDER BY seq DESC LIMIT 1;
    NEW.seq := coalesce(last_row.seq, 0) + 1;
    NEW.prev_hash := last_row.hash;
    NEW.created_at := clock_timestamp();
    NEW.hash := audit_log_row_hash(NEW.prev_hash, NEW.user_id, NEW.seq, NEW.action, NEW.target_type,
      NEW.target_id, NEW.metadata, NEW.request_id, NEW.ip, NEW.created_at);
    RETURN NEW;
  END
  $$;
CREATE TRIGGER audit_log_link BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_link();

-- Returns the seq of the first row whose link or hash does not verify, or NULL when the chain is intact.
CREATE FUNCTION audit_log_first_broken(p_user_id uuid) RETURNS bigint
  LANGUAGE plpgsql STABLE
  AS $$
  DECLARE
    r record;
    expected_prev bytea := NULL;
    expected_seq bigint := 1;
  BEGIN
    FOR r IN SELECT * FROM audit_log WHERE user_id = p_user_id ORDER BY seq LOOP
      IF r.seq <> expected_seq
         OR r.prev_hash IS DISTINCT FROM expected_prev
         OR r.hash <> audit_log_row_hash(r.prev_hash, r.user_id, r.seq, r.action, r.target_type, r.target_id,
                                         r.metadata, r.request_id, r.ip, r.created_at) THEN
        RETURN r.seq;
      END IF;
      expected_prev := r.hash;
      expected_seq := r.seq + 1;
    END LOOP;
    RETURN NULL;
  END
  $$;

CREATE INDEX audit_log_user_created_idx ON audit_log (user_id, id DESC);
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_log_owner_read ON audit_log FOR SELECT TO pantheon_app
  USING (user_id = app_current_user_id());
CREATE POLICY audit_log_owner_append ON audit_log FOR INSERT TO pantheon_app
  WITH CHECK (user_id = app_current_user_id());
-- Append-only: no UPDATE or DELETE for any application role.
GRANT SELECT, INSERT ON audit_log TO pantheon_app;

-- master_key_verifiers: not tenant data; lets boot refuse a wrong master key before it touches a secret --
CREATE TABLE master_key_verifiers (
  version    integer PRIMARY KEY CHECK (version > 0),
  verifier   bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT ON master_key_verifiers TO pantheon_app;
GRANT SELECT, INSERT ON master_key_verifiers TO pantheon_worker;
