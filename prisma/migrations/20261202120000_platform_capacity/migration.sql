-- Platform capacity: project creation admits a project only while the totals over every project that holds
-- resources stay within the configured limits. The app role sees only its user's projects (RLS), so it gets
-- the totals from one SECURITY DEFINER function that returns aggregates only, never a row or an id.

-- The function runs as the owner role, which FORCE ROW LEVEL SECURITY also holds to the policies. This policy
-- lets the owner read projects only while app.capacity_scan is on, which the function below sets for its own
-- query and clears again; other owner sessions (migrations) still see no tenant rows by accident.
CREATE POLICY projects_capacity_scan ON projects FOR SELECT TO pantheon_owner
  USING (current_setting('app.capacity_scan', true) = 'on');

-- Projects that hold resources: not deleted, and still holding a subnet lease (a failed project whose lease
-- the worker released no longer counts). Callers serialise admissions with an advisory lock.
CREATE FUNCTION platform_project_usage(OUT projects integer, OUT ram_gb bigint, OUT cpu_cores bigint)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$
BEGIN
  PERFORM set_config('app.capacity_scan', 'on', true);
  SELECT count(*)::integer,
         coalesce(sum((p.vm_spec ->> 'ram_gb')::bigint), 0)::bigint,
         coalesce(sum((p.vm_spec ->> 'cpu_cores')::bigint), 0)::bigint
    INTO projects, ram_gb, cpu_cores
    FROM public.projects p
   WHERE p.deleted_at IS NULL AND p.subnet_index IS NOT NULL;
  PERFORM set_config('app.capacity_scan', 'off', true);
END
$$;
REVOKE ALL ON FUNCTION platform_project_usage() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform_project_usage() TO pantheon_app;
