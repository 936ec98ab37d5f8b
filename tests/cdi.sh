#!/usr/bin/env bash
# GPUs through CDI, proven without a GPU: a fake CDI device on a CDI-capable
# engine, Docker 26.1 (Debian trixie's binaries) started beside the main one.
#
#   bash tests/cdi.sh
#
# 1. Fetches trixie's docker.io, containerd and tini packages with apt-get
#    (a sources list, lists and cache of its own; nothing of the system's apt
#    state is changed) into $PCT_DOCKER26_CACHE (default
#    /var/cache/pct-docker26) and extracts dockerd, containerd,
#    containerd-shim-runc-v2, docker-proxy and docker-init; runc is the
#    host's (trixie's needs a newer glibc). Cached: later runs skip it.
# 2. Writes a fake CDI spec (kind nvidia.com/gpu, device "all": env
#    PCT_FAKE_GPU=1 and /dev/pct-fake-gpu made from /dev/null) in a folder of
#    its own, and starts dockerd 26 with CDI on ("features": {"cdi": true},
#    "cdi-spec-dirs": [that folder]) on unix:///run/pct-docker26/docker.sock,
#    in its own network and mount namespaces (no clash with the main engine's
#    bridge, iptables or mounts), with its own data root (in the cache),
#    exec root, pidfile, containerd and cgroup parent.
# 3. Loads the test images from the main engine (docker save | docker load).
# 4. Runs tests/tests/gpu.rs against it three times:
#    - PCT_FAKE_CDI=1: gpu = true and "auto" attach the device through CDI
#      and a fast-path call sees it; then the same with the spec removed must
#      fail (the fake-GPU assertions are not vacuous);
#    - spec removed (CDI on, no such device): gpu = true fails naming CDI
#      refused ("unresolvable CDI devices") and the NVIDIA driver refused;
#      "auto" runs on CPU;
#    - CDI off (dockerd restarted without the feature): CDI is not tried,
#      the error says so.
# 5. Runs the lifecycle test of a moved tag against it: on Docker 26 too,
#    a warm process reads the image's id off the engine's listing.
# 6. Checks that no container is left, and stops the engine (also on
#    failure or Ctrl-C). The main engine is only read from (docker save).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CACHE=${PCT_DOCKER26_CACHE:-/var/cache/pct-docker26}
RUN=/run/pct-docker26
SOCKET=$RUN/docker.sock
HOST=unix://$SOCKET
# (official: the moved-tag test.)
IMAGES=(python-container-test/python:3.11 python-container-test/official:3.11)
LABEL=python-container-test.managed=true

section() { printf '\n== cdi: %s (at %s s) ==\n' "$*" "$(($(date +%s) - started))"; }
die() { echo "cdi.sh: $*" >&2; exit 1; }
d26() { docker -H "$HOST" "$@"; }
ping_d26() { timeout 5 docker -H "$HOST" version >/dev/null 2>&1; }

started=$(date +%s)
[ "$(id -u)" = 0 ] || die "needs root: it runs a second dockerd"
for tool in docker apt-get dpkg-deb unshare setsid ip runc; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
state=$(mktemp -d /tmp/pct-cdi.XXXXXX)
engine_pid=

stop_engine() {
  [ -n "$engine_pid" ] || return 0
  if ping_d26; then
    # Only what the tests made (label); nothing else runs on this engine.
    left=$(d26 ps -aq --filter "label=$LABEL")
    # shellcheck disable=SC2086
    [ -z "$left" ] || d26 rm -f $left >/dev/null || true
  fi
  if [ -f "$RUN/docker.pid" ]; then kill "$(cat "$RUN/docker.pid")" 2>/dev/null || true; fi
  for _ in $(seq 100); do kill -0 "$engine_pid" 2>/dev/null || break; sleep 0.2; done
  # Still there after 20 s: its process group (setsid made it ours) and
  # its containerd (which runs in a group of its own).
  if kill -0 "$engine_pid" 2>/dev/null; then
    kill -9 -- "-$engine_pid" 2>/dev/null || true
    pidfile=$RUN/exec/containerd/containerd.pid
    [ -f "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2>/dev/null || true
  fi
  engine_pid=
}

cleanup() {
  stop_engine
  rm -rf "$state" "$RUN"
  for fs in /sys/fs/cgroup/*/pct-docker26 /sys/fs/cgroup/pct-docker26; do
    [ -d "$fs" ] && rmdir "$fs" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

section "Docker 26 binaries ($CACHE)"
fetch_started=$(date +%s)
if [ ! -x "$CACHE/bin/dockerd" ]; then
  apt_dir=$CACHE/apt
  mkdir -p "$apt_dir"/lists/partial "$apt_dir"/cache/archives/partial "$apt_dir"/preferences.d "$CACHE/debs"
  echo "deb http://deb.debian.org/debian trixie main" >"$apt_dir/sources.list"
  apt_opts=(-o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o "Dir::Etc::sourceparts=-"
    -o "Dir::Etc::preferencesparts=$apt_dir/preferences.d" -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::Cache=$apt_dir/cache" -o "APT::Get::List-Cleanup=0" -o "APT::Sandbox::User=root")
  apt-get "${apt_opts[@]}" update -qq
  (cd "$CACHE/debs" && apt-get "${apt_opts[@]}" download -qq docker.io containerd tini)
  rm -rf "$CACHE/x" "$CACHE/bin.new" && mkdir -p "$CACHE/x" "$CACHE/bin.new"
  for deb in "$CACHE"/debs/*.deb; do dpkg-deb -x "$deb" "$CACHE/x"; done
  cp "$CACHE"/x/usr/sbin/{dockerd,docker-proxy} "$CACHE"/x/usr/bin/{containerd,containerd-shim-runc-v2} "$CACHE/bin.new/"
  cp "$CACHE/x/usr/bin/tini-static" "$CACHE/bin.new/docker-init"
  rm -rf "$CACHE/x" "$CACHE/bin" && mv "$CACHE/bin.new" "$CACHE/bin"
  echo "fetched in $(($(date +%s) - fetch_started)) s"
fi
"$CACHE/bin/dockerd" --version

# The fake device: an env var and a device node, nothing of a real GPU.
spec_dir=$state/cdi
mkdir -p "$spec_dir"
write_spec() {
  cat >"$spec_dir/pct-fake-gpu.yaml" <<'EOF'
cdiVersion: "0.5.0"
kind: nvidia.com/gpu
devices:
  - name: all
    containerEdits:
      env:
        - PCT_FAKE_GPU=1
      deviceNodes:
        - path: /dev/pct-fake-gpu
          hostPath: /dev/null
EOF
}

# start_engine CDI(true|false): dockerd 26 in new network and mount
# namespaces (a loopback of its own; its mounts go with it).
start_engine() {
  printf '{"features": {"cdi": %s}, "cdi-spec-dirs": ["%s"], "iptables": false, "ip6tables": false}\n' \
    "$1" "$spec_dir" >"$state/daemon.json"
  mkdir -p "$RUN" "$CACHE/data"
  PATH="$CACHE/bin:$(dirname "$(command -v runc)"):$PATH" setsid unshare --net --mount --propagation private -- \
    sh -c 'ip link set lo up && exec dockerd "$@"' dockerd \
    --host "$HOST" --data-root "$CACHE/data" --exec-root "$RUN/exec" --pidfile "$RUN/docker.pid" \
    --config-file "$state/daemon.json" --cgroup-parent pct-docker26 \
    >>"$state/dockerd.log" 2>&1 </dev/null &
  engine_pid=$!
  for _ in $(seq 150); do ping_d26 && break; sleep 0.2; done
  ping_d26 || { tail -20 "$state/dockerd.log" >&2; die "dockerd 26 did not answer on $SOCKET within 30 s"; }
  echo "engine: $(d26 version --format '{{.Server.Version}} (API {{.Server.APIVersion}})'), CDI spec dirs: $(d26 info --format '{{json .CDISpecDirs}}' 2>/dev/null || echo '?')"
}

section "engine: Docker 26 with CDI on, $HOST"
ping_d26 && die "something already serves $SOCKET; stop it first"
write_spec
start_engine true

section "images"
for image in "${IMAGES[@]}"; do
  want=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null) ||
    die "$image is not on the main Docker engine: run bash docker/build-images.sh first"
  have=$(d26 image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  if [ "$have" = "$want" ]; then echo "loaded already: $image"; else docker save "$image" | d26 load -q; fi
done
stale=$(d26 ps -aq --filter "label=$LABEL")
# shellcheck disable=SC2086
[ -z "$stale" ] || { echo "removing containers left by an earlier run"; d26 rm -f $stale >/dev/null; }

section "build"
# The test binary is run directly: later phases do not rebuild it.
test_bin=$(cargo test -p python-container-test-e2e --test gpu --no-run --message-format=json |
  grep '"src_path":"[^"]*/tests/tests/gpu.rs"' | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
[ -x "$test_bin" ] || die "cargo did not build the gpu test binary"
echo "$test_bin"
# Each run in a scope of its own: a container of an earlier phase may still
# linger, and must not be shared with the next.
phase=0
gpu_tests() {
  phase=$((phase + 1))
  DOCKER_HOST=$HOST PYTHON_CONTAINER_TEST_SCOPE="pct-cdi-$$-$phase" "$test_bin" "$@"
}

failed=()
section "test: fake CDI device (PCT_FAKE_CDI=1)"
PCT_FAKE_CDI=1 gpu_tests || failed+=("fake CDI device")

section "test: a moved tag on Docker 26 (a warm process reads the image's id off the listing)"
DOCKER_HOST=$HOST cargo test -p python-container-test-e2e --test lifecycle \
  a_moved_tag_gets_a_container_of_the_image_it_names_now -- --exact || failed+=("moved tag")

section "control: the fake-GPU assertions fail without the device"
rm "$spec_dir/pct-fake-gpu.yaml"
sleep 1 # dockerd re-reads its CDI spec dirs when they change
if PCT_FAKE_CDI=1 gpu_tests gpu_true >"$state/control.log" 2>&1; then
  failed+=("control (passed without the CDI device)")
else
  grep -m1 -A2 "panicked" "$state/control.log" || true
  echo "failed, as it must"
fi

section "test: CDI on, no such device: both mechanisms refused, auto on CPU"
gpu_tests --nocapture 2>&1 | tee "$state/refused.log" || failed+=("CDI on, no device")
grep -q "refused, CDI device injection failed" "$state/refused.log" || failed+=("CDI refusal not in the error")

section "test: CDI off: not tried, the error says so"
stop_engine
write_spec
start_engine false
gpu_tests --nocapture 2>&1 | tee "$state/off.log" || failed+=("CDI off")
grep -q "not tried, CDI is off on Docker 26" "$state/off.log" || failed+=("'CDI is off' not in the error")

section "leaked containers"
sleep "$((${PYTHON_CONTAINER_TEST_LINGER:-3} + 2))"
leaked=$(d26 ps -aq --filter "label=$LABEL")
if [ -n "$leaked" ]; then
  d26 ps -a --filter "label=$LABEL" >&2
  failed+=("leak check")
else
  echo "none"
fi

section "done in $(($(date +%s) - started)) s"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "last lines of dockerd 26's log:" >&2
  tail -n 20 "$state/dockerd.log" >&2 || true
  die "failed: ${failed[*]}"
fi
echo "cdi: all passed"
