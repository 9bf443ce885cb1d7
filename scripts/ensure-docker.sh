#!/usr/bin/env bash
# Make sure a Docker engine is installed and answering on this machine.
#
# Idempotent; meant for Debian 12 as root without systemd (CI runners, dev containers):
#   - installs docker.io from apt when the client or the daemon binary is missing,
#   - starts dockerd in the background when `docker info` does not answer,
#   - waits up to PANTHEON_DOCKER_WAIT seconds (default 60) for it.
# Prints one line on success; exits non-zero with the reason otherwise.
set -euo pipefail

LOG_FILE=/var/log/pantheon-dockerd.log
PID_FILE=/var/run/docker.pid
WAIT_SECONDS=${PANTHEON_DOCKER_WAIT:-60}
STARTED_PID=

die() {
  echo "ensure-docker: $*" >&2
  exit 1
}

require_root() {
  [ "$(id -u)" -eq 0 ] || die "must run as root to $1"
}

docker_answers() {
  docker info >/dev/null 2>&1
}

install_docker() {
  require_root "install docker.io"
  command -v apt-get >/dev/null 2>&1 || die "docker is missing and apt-get is not available to install it"
  export DEBIAN_FRONTEND=noninteractive
  # Refresh package lists only when apt does not know the package yet (fresh images ship without lists).
  if ! apt-cache show docker.io >/dev/null 2>&1; then
    apt-get update -qq || die "apt-get update failed"
  fi
  apt-get install -y -qq docker.io >/dev/null || die "apt-get install docker.io failed"
}

# True when the pid file names a live dockerd (for example one still starting up).
pid_file_is_live() {
  [ -f "$PID_FILE" ] || return 1
  local pid
  pid=$(cat "$PID_FILE" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "dockerd" ]
}

start_dockerd() {
  require_root "start dockerd"
  if pid_file_is_live; then
    return 0
  fi
  # A pid file left behind by a killed daemon makes dockerd refuse to start.
  rm -f "$PID_FILE"
  setsid nohup dockerd >>"$LOG_FILE" 2>&1 </dev/null &
  STARTED_PID=$!
}

wait_for_docker() {
  local deadline=$((SECONDS + WAIT_SECONDS))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if docker_answers; then
      return 0
    fi
    # A daemon that exits during startup will not answer later either.
    if [ -n "$STARTED_PID" ] && ! kill -0 "$STARTED_PID" 2>/dev/null; then
      echo "ensure-docker: dockerd exited during startup; last lines of $LOG_FILE:" >&2
      tail -n 20 "$LOG_FILE" >&2 2>/dev/null || true
      exit 1
    fi
    sleep 0.5
  done
  echo "ensure-docker: dockerd did not answer within ${WAIT_SECONDS}s; last lines of $LOG_FILE:" >&2
  tail -n 20 "$LOG_FILE" >&2 2>/dev/null || true
  exit 1
}

if ! command -v docker >/dev/null 2>&1 || ! command -v dockerd >/dev/null 2>&1; then
  install_docker
fi

if ! docker_answers; then
  start_dockerd
  wait_for_docker
fi

echo "docker ready: server $(docker version --format '{{.Server.Version}}' 2>/dev/null)"
