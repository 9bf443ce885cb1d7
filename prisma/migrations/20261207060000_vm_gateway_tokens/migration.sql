-- A third kind of project token: 'vm', the short-lived gateway token the API issues at the request of the
-- project's tools API, which puts it into the VM user's environment (ANTHROPIC_API_KEY, OPENAI_API_KEY).
-- The app role issues it (within the owner's scope, like 'user' tokens); 'tools' stays the worker's alone.
ALTER TABLE project_tokens DROP CONSTRAINT project_tokens_kind_check;
ALTER TABLE project_tokens ADD CONSTRAINT project_tokens_kind_check CHECK (kind IN ('user', 'tools', 'vm'));
ALTER POLICY project_tokens_user_kind ON project_tokens WITH CHECK (kind IN ('user', 'vm'));
