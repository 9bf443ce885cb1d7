-- Defence in depth for tenancy: the app role's rows may only name the caller's own projects, lease rows no
-- longer show other tenants' project ids, and the app role may update only the project columns it writes.

-- True when the project exists and belongs to the scoped user. Runs with the caller's rights (not SECURITY
-- DEFINER), so the projects policy applies on top of the explicit owner check.
CREATE FUNCTION app_owns_project(p_project_id uuid) RETURNS boolean
  LANGUAGE sql STABLE
  AS $$ SELECT EXISTS (SELECT 1 FROM projects p WHERE p.id = p_project_id AND p.owner_id = app_current_user_id()) $$;

-- A row that names a project must name one of the caller's (NULL stays allowed where the column is nullable).
ALTER POLICY project_tokens_owner ON project_tokens
  WITH CHECK (user_id = app_current_user_id() AND app_owns_project(project_id));
ALTER POLICY chat_messages_owner ON chat_messages
  WITH CHECK (user_id = app_current_user_id() AND (project_id IS NULL OR app_owns_project(project_id)));
ALTER POLICY usage_events_owner_append ON usage_events
  WITH CHECK (user_id = app_current_user_id() AND (project_id IS NULL OR app_owns_project(project_id)));

-- Which subnet indexes are taken stays visible to every app session (allocation needs it); whose project
-- holds them does not.
REVOKE SELECT ON subnet_leases FROM pantheon_app;
GRANT SELECT (subnet_index, created_at) ON subnet_leases TO pantheon_app;

-- The API writes a project's state on creation (subnet), deletion (status, step) and budget changes; the
-- lifecycle columns (progress, attempts, last_error, deleted_at) belong to the worker.
REVOKE UPDATE ON projects FROM pantheon_app;
GRANT UPDATE (status, progress_step, subnet_index, token_budget, updated_at) ON projects TO pantheon_app;
