#!/usr/bin/env bash
# Installs every build and test dependency from Debian's packages.
# Idempotent: safe to run again; apt-get skips what is already installed.
set -euo pipefail

PACKAGES=(
  g++ cmake ninja-build pkg-config clang-format
  librocksdb-dev   # the benchmark's peer (shardy_bench: RocksDB SstFileWriter and Get)
  libsqlite3-dev libxxhash-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libcurl4-openssl-dev libssl-dev libpugixml-dev libtomlplusplus-dev   # the S3 client
  libre2-dev   # CEL's matches() (RE2 syntax, as the CEL spec requires)
  libedit-dev   # line editing and history in shardy's interactive mode
  flatbuffers-compiler libflatbuffers-dev zlib1g-dev liblz4-dev libzstd-dev libsnappy-dev   # SlateDB
  nodejs   # real SlateDB (@slatedb/uniffi from npm; the image's nodejs bundles npm)
  libgtest-dev libgmock-dev
  sqlite3 python3 python3-xxhash python3-yaml   # the independent snapshot checker (tests/python)
  pybind11-dev python3-dev python3-pytest   # the Python package (src/python, python/): /usr/bin/python3
  python3-setuptools python3-wheel python3-pip python3-venv   # pip install of the checkout (setup.py)
  python3-dask python3-distributed python3-pandas   # the Dask writer and its tests (python/tests/test_dask*.py)
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
else
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The npm packages the tests use, each pinned by its directory's
# package-lock.json. CI must fail if one cannot be installed.
#   npm_ci DIR PACKAGE WHAT   (WHAT: what the package is and which tests need it)
TOOLS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tools"
npm_ci() {
  local dir="$TOOLS_DIR/$1" package="$2" what="$3"
  if [ -d "$dir/node_modules/$package" ]; then return; fi
  echo "setup: installing $package (npm ci in $dir)"
  if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
    echo "setup: ERROR: 'npm ci' failed in $dir; $package ($what) is needed." \
      "Check that the npm registry is reachable and Node >= 20 is installed." >&2
    exit 1
  fi
}
npm_ci slatedb-oracle @slatedb/uniffi "real SlateDB, for the SlateDB interop tests"
npm_ci cel-conformance @bufbuild/cel-spec "the CEL conformance tests, for tools/cel-conformance/run.sh"
npm_ci cel-differential @bufbuild/cel "the reference CEL implementation, for tools/cel-differential/run.sh"
echo "setup: done"
