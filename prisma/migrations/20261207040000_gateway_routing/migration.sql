-- Per-project model routing for the LLM gateway: what a coding agent's requested model name (claude-sonnet-…,
-- claude-haiku-…, gpt-…) is served by. One row per project, written by its owner; read by the gateway inside
-- the owner's scope. usage_events records what the client asked for beside what served it.
CREATE TABLE project_gateway_settings (
  project_id      uuid PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
  user_id         uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  default_model   text,
  reasoning_model text,
  small_model     text,
  -- {"requested name": "provider/model"}
  aliases         jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(aliases) = 'object'),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX project_gateway_settings_user_idx ON project_gateway_settings (user_id);
ALTER TABLE project_gateway_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE project_gateway_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY project_gateway_settings_owner ON project_gateway_settings TO pantheon_app
  USING (user_id = app_current_user_id())
  WITH CHECK (user_id = app_current_user_id() AND app_owns_project(project_id));
GRANT SELECT, INSERT, UPDATE, DELETE ON project_gateway_settings TO pantheon_app;

-- The model name the client sent, when the gateway routed it to another (NULL: served as named).
ALTER TABLE usage_events ADD COLUMN requested_model text;
