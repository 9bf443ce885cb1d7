#!/usr/bin/env bash
# Starts the local PostgreSQL and Redis when they are not answering (machines of this kind run them, but a
# stopped one must not fail the tests). Installs them from Debian's packages when absent.
set -euo pipefail

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}

apt_install() {
  if [ -z "${_APT_UPDATED:-}" ]; then apt-get update -qq >/dev/null; _APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v pg_isready >/dev/null 2>&1; then
  echo "ensure-services: installing postgresql"
  apt_install postgresql
fi
if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
  echo "ensure-services: starting PostgreSQL"
  version=$(ls /etc/postgresql | sort -V | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 1; done
  pg_isready -q -h "$PGHOST" -p "$PGPORT" || { echo "ensure-services: PostgreSQL did not start" >&2; exit 1; }
fi

if ! command -v redis-server >/dev/null 2>&1; then
  echo "ensure-services: installing redis"
  apt_install redis-server
fi
if ! redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  echo "ensure-services: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/pantheon.log
  for _ in $(seq 1 20); do redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.5; done
  redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping >/dev/null || { echo "ensure-services: Redis did not start" >&2; exit 1; }
fi
