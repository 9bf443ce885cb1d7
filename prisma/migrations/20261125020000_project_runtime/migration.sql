-- Project runtime: progress, unique live names, subnet leases, and the worker's narrow system grants.

ALTER TABLE projects ADD COLUMN progress smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100);
ALTER TABLE projects ADD COLUMN attempts integer NOT NULL DEFAULT 0;
-- A user's live projects have distinct names (case-insensitive); a deleted project frees its name.
CREATE UNIQUE INDEX projects_owner_live_name_idx ON projects (owner_id, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX projects_status_idx ON projects (status, updated_at) WHERE deleted_at IS NULL;

-- subnet_leases: project n gets 172.30.n.0/24. The primary key makes allocation race-free: two concurrent
-- requests that pick the same free index cannot both insert it. A lease lives until the project is deleted.
-- Not tenant data (a platform-wide resource): any app session may see which indexes are taken, but may only
-- take or release a lease for a project it can see (its own, through the projects policy).
CREATE TABLE subnet_leases (
  subnet_index smallint PRIMARY KEY CHECK (subnet_index BETWEEN 1 AND 254),
  project_id   uuid NOT NULL UNIQUE REFERENCES projects(id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE subnet_leases ENABLE ROW LEVEL SECURITY;
ALTER TABLE subnet_leases FORCE ROW LEVEL SECURITY;
CREATE POLICY subnet_leases_read ON subnet_leases FOR SELECT TO pantheon_app USING (true);
CREATE POLICY subnet_leases_take ON subnet_leases FOR INSERT TO pantheon_app
  WITH CHECK (EXISTS (SELECT 1 FROM projects p WHERE p.id = project_id));
CREATE POLICY subnet_leases_release ON subnet_leases FOR DELETE TO pantheon_app
  USING (EXISTS (SELECT 1 FROM projects p WHERE p.id = project_id));
GRANT SELECT, INSERT, DELETE ON subnet_leases TO pantheon_app;

-- The worker (system path) drives every project's lifecycle: it reads projects and updates only lifecycle
-- columns; it never sees keys, settings or anything else of a user.
CREATE POLICY projects_worker ON projects TO pantheon_worker USING (true) WITH CHECK (true);
GRANT SELECT ON projects TO pantheon_worker;
GRANT UPDATE (status, progress_step, progress, last_error, attempts, updated_at, deleted_at, subnet_index)
  ON projects TO pantheon_worker;
CREATE POLICY subnet_leases_worker ON subnet_leases TO pantheon_worker USING (true) WITH CHECK (true);
GRANT SELECT, DELETE ON subnet_leases TO pantheon_worker;
