#!/usr/bin/env bash
# Runs the e2e binary of tests/tests/in_container.rs inside a container (the
# GitLab, devcontainer and CI-runner pattern): the project's image, the
# engine's socket mounted, the binary mounted read-only, PCT_IN_CONTAINER=1.
#
#   bash tests/in_container.sh
#
# Three runs, each in a container of its own (labelled
# python-container-test.managed=true, removed by id at the end):
#   1. the suite: leases (exec, at once), Python, a service reached at
#      service_addr (the fixture's address on the bridge both share), the
#      fixture reaching the test process at host_address;
#   2. the service test with TESTCONTAINERS_HOST_OVERRIDE=pct-engine-host
#      (--add-host pct-engine-host:host-gateway): the override wins;
#   3. the crash check: a test holding a lease, its container SIGKILLed
#      (docker kill); the fixture must be gone within linger + 4 s.
# Then nothing of the three scopes may be left. Needs the image
# python-container-test/python:3.11 (bash docker/build-images.sh) and a
# binary built for the image's libc (Debian bookworm, as the host here).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

IMAGE=python-container-test/python:3.11
SOCKET=/var/run/docker.sock
LABEL=python-container-test.managed=true
LINGER=1
RUN_ID="pct-in-container-$$-$(date +%s)"

section() { printf '\n== in-container: %s ==\n' "$*"; }
die() { echo "in_container.sh: $*" >&2; exit 1; }

started=$(date +%s)
[ -S "$SOCKET" ] || die "no engine socket at $SOCKET"
docker image inspect "$IMAGE" >/dev/null 2>&1 || die "$IMAGE is missing: run bash docker/build-images.sh"
runners=()
cleanup() {
  local rc=$?
  for id in "${runners[@]}"; do docker rm -f "$id" >/dev/null 2>&1 || true; done
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

section "build"
bin=$(cargo test -p python-container-test-e2e --test in_container --no-run --message-format=json |
  python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "in_container":
        print(m["executable"])')
[ -x "$bin" ] || die "no in_container test binary was built"
echo "binary: $bin"

# runner NAME SCOPE [docker run options...] -- [test binary arguments...]
runner() {
  local name=$1 scope=$2
  shift 2
  local opts=()
  while [ "$1" != -- ]; do opts+=("$1"); shift; done
  shift
  docker run -d --name "$RUN_ID-$name" --label "$LABEL" \
    --label python-container-test.role=in-container-runner \
    --group-add "$(stat -c %g "$SOCKET")" -v "$SOCKET:/var/run/docker.sock" \
    -v "$bin:/pct/in_container:ro" \
    -e PCT_IN_CONTAINER=1 -e PYTHON_CONTAINER_TEST_SCOPE="$scope" \
    -e PYTHON_CONTAINER_TEST_LINGER="$LINGER" -e RUST_BACKTRACE=1 \
    "${opts[@]}" --entrypoint /pct/in_container "$IMAGE" --nocapture "$@"
}
finish() { # waits for a runner; prints its output; its exit code
  local id=$1 rc
  rc=$(timeout 180 docker wait "$id" || echo 124)
  docker logs "$id" 2>&1 | sed 's/^/  | /'
  return "$rc"
}
left_in() { docker ps -aq --filter "label=$LABEL" --filter "label=python-container-test.scope=$1"; }

failed=()
section "1. the suite, in a container"
t=$(date +%s)
id=$(runner suite "$RUN_ID-suite" -- --test-threads 3); runners+=("$id")
finish "$id" || failed+=("suite")
echo "took $(( $(date +%s) - t )) s"

section "2. TESTCONTAINERS_HOST_OVERRIDE=pct-engine-host"
t=$(date +%s)
id=$(runner override "$RUN_ID-override" --add-host pct-engine-host:host-gateway \
  -e TESTCONTAINERS_HOST_OVERRIDE=pct-engine-host -- a_service_is_reached_at_service_addr); runners+=("$id")
finish "$id" || failed+=("override")
echo "took $(( $(date +%s) - t )) s"

section "3. crash: the runner holding a lease is SIGKILLed"
scope="$RUN_ID-crash"
id=$(runner crash "$scope" -e PCT_HOLD_SECS=600 -- holds_a_container_until_killed --exact); runners+=("$id")
for _ in $(seq 300); do docker logs "$id" 2>&1 | grep -q '^holding ' && break; sleep 0.1; done
fixture=$(left_in "$scope")
if [ -z "$fixture" ]; then
  docker logs "$id" 2>&1 | sed 's/^/  | /'
  failed+=("crash holder (no fixture in its scope)")
elif docker logs "$id" 2>&1 | grep -q '^holding '; then
  docker kill "$id" >/dev/null
  killed=$(date +%s%3N)
  budget_ms=$(( (LINGER + 4) * 1000 ))
  while [ -n "$(left_in "$scope")" ] && [ $(( $(date +%s%3N) - killed )) -lt "$budget_ms" ]; do sleep 0.2; done
  if [ -n "$(left_in "$scope")" ]; then
    failed+=("crash teardown")
    echo "the fixture $fixture is still there $LINGER + 4 s after its holder was killed"
  else
    echo "fixture ${fixture:0:12} gone $(( $(date +%s%3N) - killed )) ms after its holder was SIGKILLed"
  fi
else
  docker logs "$id" 2>&1 | sed 's/^/  | /'
  failed+=("crash holder")
fi

section "leaks"
for id in "${runners[@]}"; do docker rm -f "$id" >/dev/null 2>&1 || true; done
runners=()
sleep $((LINGER + 3))
leaked=$(docker ps -aq --filter "label=$LABEL" --filter "label=python-container-test.role=in-container-runner"
  for s in suite override crash; do left_in "$RUN_ID-$s"; done)
if [ -n "$leaked" ]; then
  docker ps -a --filter "label=$LABEL" --format '{{.ID}} {{.Names}} {{.Status}}' | grep -F "$(echo "$leaked" | cut -c1-12)" >&2 || true
  failed+=("leak check")
else
  echo "none"
fi

[ "${#failed[@]}" -eq 0 ] || die "failed: ${failed[*]}"
echo "in-container: all passed in $(( $(date +%s) - started )) s"
