#!/usr/bin/env bash
# Runs every test suite against real PostgreSQL, Redis and an OIDC issuer on loopback.
#   ./test/run.sh                 all suites
#   ./test/run.sh <file.test.ts>  only the given source files (their compiled .js is run)
#   ./test/run.sh --bench <file.bench.ts>...  the same environment, then runs benchmarks (prints numbers)
# Installs dependencies if missing, starts PostgreSQL/Redis if down, creates a throw-away database and the
# roles, and ends with a line "N passed, N failed" (exit status non-zero on any failure).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

log() { printf '[test/run] %s\n' "$*" >&2; }
die() { log "$*"; echo "0 passed, 1 failed"; exit 1; }

# 1. Dependencies and build -------------------------------------------------------------------------
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund >/dev/null || die "npm ci failed"
fi
log "building"
npm run -s build >/dev/null || { npm run -s build; die "build failed"; }

# 2. Services ----------------------------------------------------------------------------------------
bash scripts/ensure-services.sh || die "PostgreSQL/Redis unavailable"
bash scripts/ensure-docker.sh || die "Docker engine unavailable"

# 3. A throw-away database, roles, secrets and stand-in images for this run ------------------------
RUN_ID="$(date +%s)_$$"
export PANTHEON_TEST_RUN_ID=$RUN_ID
DB="pantheon_test_${RUN_ID}"
TMP_DIR=$(mktemp -d /tmp/pantheon-test.XXXXXX)
export PANTHEON_TEST_IMAGE_TAG="test-${RUN_ID}"
cleanup() {
  bash scripts/db-setup.sh --drop "$DB" >/dev/null 2>&1 || true
  redis-cli --scan --pattern "pantheon-test-${RUN_ID}:*" 2>/dev/null | xargs -r -n 500 redis-cli del >/dev/null 2>&1 || true
  # Containers and networks are removed by each suite (by label); the images of this run go here.
  docker image ls --filter label=pantheon.managed=true --format '{{.Repository}}:{{.Tag}}' 2>/dev/null |
    grep ":${PANTHEON_TEST_IMAGE_TAG}\$" | xargs -r docker image rm -f >/dev/null 2>&1 || true
  rm -rf "$TMP_DIR"
}
trap cleanup EXIT
log "building stand-in images (tag ${PANTHEON_TEST_IMAGE_TAG})"
PANTHEON_IMAGE_TAG=$PANTHEON_TEST_IMAGE_TAG bash deploy/images/build-standin-images.sh >/dev/null || die "stand-in image build failed"
PANTHEON_IMAGE_TAG=$PANTHEON_TEST_IMAGE_TAG bash deploy/images/build-standin-images.sh tools >/dev/null || die "tools-api image build failed"
bash scripts/db-setup.sh "$DB" >/dev/null || die "database setup failed"

PG="127.0.0.1:${PGPORT:-5432}"
export NODE_ENV=test
export LOG_LEVEL=${LOG_LEVEL:-info}
export PANTHEON_TEST_PG_ADMIN_URL="postgresql://postgres@${PG}/postgres"
export DATABASE_URL="postgresql://pantheon_app:pantheon_app@${PG}/${DB}"
export DATABASE_MIGRATION_URL="postgresql://pantheon_owner:pantheon_owner@${PG}/${DB}"
export DATABASE_WORKER_URL="postgresql://pantheon_worker:pantheon_worker@${PG}/${DB}"
export REDIS_URL="redis://127.0.0.1:6379"
export REDIS_PREFIX="pantheon-test-${RUN_ID}"
export PANTHEON_MASTER_KEYS="1:$(node -e "process.stdout.write(require('crypto').randomBytes(32).toString('base64'))")"
# Tests start their own OIDC issuer; this is only the realm URL placeholder config validation needs.
export KEYCLOAK_URL="http://127.0.0.1:1"

node dist/libs/db/src/migrate.cli.js >/dev/null || die "migrations failed"

# 4. Run the suites (or the benchmarks) ---------------------------------------------------------------
if [ "${1:-}" = "--bench" ]; then
  shift
  BENCHES=("$@")
  [ ${#BENCHES[@]} -gt 0 ] || mapfile -t BENCHES < <(find bench -name '*.bench.ts' | sort)
  STATUS=0
  for b in "${BENCHES[@]}"; do
    log "benchmark ${b}"
    LOG_LEVEL=warn node ${BENCH_NODE_FLAGS:-} "dist/${b%.ts}.js" || STATUS=1
  done
  exit $STATUS
fi
if [ $# -gt 0 ]; then
  FILES=()
  for f in "$@"; do FILES+=("dist/${f%.ts}.js"); done
else
  mapfile -t FILES < <(find dist/apps dist/libs dist/test -name '*.spec.js' -o -name '*.test.js' | sort)
fi
[ ${#FILES[@]} -gt 0 ] || die "no test files found"
log "running ${#FILES[@]} test file(s)"

TAP="$TMP_DIR/results.tap"
node --test --test-concurrency=1 --test-timeout=900000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$TAP" \
  "${FILES[@]}"
STATUS=$?
# Errors outside any test (e.g. "generated asynchronous activity after the test ended") fail a file with
# only 'test failed' in the spec output: repeat their diagnostics so the cause is visible.
grep -E '^# (Error|Warning): ' "$TAP" | cut -c1-600 || true

pass=$(grep -E '^# pass [0-9]+' "$TAP" | tail -1 | awk '{print $3}')
fail=$(grep -E '^# fail [0-9]+' "$TAP" | tail -1 | awk '{print $3}')
cancelled=$(grep -E '^# cancelled [0-9]+' "$TAP" | tail -1 | awk '{print $3}')
skipped=$(grep -E '^# skipped [0-9]+' "$TAP" | tail -1 | awk '{print $3}')
pass=${pass:-0}; fail=$(( ${fail:-0} + ${cancelled:-0} ))
if [ "$STATUS" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
log "${skipped:-0} skipped"
# CI reads this exact shape from the last line.
echo "${pass} passed, ${fail} failed"
[ "$fail" -eq 0 ] && [ "$STATUS" -eq 0 ]
