#!/usr/bin/env bash
# Makes sure a Docker engine answers, for `sam local` (tools/sam-local.sh). Prints one line
# saying which engine; exits non-zero with the reason when none can be had.
#
# 1. An engine that already answers `docker info` is used as it is.
# 2. Else, as root: Debian's docker.io is installed when `dockerd` is missing, and dockerd is
#    started in the background with no bridge and no iptables/NAT rules (containers can have
#    the host's network only, which tools/sam_offline.py gives them) and vfs storage (works
#    on any filesystem). It keeps running afterwards; its log is in $DOCKERD_LOG. With
#    DOCKERD_PID_FILE set, its pid is written there, so that a caller that only needs it for
#    a while (tools/sam-local.sh check) can stop it.
set -euo pipefail

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/task-api-dockerd.log}

answers() { timeout 15 docker info >/dev/null 2>&1; }
fail() { echo "docker-engine: $*" >&2; exit 1; }

if ! command -v docker >/dev/null 2>&1 && [ "$(id -u)" != 0 ]; then
  fail "no Docker client on PATH and not root: install Docker (and start it), then rerun"
fi
if command -v docker >/dev/null 2>&1 && answers; then
  echo "Docker engine: $(docker version --format '{{.Server.Version}}' 2>/dev/null) (already running)"
  exit 0
fi
[ "$(id -u)" = 0 ] || fail "no Docker engine answers 'docker info', and only root can start one here: start Docker, then rerun"

if ! command -v dockerd >/dev/null 2>&1; then
  echo "Installing Debian's docker.io (dockerd, containerd, runc)..."
  export DEBIAN_FRONTEND=noninteractive
  # The package must not start a daemon of its own (with a bridge and NAT): no service
  # starts while /usr/sbin/policy-rc.d answers 101.
  own_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    own_policy=1
  fi
  install() { apt-get install -y -q --no-install-recommends docker.io >/dev/null; }
  install || { apt-get update -q >/dev/null && install; } || {
    [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
    fail "apt-get install docker.io failed"
  }
  [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
fi
command -v docker >/dev/null 2>&1 || fail "docker.io is installed but no docker client is on PATH"

echo "Starting dockerd (vfs storage, no bridge, no iptables; log: $DOCKERD_LOG)"
setsid dockerd --storage-driver=vfs --bridge=none --iptables=false --ip-masq=false \
  >"$DOCKERD_LOG" 2>&1 < /dev/null &
pid=$!
# Recorded at once, so that the caller stops the engine even if it never answers.
[ -z "${DOCKERD_PID_FILE:-}" ] || echo "$pid" > "$DOCKERD_PID_FILE"
for _ in $(seq 120); do
  if answers; then
    echo "Docker engine: $(docker version --format '{{.Server.Version}}' 2>/dev/null) (started, pid $pid)"
    exit 0
  fi
  kill -0 "$pid" 2>/dev/null || { tail -n 20 "$DOCKERD_LOG" >&2; fail "dockerd exited (log above)"; }
  sleep 0.5
done
tail -n 20 "$DOCKERD_LOG" >&2
fail "dockerd started (pid $pid) but does not answer 'docker info' after 60 s"
