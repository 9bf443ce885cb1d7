#!/usr/bin/env bash
# Creates the roles and one database for Pantheon on a local PostgreSQL (as the superuser).
#   scripts/db-setup.sh <database> [owner-password app-password worker-password]
#   scripts/db-setup.sh --drop <database>
# Roles are cluster-wide: pantheon_owner (owns tables, runs migrations), pantheon_app (the API: not owner,
# not superuser, no BYPASSRLS) and pantheon_worker (system tasks with narrow grants).
set -euo pipefail

PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "${PGHOST:-127.0.0.1}" -p "${PGPORT:-5432}" -U "${PGSUPERUSER:-postgres}")

if [ "${1:-}" = "--drop" ]; then
  db=$2
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
  exit 0
fi

db=${1:?usage: db-setup.sh <database> [owner-pw app-pw worker-pw]}
owner_pw=${2:-pantheon_owner}
app_pw=${3:-pantheon_app}
worker_pw=${4:-pantheon_worker}

"${PSQL[@]}" -d postgres \
  -v owner_pw="$owner_pw" -v app_pw="$app_pw" -v worker_pw="$worker_pw" -v db="$db" \
  -f "$(dirname "$0")/../deploy/postgres/roles.sql"
