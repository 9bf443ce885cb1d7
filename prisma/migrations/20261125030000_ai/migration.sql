-- AI: budgets, project tokens (for the LLM gateway), chat history and usage accounting.

ALTER TABLE user_settings ADD COLUMN monthly_budget_usd numeric(12, 4) CHECK (monthly_budget_usd IS NULL OR monthly_budget_usd >= 0);
ALTER TABLE projects ADD COLUMN token_budget bigint CHECK (token_budget IS NULL OR token_budget >= 0);

-- project_tokens: random bearer tokens for a project's tools API / VM; only a SHA-256 hash is stored.
-- Resolving a presented token happens before the user is known, so the policy also admits the row whose
-- hash equals the transaction-local `app.token_hash` (set only by the gateway's token guard).
CREATE FUNCTION app_current_token_hash() RETURNS bytea
  LANGUAGE sql STABLE
  AS $$ SELECT decode(nullif(current_setting('app.token_hash', true), ''), 'hex') $$;

CREATE TABLE project_tokens (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id   uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
  token_hash   bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  prefix       text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  last_used_at timestamptz
);
CREATE INDEX project_tokens_project_idx ON project_tokens (project_id, created_at DESC);
ALTER TABLE project_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE project_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY project_tokens_owner ON project_tokens TO pantheon_app
  USING (user_id = app_current_user_id() OR token_hash = app_current_token_hash())
  WITH CHECK (user_id = app_current_user_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON project_tokens TO pantheon_app;
-- The worker issues a token when it provisions a project and revokes them when it deletes one.
CREATE POLICY project_tokens_worker ON project_tokens TO pantheon_worker USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE (revoked_at) ON project_tokens TO pantheon_worker;

-- chat_messages: the user's chat history, optionally per project.
CREATE TABLE chat_messages (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id  uuid REFERENCES projects(id) ON DELETE SET NULL,
  role        text NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
  content     text NOT NULL,
  model       text,
  tool_calls  jsonb,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX chat_messages_user_idx ON chat_messages (user_id, created_at DESC);
CREATE INDEX chat_messages_project_idx ON chat_messages (project_id, created_at DESC) WHERE project_id IS NOT NULL;
ALTER TABLE chat_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat_messages FORCE ROW LEVEL SECURITY;
CREATE POLICY chat_messages_owner ON chat_messages TO pantheon_app
  USING (user_id = app_current_user_id()) WITH CHECK (user_id = app_current_user_id());
GRANT SELECT, INSERT, DELETE ON chat_messages TO pantheon_app;

-- usage_events: one row per provider call (chat, gateway, key test). Append-only for the app.
CREATE TABLE usage_events (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id           uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id        uuid REFERENCES projects(id) ON DELETE SET NULL,
  key_id            uuid REFERENCES provider_keys(id) ON DELETE SET NULL,
  source            text NOT NULL CHECK (source IN ('chat', 'gateway', 'key_test')),
  provider          text NOT NULL,
  model             text NOT NULL,
  status            text NOT NULL CHECK (status IN ('ok', 'error', 'aborted')),
  prompt_tokens     integer NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
  completion_tokens integer NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
  cost_usd          numeric(14, 8),
  latency_ms        integer NOT NULL DEFAULT 0,
  error_code        text,
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_events_user_created_idx ON usage_events (user_id, created_at);
CREATE INDEX usage_events_project_idx ON usage_events (project_id, created_at) WHERE project_id IS NOT NULL;
ALTER TABLE usage_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_events FORCE ROW LEVEL SECURITY;
CREATE POLICY usage_events_owner_read ON usage_events FOR SELECT TO pantheon_app USING (user_id = app_current_user_id());
CREATE POLICY usage_events_owner_append ON usage_events FOR INSERT TO pantheon_app WITH CHECK (user_id = app_current_user_id());
GRANT SELECT, INSERT ON usage_events TO pantheon_app;
