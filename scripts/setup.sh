#!/usr/bin/env bash
# Machine setup used by every entry point (README, `npm test`, .ci/run): npm deps, Docker engine, k6, images.
# Idempotent and quick when everything is present; on a fresh Debian bookworm VM (root, apt mirror, npm
# registry and Go proxy only, no systemd) it installs and starts what is missing. One line per step.
set -euo pipefail
cd "$(dirname "$0")/.."

K6_VERSION=v1.4.2
DOCKERD_LOG=/var/log/dockerd.log
DOCKER_WAIT_SEC=60

say() { printf 'setup: %-14s %s\n' "$1:" "$2"; }
die() {
  printf 'setup: %s\n' "$1" >&2
  [ $# -lt 2 ] || printf '       %s\n' "$2" >&2
  exit 1
}
is_root() { [ "$(id -u)" -eq 0 ]; }

apt_updated=0
apt_install() {
  is_root || die "need root to install $*" "run: sudo bash scripts/setup.sh"
  if [ "$apt_updated" -eq 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# --- a) npm dependencies ----------------------------------------------------------------------------------
command -v node >/dev/null || die "node is not installed" "install Node 20 (e.g. from nodesource), then rerun"
# npm ci writes node_modules/.package-lock.json; older than package-lock.json means the lock moved on.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  if command -v flock >/dev/null; then flock /tmp/npm.lock npm ci --no-audit --no-fund --loglevel=error
  else npm ci --no-audit --no-fund --loglevel=error; fi
  say "npm deps" "installed (npm ci)"
else
  say "npm deps" "already present"
fi

# --- b) Docker engine ---------------------------------------------------------------------------------------
engine_pkgs() {
  local p=()
  command -v dockerd >/dev/null || p+=(docker.io)
  command -v docker-compose >/dev/null || p+=(docker-compose)
  command -v debootstrap >/dev/null || p+=(debootstrap)
  echo "${p[@]}"
}
if server=$(docker info --format '{{.ServerVersion}}' 2>/dev/null); then
  say "docker" "already running ($server)"
else
  case "${DOCKER_HOST:-unix:///var/run/docker.sock}" in
    unix:///var/run/docker.sock) ;;
    *) die "DOCKER_HOST=$DOCKER_HOST does not answer" "start that engine, or unset DOCKER_HOST to use a local dockerd" ;;
  esac
  if ! command -v dockerd >/dev/null; then
    read -r -a pkgs <<<"$(engine_pkgs)"
    apt_install "${pkgs[@]}"
    say "packages" "installed ${pkgs[*]}"
  fi
  # An engine still starting (from an earlier run) keeps its pid file: wait for it rather than start a second.
  if [ -f /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    how="was starting"
  else
    is_root || die "dockerd is not running and starting it needs root" "run: sudo bash scripts/setup.sh"
    # setsid + nohup: no systemd here, and the engine must outlive this script and its terminal.
    setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
    how="started"
  fi
  for _ in $(seq 1 "$DOCKER_WAIT_SEC"); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 ||
    die "dockerd did not answer within ${DOCKER_WAIT_SEC}s" "see $DOCKERD_LOG (last lines: $(tail -n 3 "$DOCKERD_LOG" 2>/dev/null | tr '\n' ' '))"
  say "docker" "$how ($(docker info --format '{{.ServerVersion}}'), log: $DOCKERD_LOG)"
fi

# The compose artifact and the local base-image bootstrap need these even next to an engine that already runs.
read -r -a pkgs <<<"$(engine_pkgs)"
if [ ${#pkgs[@]} -gt 0 ]; then
  if is_root; then
    apt_install "${pkgs[@]}"
    say "packages" "installed ${pkgs[*]}"
  else
    echo "setup: warning: missing ${pkgs[*]} (install as root: apt-get install -y ${pkgs[*]})" >&2
  fi
fi

# Debian's Chromium renders report.html in the browser test (playwright-core drives it; no browser download).
if command -v chromium >/dev/null; then
  say "chromium" "already present"
elif is_root; then
  apt_install chromium
  say "chromium" "installed"
else
  echo "setup: warning: chromium missing (install as root: apt-get install -y chromium)" >&2
fi

# --- c) k6 --------------------------------------------------------------------------------------------------
GO=$(command -v go || true)
[ -n "$GO" ] || [ ! -x /usr/local/go/bin/go ] || GO=/usr/local/go/bin/go
K6=$(command -v k6 || true)
GOBIN_K6=""
[ -z "$GO" ] || GOBIN_K6="$("$GO" env GOPATH)/bin/k6"
k6_how="already present"
if [ -z "$K6" ] && [ -n "$GOBIN_K6" ] && [ -x "$GOBIN_K6" ]; then
  K6=$GOBIN_K6
fi
if [ -z "$K6" ]; then
  [ -n "$GO" ] || die "k6 is not installed and Go is missing" \
    "install Go (https://go.dev/doc/install), then: go install go.k6.io/k6@$K6_VERSION (or put a k6 $K6_VERSION binary on PATH)"
  say "k6" "building $K6_VERSION with go install (minutes the first time)"
  "$GO" install "go.k6.io/k6@$K6_VERSION"
  K6=$GOBIN_K6
  k6_how="installed"
fi
# The toolkit and README call plain `k6`: make the Go-built binary visible on PATH.
if ! command -v k6 >/dev/null; then
  if is_root; then ln -sf "$K6" /usr/local/bin/k6; else echo "setup: add $(dirname "$K6") to PATH to use k6" >&2; fi
fi
k6_version=$("$K6" version 2>/dev/null | awk '{print $2; exit}')
[ "$k6_version" = "$K6_VERSION" ] ||
  echo "setup: warning: k6 $k6_version at $K6 is not the pinned $K6_VERSION; keeping it (results may differ)" >&2
say "k6" "$k6_how ($k6_version, $K6)"

# --- d) base and project images -----------------------------------------------------------------------------
say "images" "$(node_modules/.bin/tsx scripts/ensure-images.ts)"
