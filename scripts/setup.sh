#!/usr/bin/env bash
# Installs every build and test dependency from Debian's packages.
# Idempotent: safe to run again; apt-get skips what is already installed.
set -euo pipefail

PACKAGES=(
  g++ cmake ninja-build pkg-config clang-format
  libsqlite3-dev libxxhash-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libcurl4-openssl-dev libssl-dev libpugixml-dev libtomlplusplus-dev   # the S3 client
  libgtest-dev libgmock-dev
  sqlite3 python3 python3-xxhash   # the independent snapshot checker (tests/python)
  curl uuid-runtime ceph-mon ceph-osd radosgw ceph-common   # a real S3 server for the tests (Ceph RGW)
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
