-- Budget reservations: a metered call reserves its estimated tokens (and cost, when the model is priced)
-- before anything is sent, in the transaction that checks the budget while holding a lock on the budget's row
-- (user_settings for the monthly USD budget, projects for a token budget), so parallel calls cannot all pass
-- one check. When the call ends, however it ends, the reservation is swapped for its usage_events row in one
-- transaction. A reservation that is never settled (the API died mid-call) stops counting at expires_at and is
-- purged by the user's next reservation, so it can never block a budget for good.
CREATE TABLE budget_reservations (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id    uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id uuid REFERENCES projects(id) ON DELETE CASCADE,
  tokens     integer NOT NULL CHECK (tokens >= 0),
  cost_usd   numeric(14, 8) CHECK (cost_usd IS NULL OR cost_usd >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX budget_reservations_user_idx ON budget_reservations (user_id, expires_at);
CREATE INDEX budget_reservations_project_idx ON budget_reservations (project_id, expires_at) WHERE project_id IS NOT NULL;
ALTER TABLE budget_reservations ENABLE ROW LEVEL SECURITY;
ALTER TABLE budget_reservations FORCE ROW LEVEL SECURITY;
CREATE POLICY budget_reservations_owner ON budget_reservations TO pantheon_app
  USING (user_id = app_current_user_id())
  WITH CHECK (user_id = app_current_user_id() AND (project_id IS NULL OR app_owns_project(project_id)));
-- Taken and released, never changed.
GRANT SELECT, INSERT, DELETE ON budget_reservations TO pantheon_app;
