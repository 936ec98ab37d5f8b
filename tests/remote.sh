#!/usr/bin/env bash
# Runs the remote-engine suite (tests/tests/remote.rs) against a second
# Docker engine that this host reaches over TCP only, at another address.
#
#   bash tests/remote.sh              # the suite
#   bash tests/remote.sh CMD ARGS...  # CMD instead, with DOCKER_HOST set (debugging)
#
# Needs root, ip(8) and /usr/sbin/dockerd. It makes a network namespace
# (pct-remote) joined to the host by a veth pair (host 10.231.0.1/24,
# namespace 10.231.0.2/24), starts a dockerd inside it listening on
# tcp://10.231.0.2:2375 (and a Unix socket of its own), with its own
# data-root, exec-root and containerd (the main engine's containerd is never
# shared), loads the two images the suite needs from the main engine
# (`docker save | docker -H ... load`; no registry), runs the suite with
# DOCKER_HOST=tcp://10.231.0.2:2375 and PCT_REMOTE_ENGINE=1, checks that
# nothing is left on that engine, then stops the engine and removes the
# namespace, the veth pair and every file the engine wrote (also on failure
# or Ctrl-C). The main engine is only read from (docker save).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

NS=pct-remote
VETH_HOST=pct-remote0
VETH_NS=pct-remote1
HOST_IP=10.231.0.1
ENGINE_IP=10.231.0.2
PORT=2375
REMOTE=tcp://$ENGINE_IP:$PORT
SOCK=/run/pct-remote-docker.sock
DATA_ROOT=/var/lib/pct-remote-docker
EXEC_ROOT=/run/pct-remote-docker
PIDFILE=/run/pct-remote-docker.pid
# The suite's images: the project's (Python, the hello Dockerfile's base) and
# the official-like one (the web service's base).
IMAGES=(python-container-test/python:3.11 python-container-test/official:3.11)
LABEL=python-container-test.managed=true

section() { printf '\n== remote: %s [+%s s] ==\n' "$*" "$(( $(date +%s) - started ))"; }
die() { echo "remote.sh: $*" >&2; exit 1; }
remote() { docker -H "$REMOTE" "$@"; }
ping_remote() { timeout 5 docker -H "$REMOTE" version >/dev/null 2>&1; }

started=$(date +%s)
[ "$(id -u)" = 0 ] || die "needs root: it makes a network namespace and runs a dockerd in it"
[ -x /usr/sbin/dockerd ] || die "/usr/sbin/dockerd is missing"
command -v ip >/dev/null && command -v nsenter >/dev/null || die "ip (iproute2) or nsenter (util-linux) is missing"
if ip netns list | grep -qw "$NS" || [ -e "$PIDFILE" ] || [ -e "$DATA_ROOT" ]; then
  die "$NS, $PIDFILE or $DATA_ROOT exists (another run, or a crashed one): remove them first (ip netns del $NS; rm -rf $DATA_ROOT $EXEC_ROOT $PIDFILE)"
fi
if [ "$#" -eq 0 ]; then
  # Before the engine starts: a build that fails leaves nothing to tear down.
  section "build"
  cargo test -p python-container-test-e2e --test remote --no-run
fi
state=$(mktemp -d /tmp/pct-remote.XXXXXX)
made_ns=

teardown() {
  local rc=$?
  set +e
  section "teardown"
  if [ -s "$PIDFILE" ]; then
    local pid
    pid=$(cat "$PIDFILE")
    # Containers first, so dockerd exits without waiting on them.
    ids=$(timeout 20 docker -H "unix://$SOCK" ps -aq 2>/dev/null)
    # shellcheck disable=SC2086
    [ -n "$ids" ] && timeout 30 docker -H "unix://$SOCK" rm -f $ids >/dev/null 2>&1
    echo "stopping the remote dockerd (pid $pid)"
    kill "$pid" 2>/dev/null
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { echo "still running after 15 s: SIGKILL"; kill -9 "$pid"; }
    echo "stopped [+$(( $(date +%s) - started )) s]"
  fi
  # Mounts the engine left (it removes its own when it stops cleanly).
  grep -F " $DATA_ROOT/" /proc/mounts | cut -d' ' -f2 | sort -r | while read -r mnt; do umount -l "$mnt"; done
  if [ -n "$made_ns" ]; then
    # Whatever is left in the namespace (its containerd, shims): only ours.
    for pid in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    sleep 0.5
    ip netns del "$NS" 2>/dev/null
    ip link del "$VETH_HOST" 2>/dev/null
  fi
  echo "namespace removed [+$(( $(date +%s) - started )) s]"
  rm -rf "$DATA_ROOT" "$EXEC_ROOT" "$PIDFILE" "$SOCK" "$state"
  ip netns list | grep -qw "$NS" && echo "remote.sh: namespace $NS is still there" >&2
  ip link show "$VETH_HOST" >/dev/null 2>&1 && echo "remote.sh: $VETH_HOST is still there" >&2
  echo "torn down (exit $rc) after $(( $(date +%s) - started )) s"
  exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM

section "network namespace $NS: host $HOST_IP, engine $ENGINE_IP"
ip netns add "$NS"
made_ns=1
ip link add "$VETH_HOST" type veth peer name "$VETH_NS"
ip link set "$VETH_NS" netns "$NS"
ip addr add "$HOST_IP/24" dev "$VETH_HOST"
ip link set "$VETH_HOST" up
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" ip addr add "$ENGINE_IP/24" dev "$VETH_NS"
ip netns exec "$NS" ip link set "$VETH_NS" up
ip netns exec "$NS" ip route add default via "$HOST_IP"

section "engine: $REMOTE"
# A configuration of its own: the host's /etc/docker/daemon.json names the
# main engine's data-root. Same storage driver and MTU as the main engine.
driver=$(docker info --format '{{.Driver}}')
cat >"$state/daemon.json" <<EOF
{"storage-driver": "$driver", "mtu": 1400, "bip": "10.232.0.1/24"}
EOF
mkdir -p "$DATA_ROOT" "$EXEC_ROOT"
# --tls=false: plain TCP, said explicitly, spares dockerd's 15 s warning
# pause (only this host reaches 10.231.0.2, over the veth pair).
# nsenter joins the network namespace only: `ip netns exec` would also give
# it a mount namespace with a fresh /sys, without the cgroup mounts dockerd needs.
nsenter --net="/run/netns/$NS" /usr/sbin/dockerd --config-file "$state/daemon.json" \
  --tls=false -H "$REMOTE" -H "unix://$SOCK" --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" \
  --pidfile "$PIDFILE" >"$state/dockerd.log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 300); do
  ping_remote && break
  kill -0 "$dockerd_pid" 2>/dev/null || break
  sleep 0.1
done
ping_remote || { tail -n 30 "$state/dockerd.log" >&2; die "the remote dockerd did not answer on $REMOTE within 30 s"; }
remote version --format 'engine {{.Server.Version}} (API {{.Server.APIVersion}}), reached over TCP only'
# Its own containerd (under its exec-root), not the main engine's.
pgrep -af containerd | grep -F "$EXEC_ROOT" >/dev/null ||
  die "the remote dockerd runs no containerd of its own under $EXEC_ROOT"
echo "containerd: $(pgrep -af containerd | grep -F "$EXEC_ROOT" | head -1 | cut -c1-140)"

section "images"
for image in "${IMAGES[@]}"; do
  docker image inspect "$image" >/dev/null 2>&1 ||
    die "$image is not on the main engine: run bash docker/build-images.sh first"
done
t=$(date +%s)
docker save "${IMAGES[@]}" | remote load -q
echo "loaded ${IMAGES[*]} in $(( $(date +%s) - t )) s"

failed=()
if [ "$#" -gt 0 ]; then
  section "run: $*"
  DOCKER_HOST=$REMOTE PCT_REMOTE_ENGINE=1 "$@" || failed+=("$*")
else
  section "test: cargo test --test remote (DOCKER_HOST=$REMOTE)"
  t=$(date +%s)
  DOCKER_HOST=$REMOTE PCT_REMOTE_ENGINE=1 \
    cargo test -p python-container-test-e2e --test remote -- --nocapture --test-threads 4 ||
    failed+=("cargo test --test remote")
  echo "cargo test took $(( $(date +%s) - t )) s"
fi

section "leaked containers on the remote engine"
linger=${PYTHON_CONTAINER_TEST_LINGER:-3}
sleep $((linger + 3))
leaked=$(remote ps -aq --filter "label=$LABEL")
if [ -n "$leaked" ]; then
  echo "remote.sh: containers labelled $LABEL were left behind:" >&2
  remote ps -a --filter "label=$LABEL" --format '{{.ID}}  {{.Image}}  {{.Status}}  {{.Names}}' >&2
  failed+=("leak check")
else
  echo "none"
fi

if [ "${#failed[@]}" -gt 0 ]; then
  echo "last lines of the remote dockerd's log:"
  tail -n 20 "$state/dockerd.log" || true
  die "failed: ${failed[*]}"
fi
echo "remote: all passed in $(( $(date +%s) - started )) s"
