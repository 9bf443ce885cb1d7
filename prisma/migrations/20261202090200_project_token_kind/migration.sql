-- Project tokens say who issued them: the worker's tools-API token ('tools') or a user ('user'). The worker
-- re-issues and revokes only its own kind, so a user's token is never revoked for its name.
ALTER TABLE project_tokens ADD COLUMN kind text NOT NULL DEFAULT 'user' CHECK (kind IN ('user', 'tools'));
-- Before this column the worker's token was the one named tools-api; keep treating those as the worker's, so
-- the next re-issue still revokes the previous tools token.
UPDATE project_tokens SET kind = 'tools' WHERE name = 'tools-api';

-- Only the worker issues 'tools' tokens. The app role may revoke a token and record its use, nothing else.
CREATE POLICY project_tokens_user_kind ON project_tokens AS RESTRICTIVE FOR INSERT TO pantheon_app
  WITH CHECK (kind = 'user');
REVOKE UPDATE ON project_tokens FROM pantheon_app;
GRANT UPDATE (revoked_at, last_used_at) ON project_tokens TO pantheon_app;
