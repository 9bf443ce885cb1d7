-- Platform capacity: project creation admits a project only while the totals over every project that holds
-- resources stay within the configured limits. The app role sees only its user's projects (RLS), so it gets
-- the totals from one SECURITY DEFINER function that returns aggregates only, never a row or an id.

-- The function runs as the owner role, which FORCE ROW LEVEL SECURITY also holds to the policies. This policy
-- lets the owner read projects only while app.capacity_scan is on, which only the function below sets (a
-- function-level SET, undone when it returns); no other role is affected.
CREATE POLICY projects_capacity_scan ON projects FOR SELECT TO pantheon_owner
  USING (current_setting('app.capacity_scan', true) = 'on');

-- Projects that hold resources: not deleted, and still holding a subnet lease (a failed project whose lease
-- the worker released no longer counts). Callers serialise admissions with an advisory lock.
CREATE FUNCTION platform_project_usage(OUT projects integer, OUT ram_gb bigint, OUT cpu_cores bigint)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public
  SET app.capacity_scan = 'on'
  AS $$
    SELECT count(*)::integer,
           coalesce(sum((p.vm_spec ->> 'ram_gb')::bigint), 0)::bigint,
           coalesce(sum((p.vm_spec ->> 'cpu_cores')::bigint), 0)::bigint
    FROM public.projects p
    WHERE p.deleted_at IS NULL AND p.subnet_index IS NOT NULL
  $$;
REVOKE ALL ON FUNCTION platform_project_usage() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform_project_usage() TO pantheon_app;
