#!/usr/bin/env bash
# The GPU proofs on a machine with an NVIDIA GPU, through the lab of
# ../shared/gpulab (Docker 26.1 with CDI on, a CDI spec for the machine's
# GPU, the image gpulab/python:3 made from the machine's own files):
#   - probe: tests/tests/gpu.rs with PCT_REAL_GPU=1 (gpu = true and "auto":
#     nvidia-smi -L lists a GPU, cuInit(0) == 0 in a fast-path call,
#     py.gpu() says how; issue 15);
#   - bench: benches/session.rs's GPU part (a session call after the first
#     against a forked call that makes its own CUDA context; a torch matmul
#     when PCT_BENCH_GPU_IMAGE has torch, else the CUDA driver API; issue 14).
#
#   bash tests/gpulab.sh prepare       # here: the lab (once, ~7 minutes on
#                                      # 2 cores) and both binaries, into
#                                      # target/gpulab
#   bash tests/gpulab.sh run [probe|bench|all]   # there, from the checkout's
#                                      # root, with target/gpulab carried
#
# `run` starts the lab's dockerd (up.sh), runs what was asked (default all)
# against it, and stops dockerd.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
LAB=target/gpulab

# Copies the executable cargo built from `src` (a path ending) to $LAB/$name.xz.
pack() {
  local name=$1 src=$2 bin
  shift 2
  bin=$(cargo "$@" --message-format=json |
    grep "\"src_path\":\"[^\"]*/$src\"" | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
  [ -x "$bin" ] || { echo "gpulab: cargo did not build $src" >&2; exit 1; }
  cp "$bin" "$LAB/$name"
  strip "$LAB/$name"
  xz -f -T0 "$LAB/$name"
}

prepare() {
  # The lab once (a trixie debootstrap); the binaries every time.
  [ -f "$LAB/dockerbin.tar.xz" ] || bash ../shared/gpulab/prepare.sh "$LAB"
  pack gpu-test tests/tests/gpu.rs test -p python-container-test-e2e --test gpu --no-run
  pack session-bench tests/benches/session.rs bench -p python-container-test-e2e --bench session --no-run
  du -sh "$LAB"/*
}

unpack() {
  [ -f "$LAB/$1.xz" ] || { echo "gpulab: no $LAB/$1.xz: run 'bash tests/gpulab.sh prepare' first and carry $LAB" >&2; exit 1; }
  xz -dc "$LAB/$1.xz" >"/tmp/$1" && chmod +x "/tmp/$1"
}

run() {
  local what=${1:-all}
  [ -f "$LAB/dockerbin.tar.xz" ] || { echo "gpulab: no lab in $LAB: run 'bash tests/gpulab.sh prepare' first" >&2; exit 1; }
  bash "$LAB/up.sh" >/tmp/gpulab-up.log 2>&1 || { tail -30 /tmp/gpulab-up.log; exit 1; }
  trap 'stop_dockerd' EXIT
  grep -i "nvidia-smi at\|libcuda at" /tmp/gpulab-up.log || true
  export DOCKER_HOST=unix:///var/run/docker.sock PYTHON_CONTAINER_TEST_SCOPE=gpulab
  if [ "$what" = probe ] || [ "$what" = all ]; then
    unpack gpu-test
    PCT_REAL_GPU=1 PCT_GPU_EXPECT=cdi PCT_GPU_IMAGE=gpulab/python:3 /tmp/gpu-test --nocapture --test-threads 1
  fi
  if [ "$what" = bench ] || [ "$what" = all ]; then
    unpack session-bench
    PCT_BENCH_GPU_IMAGE=${PCT_BENCH_GPU_IMAGE:-gpulab/python:3} /tmp/session-bench --bench
  fi
}

# Stops the lab's dockerd by its pidfile (up.sh starts it with setsid).
stop_dockerd() {
  local pid
  pid=$(cat /var/run/docker.pid 2>/dev/null || true)
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
}

case "${1:-}" in
  prepare) prepare ;;
  run) run "${2:-all}" ;;
  *) echo "usage: bash tests/gpulab.sh prepare | run [probe|bench|all]" >&2; exit 2 ;;
esac
