#!/usr/bin/env bash
# The session benchmark's GPU part (benches/session.rs, issue 14) on a
# machine with an NVIDIA GPU, through the lab of ../shared/gpulab (Docker
# 26.1 with CDI on, a CDI spec for the machine's GPU, the image
# gpulab/python:3 made from the machine's own files).
#
#   bash tests/gpulab-session-bench.sh prepare   # here: the lab (once, ~7
#                                                # minutes on 2 cores) and the
#                                                # bench binary, into target/gpulab
#   bash tests/gpulab-session-bench.sh run       # there, from the checkout's
#                                                # root, with target/gpulab carried
#
# `run` starts the lab's dockerd (up.sh), runs the bench against it with
# PCT_BENCH_GPU_IMAGE (default gpulab/python:3): a torch CUDA matmul when the
# image has torch, else the CUDA driver API through ctypes; a session call
# after the first against a forked call that makes its own CUDA context.
# It prints both medians and the ratio, and stops dockerd.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
LAB=target/gpulab

prepare() {
  [ -f "$LAB/dockerbin.tar.xz" ] || bash ../shared/gpulab/prepare.sh "$LAB"
  local bin
  bin=$(cargo bench -p python-container-test-e2e --bench session --no-run --message-format=json |
    grep '"src_path":"[^"]*/tests/benches/session.rs"' | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
  [ -x "$bin" ] || { echo "gpulab-session-bench: cargo did not build the bench binary" >&2; exit 1; }
  cp "$bin" "$LAB/session-bench"
  strip "$LAB/session-bench"
  xz -f -T0 "$LAB/session-bench"
  du -sh "$LAB"/*
}

run() {
  [ -f "$LAB/dockerbin.tar.xz" ] && [ -f "$LAB/session-bench.xz" ] ||
    { echo "gpulab-session-bench: run 'bash tests/gpulab-session-bench.sh prepare' first and carry $LAB" >&2; exit 1; }
  bash "$LAB/up.sh" >/tmp/gpulab-up.log 2>&1 || { tail -30 /tmp/gpulab-up.log; exit 1; }
  trap 'stop_dockerd' EXIT
  xz -dc "$LAB/session-bench.xz" >/tmp/session-bench && chmod +x /tmp/session-bench
  PCT_BENCH_GPU_IMAGE=${PCT_BENCH_GPU_IMAGE:-gpulab/python:3} DOCKER_HOST=unix:///var/run/docker.sock \
    PYTHON_CONTAINER_TEST_SCOPE=gpulab /tmp/session-bench --bench
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
  *) echo "usage: bash tests/gpulab-session-bench.sh prepare|run" >&2; exit 2 ;;
esac
