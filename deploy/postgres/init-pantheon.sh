#!/usr/bin/env bash
# Runs once in the postgres image on an empty data directory (docker-entrypoint-initdb.d), as the superuser.
# Creates Pantheon's roles and database (deploy/postgres/roles.sql) and Keycloak's own user and database.
# Passwords come from the Compose secrets under /run/secrets; none is ever in this script or the environment.
set -euo pipefail

secret() { tr -d '\n' <"/run/secrets/$1"; }
PSQL=(psql -X -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres)

"${PSQL[@]}" -v db="${PANTHEON_DB_NAME:-pantheon}" \
  -v owner_pw="$(secret db_owner_password)" -v app_pw="$(secret db_app_password)" \
  -v worker_pw="$(secret db_worker_password)" -f /opt/pantheon/roles.sql

"${PSQL[@]}" -v kc_pw="$(secret keycloak_db_password)" <<'SQL'
SELECT 'CREATE ROLE keycloak LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'keycloak') \gexec
ALTER ROLE keycloak NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'kc_pw';
SELECT 'CREATE DATABASE keycloak OWNER keycloak' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'keycloak') \gexec
REVOKE ALL ON DATABASE keycloak FROM PUBLIC;
SQL
echo "pantheon: roles and databases created"
