#!/usr/bin/env bash
# Runs the fidelity and handle suites (every case compares the fast path with
# plain `docker exec`) and the session suite on each image of the matrix, one
# `cargo test` a image.
#
#   bash tests/matrix.sh              every image of docker/matrix/images.txt
#   bash tests/matrix.sh IMAGE...     only these
#
# The project's own image is the suites' default: `cargo test --workspace`
# runs them on it. Build the images first: bash docker/build-images.sh
# Exits non-zero if any image fails; prints a line per image at the end.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ $# -gt 0 ]; then
  images=("$@")
else
  mapfile -t images < <(grep -v '^#' docker/matrix/images.txt | awk 'NF { print $1 }')
fi

results=()
failed=0
for image in "${images[@]}"; do
  printf '\n== matrix: %s ==\n' "$image"
  if PCT_TEST_IMAGE=$image cargo test -q -p python-container-test-e2e --test fidelity --test handle --test session; then
    results+=("ok      $image")
  else
    results+=("FAILED  $image")
    failed=$((failed + 1))
  fi
done
printf '\n== matrix summary ==\n'
printf '%s\n' "${results[@]}"
[ "$failed" = 0 ]
