#!/usr/bin/env bash
# Runs the core end-to-end suites against Podman, a second real engine,
# through its Docker-compatible API (rootful, on a socket of its own).
#
#   bash tests/podman.sh
#
# Installs Debian's podman if it is missing (root and apt-get needed),
# configures it (a containers.conf of its own, given with CONTAINERS_CONF, so
# the system's configuration is not changed), starts
# `podman system service` on unix:///run/podman/podman.sock, loads the
# project's images from the Docker engine (`docker save | podman load`; no
# registry is needed), runs the handle, sharing, lifecycle, errors and options
# suites with DOCKER_HOST pointing at it (cargo test, then the sharing suite
# again under nextest: processes racing to create one container), checks that
# no container is left, and stops the service. The Docker engine is only read
# from (docker save), never changed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SOCKET_DIR=/run/podman
SOCKET=$SOCKET_DIR/podman.sock
PODMAN_HOST=unix://$SOCKET
# (numpy: lifecycle's two-specs test.)
IMAGES=(python-container-test/python:3.11 python-container-test/official:3.11 python-container-test/no-python:bookworm
  python-container-test/numpy:3.11)
SUITES=(handle sharing lifecycle errors options)
LABEL=python-container-test.managed=true
# Tests that cannot pass on Podman for a reason that is Podman's: none
# (keep the reason beside each name added here; passed to cargo test as --skip).
SKIP=()

section() { printf '\n== podman: %s ==\n' "$*"; }
die() { echo "podman.sh: $*" >&2; exit 1; }
ping_podman() { timeout 5 docker -H "$PODMAN_HOST" version >/dev/null 2>&1; }

started=$(date +%s)
[ "$(id -u)" = 0 ] || die "needs root: it runs rootful Podman's service on $SOCKET"
state=$(mktemp -d /tmp/pct-podman.XXXXXX)
service_pid=

stop_service() {
  if [ -n "$service_pid" ] && kill -0 "$service_pid" 2>/dev/null; then
    echo "stopping the podman service (pid $service_pid)"
    kill "$service_pid"
    for _ in $(seq 50); do kill -0 "$service_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$service_pid" 2>/dev/null && kill -9 "$service_pid"
    rm -f "$SOCKET"
  fi
  rm -rf "$state"
}
trap stop_service EXIT

section "install"
if ! command -v podman >/dev/null; then
  command -v apt-get >/dev/null || die "podman is not installed and there is no apt-get to install it"
  echo "installing podman"
  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman >/dev/null 2>&1 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman >/dev/null; }; } ||
    die "apt-get could not install podman"
fi
podman --version

section "configure"
# runc: crun fails on the cgroups of some VMs (this CI's among them).
# default_ulimits: without CAP_SYS_RESOURCE (VMs, containers) Podman's default
# ulimits fail with "error setting rlimit type 6"; these are within the limits.
export CONTAINERS_CONF=$state/containers.conf
cat >"$CONTAINERS_CONF" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[engine]
runtime = "runc"
EOF
echo "CONTAINERS_CONF=$CONTAINERS_CONF:"
sed 's/^/  /' "$CONTAINERS_CONF"

section "service: $PODMAN_HOST"
if ping_podman; then
  die "something already serves $SOCKET; stop it first (this script runs a service of its own and stops it at the end)"
fi
mkdir -p "$SOCKET_DIR"
rm -f "$SOCKET"
podman system service --time=0 "$PODMAN_HOST" >"$state/service.log" 2>&1 &
service_pid=$!
for _ in $(seq 100); do ping_podman && break; sleep 0.1; done
ping_podman || { cat "$state/service.log" >&2; die "the podman service did not answer on $SOCKET within 10 s"; }
DOCKER_HOST=$PODMAN_HOST docker version --format 'engine: {{.Server.Platform.Name}} {{.Server.Version}} (API {{.Server.APIVersion}})'

section "images"
# Load only what Podman lacks or has in another version (same image id).
missing=()
for image in "${IMAGES[@]}"; do
  want=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null) ||
    die "$image is not on the Docker engine: run bash docker/build-images.sh first"
  have=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  [ "sha256:$have" = "$want" ] || [ "$have" = "$want" ] || missing+=("$image")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "loading ${missing[*]}"
  docker save "${missing[@]}" | podman load -q
else
  echo "all loaded: ${IMAGES[*]}"
fi
stale=$(podman ps -aq --filter "label=$LABEL")
if [ -n "$stale" ]; then
  echo "removing $(echo "$stale" | wc -l) container(s) left by an earlier run"
  # shellcheck disable=SC2086
  podman rm -f $stale >/dev/null
fi

section "build"
tests=()
for suite in "${SUITES[@]}"; do tests+=(--test "$suite"); done
cargo test -p python-container-test-e2e "${tests[@]}" --no-run

section "test: cargo test ${tests[*]}"
# A failure is reported at the end: the leak check and the service's stop
# run either way.
failed=()
skips=()
for name in "${SKIP[@]}"; do skips+=(--skip "$name"); done
tests_started=$(date +%s)
DOCKER_HOST=$PODMAN_HOST cargo test -p python-container-test-e2e "${tests[@]}" --no-fail-fast -- "${skips[@]}" ||
  failed+=("cargo test")
echo "cargo test took $(( $(date +%s) - tests_started )) s"

if cargo nextest --version >/dev/null 2>&1; then
  section "test: cargo nextest run --test sharing (a process per test, all at once, racing for one container)"
  DOCKER_HOST=$PODMAN_HOST cargo nextest run -p python-container-test-e2e --test sharing --test-threads 12 ||
    failed+=("cargo nextest run --test sharing")
else
  echo "cargo-nextest is not installed: the sharing suite ran under cargo test only"
fi

section "leaked containers"
linger=${PYTHON_CONTAINER_TEST_LINGER:-3}
sleep $((linger + 5))
leaked=$(podman ps -aq --filter "label=$LABEL")
if [ -n "$leaked" ]; then
  echo "podman.sh: containers labelled $LABEL were left behind on Podman:" >&2
  podman ps -a --filter "label=$LABEL" --format '{{.ID}}  {{.Image}}  {{.Status}}  {{.Names}}' >&2
  # shellcheck disable=SC2086
  podman rm -f $leaked >/dev/null || true
  failed+=("leak check")
else
  echo "none"
fi

section "done in $(( $(date +%s) - started )) s"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "last lines of the podman service's log (without its healthcheck-timer noise: no systemd here):"
  grep -v healthcheck "$state/service.log" | tail -n 20 || true
  die "failed: ${failed[*]}"
fi
echo "podman: all passed${SKIP[*]:+ (skipped: ${SKIP[*]})}"
