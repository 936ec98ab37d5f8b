#!/usr/bin/env bash
# The GPU probe: tests/tests/gpu.rs with PCT_REAL_GPU=1 on a machine with an
# NVIDIA GPU, through the lab of ../shared/gpulab (Docker 26.1 with CDI on,
# a CDI spec for the machine's GPU, an image made from its own files).
#
#   bash tests/gpulab-probe.sh prepare   # here: the lab (once, ~7 minutes on
#                                        # 2 cores) and the test binary, into
#                                        # target/gpulab (~42 MB)
#   bash tests/gpulab-probe.sh run       # there, from the checkout's root,
#                                        # with target/gpulab carried
#
# `run` starts the lab's dockerd (up.sh), runs the gpu tests against it
# (gpu = true and "auto": nvidia-smi -L lists a GPU, cuInit(0) == 0 in a
# fast-path call, py.gpu() says how), prints the result, and stops dockerd.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
LAB=target/gpulab

prepare() {
  # The lab once (a trixie debootstrap); the test binary every time.
  [ -f "$LAB/dockerbin.tar.xz" ] || bash ../shared/gpulab/prepare.sh "$LAB"
  local bin
  bin=$(cargo test -p python-container-test-e2e --test gpu --no-run --message-format=json |
    grep '"src_path":"[^"]*/tests/tests/gpu.rs"' | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
  [ -x "$bin" ] || { echo "gpulab-probe: cargo did not build the gpu test binary" >&2; exit 1; }
  cp "$bin" "$LAB/gpu-test"
  strip "$LAB/gpu-test"
  xz -f -T0 "$LAB/gpu-test"
  du -sh "$LAB"/*
}

run() {
  [ -f "$LAB/dockerbin.tar.xz" ] && [ -f "$LAB/gpu-test.xz" ] ||
    { echo "gpulab-probe: run 'bash tests/gpulab-probe.sh prepare' first and carry $LAB" >&2; exit 1; }
  bash "$LAB/up.sh" >/tmp/gpulab-up.log 2>&1 || { tail -30 /tmp/gpulab-up.log; exit 1; }
  trap 'stop_dockerd' EXIT
  grep -i "nvidia-smi at\|libcuda at" /tmp/gpulab-up.log || true
  xz -dc "$LAB/gpu-test.xz" >/tmp/gpu-test && chmod +x /tmp/gpu-test
  PCT_REAL_GPU=1 PCT_GPU_EXPECT=cdi PCT_GPU_IMAGE=gpulab/python:3 DOCKER_HOST=unix:///var/run/docker.sock \
    PYTHON_CONTAINER_TEST_SCOPE=gpulab /tmp/gpu-test --nocapture --test-threads 1
}

# Stops the lab's dockerd by its pidfile (up.sh starts it with setsid).
stop_dockerd() {
  local pid
  pid=$(cat /var/run/docker.pid 2>/dev/null || true)
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
}

case "${1:-}" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: bash tests/gpulab-probe.sh prepare|run" >&2; exit 2 ;;
esac
