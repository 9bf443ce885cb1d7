-- Pantheon's roles and database (run as the superuser with psql variables db, owner_pw, app_pw, worker_pw).
-- Used by scripts/db-setup.sh (development, tests) and deploy/postgres/init-pantheon.sh (production).
-- pantheon_owner owns the tables and runs migrations; pantheon_app (the API) is not owner, not superuser and
-- has no BYPASSRLS, so row-level security applies to it; pantheon_worker runs system tasks with narrow grants.
SELECT format('CREATE ROLE %I LOGIN', r) FROM unnest(ARRAY['pantheon_owner', 'pantheon_app', 'pantheon_worker']) r
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) \gexec
ALTER ROLE pantheon_owner NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD :'owner_pw';
ALTER ROLE pantheon_app NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT PASSWORD :'app_pw';
ALTER ROLE pantheon_worker NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT PASSWORD :'worker_pw';
SELECT format('CREATE DATABASE %I OWNER pantheon_owner', :'db')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SELECT format('ALTER DATABASE %I OWNER TO pantheon_owner', :'db') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db') \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO pantheon_app, pantheon_worker', :'db') \gexec
