#!/usr/bin/env bash
# Runs the S3 integration tests (shardyfusion_s3_tests) against a throwaway Ceph RGW.
#
#   tests/s3/run.sh BUILD_DIR [gtest args...]
#
# The server lives only as long as this script: it is stopped on every exit path, including failures
# and Ctrl-C. The tests find it through SHARDY_TEST_S3_* and AWS_* from the server's env file.
set -euo pipefail

[ $# -ge 1 ] || {
  echo "usage: $0 BUILD_DIR [gtest args...]" >&2
  exit 2
}
build_dir=$(realpath "$1")
shift
binary="$build_dir/shardyfusion_s3_tests"
[ -x "$binary" ] || {
  echo "run.sh: $binary not found; build it with: ninja -C $build_dir shardyfusion_s3_tests" >&2
  exit 2
}
server="$(cd "$(dirname "$0")/../.." && pwd)/scripts/s3-server.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/shardy-s3.XXXXXX")
trap '"$server" stop "$dir"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t0_us=${EPOCHREALTIME/./}
"$server" start "$dir"
ms=$(((${EPOCHREALTIME/./} - t0_us) / 1000))
echo "run.sh: S3 server started in $((ms / 1000)).$(printf '%03d' $((ms % 1000)))s"

# shellcheck disable=SC1091
source "$dir/env"
# In the background, so that a signal stops the tests at once rather than after they finish.
"$binary" "$@" &
test_pid=$!
trap 'kill -TERM "$test_pid" 2>/dev/null || true; exit 130' INT
trap 'kill -TERM "$test_pid" 2>/dev/null || true; exit 143' TERM
status=0
wait "$test_pid" || status=$?
exit "$status"
