#!/usr/bin/env bash
# Offline base images for hosts whose Docker engine cannot pull.
#
# Builds, from Debian's packages (debootstrap on the host, which can reach the
# Debian archive), and imports with `docker import` under project-owned names:
#   python-container-test/python-base:bookworm   Debian bookworm + python3, pip, venv
#   python-container-test/no-python:bookworm     the same root fs without Python
#                                                (used by the "no Python" error test)
# Usage: bootstrap-base.sh [SUITE [EXTRA_PACKAGE...]]
#   SUITE            the Debian suite (default bookworm; PCT_DEBIAN_SUITE also works):
#                    bullseye has Python 3.9, bookworm 3.11, trixie 3.13, forky 3.14
#   EXTRA_PACKAGE    more packages for the Python image (e.g. python3.15 on forky)
# Only the default suite also gets the no-Python image.
# Idempotent: an image that already exists is kept, so a second run does nothing.
# Set PCT_REBUILD_BASE=1 to rebuild. Set PCT_DEBIAN_MIRROR to choose the mirror
# (default: the first Debian URI configured for apt on this host).
set -euo pipefail

SUITE=${1:-${PCT_DEBIAN_SUITE:-bookworm}}
[ $# -gt 0 ] && shift
EXTRA=("$@")
PY_IMAGE=python-container-test/python-base:$SUITE
NOPY_IMAGE=python-container-test/no-python:$SUITE
[ "$SUITE" = bookworm ] || NOPY_IMAGE=""
LABEL=python-container-test.managed=true

have() { docker image inspect "$1" >/dev/null 2>&1; }

if [ "${PCT_REBUILD_BASE:-0}" != 1 ] && have "$PY_IMAGE" && { [ -z "$NOPY_IMAGE" ] || have "$NOPY_IMAGE"; }; then
  echo "bootstrap-base: $PY_IMAGE${NOPY_IMAGE:+ and $NOPY_IMAGE} exist, nothing to do"
  exit 0
fi

mirror=${PCT_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(grep -hE '^\s*URIs:.*/debian/?\s*$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 | awk '{print $2}' || true)
fi
if [ -z "$mirror" ]; then
  mirror=$(grep -hE '^\s*deb\s+\S+/debian/?\s' /etc/apt/sources.list 2>/dev/null | head -n1 | awk '{print $2}' || true)
fi
if [ -z "$mirror" ]; then
  echo "bootstrap-base: no Debian mirror found in apt's sources; set PCT_DEBIAN_MIRROR" >&2
  exit 1
fi

if ! command -v debootstrap >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  else
    echo "bootstrap-base: debootstrap is missing; install it (apt-get install debootstrap)" >&2
    exit 1
  fi
fi

work=$(mktemp -d /tmp/pct-bootstrap.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs

echo "bootstrap-base: debootstrap $SUITE from $mirror (a few minutes)"
include=python3,python3-pip,python3-venv,procps
for pkg in "${EXTRA[@]}"; do include+=",$pkg"; done
# An older debootstrap has no script for a newer suite: they all use sid's.
script=()
[ -e "/usr/share/debootstrap/scripts/$SUITE" ] || script=(/usr/share/debootstrap/scripts/sid)
debootstrap --variant=minbase --include="$include" \
  "$SUITE" "$root" "$mirror" "${script[@]}" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
}
# Keep the image small: no apt lists, caches, docs.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*

changes=(--change "LABEL $LABEL" --change "LABEL python-container-test.kind=base"
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  --change 'ENV LANG=C.UTF-8' --change 'CMD ["/bin/bash"]')

tar -C "$root" -c . | docker import "${changes[@]}" - "$PY_IMAGE" >/dev/null
echo "bootstrap-base: imported $PY_IMAGE"

[ -n "$NOPY_IMAGE" ] || exit 0
tar -C "$root" -c \
  --exclude='./usr/bin/python3*' --exclude='./usr/lib/python3*' --exclude='./usr/local/lib/python3*' \
  --exclude='./usr/bin/pip*' . | docker import "${changes[@]}" - "$NOPY_IMAGE" >/dev/null
echo "bootstrap-base: imported $NOPY_IMAGE"
