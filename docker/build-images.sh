#!/usr/bin/env bash
# Builds the project's Docker images, idempotently and with caching:
#
#   python-container-test/python-base:bookworm  offline base  (docker/bootstrap-base.sh)
#   python-container-test/no-python:bookworm    no-Python image (docker/bootstrap-base.sh)
#   python-container-test/python:X.Y            default test image (docker/python)
#   python-container-test/numpy:X.Y             example with numpy (docker/numpy)
#   python-container-test/official:3.11          like the official python:* images
#   python-container-test/venv:3.11              Python only in a venv, a uid without a name
#   the rest of docker/matrix/images.txt (official-like images of Python 3.9,
#   3.13, 3.14, 3.15) on bases of other Debian suites, unless --no-matrix
#
# X.Y is the Python version of the base image (3.11 on the offline base).
#
# Usage: docker/build-images.sh [--base IMAGE] [--no-bootstrap] [--no-numpy] [--no-matrix]
#   --base IMAGE     build the default image FROM IMAGE (e.g. python:3.12-slim on a
#                    machine that can pull) instead of the offline Debian base
#   --no-bootstrap   don't run bootstrap-base.sh (only with --base; the tests that
#                    need the no-Python image then fail or skip)
#   --no-numpy       build only the default image
#   --no-matrix      build only the matrix entries on the default base; the
#                    whole matrix is built by default (it bootstraps bullseye,
#                    trixie and forky bases on first use: a few minutes, in
#                    parallel)
#   --matrix         accepted for compatibility: the matrix is the default
#
# A second run does nearly nothing: the base images are kept, wheels already
# downloaded are not fetched again, and docker build reuses its layer cache.
# The wheels are downloaded on the host (containers may have no network) into
# docker/numpy/wheels/, which git ignores.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LABEL=python-container-test.managed=true
OFFLINE_BASE=python-container-test/python-base:bookworm

base=""
bootstrap=1
numpy=1
matrix=1
while [ $# -gt 0 ]; do
  case $1 in
    --base) [ $# -ge 2 ] || { echo "build-images: --base needs an image" >&2; exit 2; }
            base=$2; shift 2 ;;
    --base=*) base=${1#--base=}; shift ;;
    --no-bootstrap) bootstrap=0; shift ;;
    --no-numpy) numpy=0; shift ;;
    --matrix) matrix=1; shift ;;  # the default; kept for compatibility
    --no-matrix) matrix=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-images: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$base" ]; then
  base=$OFFLINE_BASE
  bootstrap=1
fi

say() { echo "build-images: $*"; }
image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }
now() { date +%s; }
started=$(now)

# BuildKit needs buildx on recent engines; the legacy builder is enough here.
if [ -z "${DOCKER_BUILDKIT:-}" ] && ! docker buildx version >/dev/null 2>&1; then
  export DOCKER_BUILDKIT=0
fi

# 1. Offline base images (and the no-Python image the tests use).
if [ "$bootstrap" = 1 ]; then
  bash "$here/bootstrap-base.sh"
else
  say "skipping bootstrap-base.sh (--no-bootstrap)"
fi

# 2. The base's Python version names the tags and picks the wheels.
pyver=$(docker run --rm --network none --label "$LABEL" --entrypoint python3 "$base" \
  -c 'import sys; print("%d.%d" % sys.version_info[:2])') || {
  echo "build-images: cannot run python3 in $base" >&2
  exit 1
}
case $pyver in
  3.*) ;;
  *) echo "build-images: unexpected Python version '$pyver' in $base" >&2; exit 1 ;;
esac
say "base $base has Python $pyver"

# build NAME TAG CONTEXT [docker build args...]: builds, reports cache use, and
# removes the image the tag pointed to before if it was replaced.
build() {
  local name=$1 tag=$2 context=$3 log old new steps cached
  shift 3
  log=$(mktemp /tmp/pct-build.XXXXXX)
  old=$(image_id "$tag")
  if ! docker build --force-rm --label "$LABEL" -t "$tag" "$@" "$context" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    rm -f "$log"
    echo "build-images: building $tag failed" >&2
    exit 1
  fi
  steps=$(grep -c '^Step ' "$log" || true)
  cached=$(grep -c 'Using cache' "$log" || true)
  rm -f "$log"
  new=$(image_id "$tag")
  if [ "$old" = "$new" ]; then
    say "$name: $tag unchanged (${cached}/${steps} steps from cache)"
  else
    say "$name: built $tag (id ${new:7:12}, ${cached}/${steps} steps from cache)"
    if [ -n "$old" ] && [ -z "$(docker image inspect --format '{{join .RepoTags ","}}' "$old" 2>/dev/null)" ]; then
      docker image rm "$old" >/dev/null 2>&1 || true
    fi
  fi
}

# 3. The default test image.
PY_IMAGE=python-container-test/python:$pyver
build default "$PY_IMAGE" "$here/python" --build-arg "BASE=$base"

# 4. Wheels for the numpy image, downloaded on the host unless already there.
if [ "$numpy" = 1 ]; then
  wheels=$here/numpy/wheels
  reqs=$here/numpy/requirements.txt
  abi=cp${pyver/./}
  arch=$(docker info --format '{{.Architecture}}' 2>/dev/null || uname -m)
  case $arch in
    x86_64|amd64) arch=x86_64 ;;
    aarch64|arm64) arch=aarch64 ;;
    *) echo "build-images: no wheels for architecture $arch" >&2; exit 1 ;;
  esac
  stamp=$wheels/.stamp-$abi-$arch
  want=$(sha256sum "$reqs" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    say "numpy wheels for $abi/$arch already downloaded"
  else
    pip=()
    for py in python3 python; do
      if command -v "$py" >/dev/null && "$py" -m pip --version >/dev/null 2>&1; then
        pip=("$py" -m pip)
        break
      fi
    done
    if [ ${#pip[@]} = 0 ]; then
      echo "build-images: no pip on the host to download the numpy wheels (install python3-pip)" >&2
      exit 1
    fi
    say "downloading wheels for $abi/$arch into ${wheels#"$here"/}"
    mkdir -p "$wheels"
    # manylinux_2_28 first (numpy >= 2.3), then the older manylinux2014 names.
    "${pip[@]}" download --quiet --disable-pip-version-check --only-binary=:all: \
      --python-version "$pyver" --implementation cp --abi "$abi" \
      --platform "manylinux_2_28_$arch" --platform "manylinux_2_17_$arch" \
      --platform "manylinux2014_$arch" \
      -d "$wheels" -r "$reqs"
    echo "$want" >"$stamp"
    for whl in "$wheels"/*.whl; do say "wheel: ${whl##*/}"; done
  fi

  # 5. The numpy example image, FROM the default image.
  build numpy "python-container-test/numpy:$pyver" "$here/numpy" --build-arg "BASE=$PY_IMAGE"
fi

# 6. The image matrix (docker/matrix/images.txt): the entries on the default
# base always, the others (bases of other suites, bootstrapped in parallel)
# unless --no-matrix.
matrix_entries() {
  grep -v '^#' "$here/matrix/images.txt" | grep . | while read -r tag suite target python; do
    if [ "$matrix" = 1 ] || [ "python-container-test/python-base:$suite" = "$base" ]; then
      echo "$tag $suite $target $python"
    fi
  done
}
declare -A extras=()
while read -r tag suite target python; do
  [ "python-container-test/python-base:$suite" = "$OFFLINE_BASE" ] && continue
  extras[$suite]="${extras[$suite]:-}"
  [ "$python" = python3 ] || extras[$suite]+=" $python"
done < <(matrix_entries)
if [ ${#extras[@]} -gt 0 ]; then
  logs=$(mktemp -d /tmp/pct-bootstrap-logs.XXXXXX)
  pids=()
  for suite in "${!extras[@]}"; do
    # shellcheck disable=SC2086
    bash "$here/bootstrap-base.sh" "$suite" ${extras[$suite]} >"$logs/$suite.log" 2>&1 &
    pids+=("$!:$suite")
  done
  for entry in "${pids[@]}"; do
    if ! wait "${entry%%:*}"; then
      cat "$logs/${entry#*:}.log" >&2
      echo "build-images: bootstrapping ${entry#*:} failed" >&2
      exit 1
    fi
    say "$(tail -n 1 "$logs/${entry#*:}.log")"
  done
  rm -rf "$logs"
fi
while read -r tag suite target python; do
  base_image=python-container-test/python-base:$suite
  version=$(docker run --rm --network none --label "$LABEL" --entrypoint "$python" "$base_image" \
    -c 'import platform; print(platform.python_version())')
  case $version in
    "${tag##*:}".*) ;;
    *) echo "build-images: $tag: $python in $base_image is Python $version" >&2; exit 1 ;;
  esac
  build "$target" "$tag" "$here/matrix" --target "$target" --build-arg "BASE=$base_image" \
    --build-arg "PYTHON=$python" --build-arg "PYTHON_VERSION=$version"
done < <(matrix_entries)

say "done in $(($(now) - started))s"
