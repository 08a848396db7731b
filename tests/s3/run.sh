#!/usr/bin/env bash
# Runs the S3 integration tests (shardyfusion_s3_tests, then the Python API's
# python/tests_s3 when BUILD_DIR has the Python package; tests/s3/suite.sh)
# against a throwaway Ceph RGW.
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
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../../scripts/with-s3-server.sh" "$here/suite.sh" "$build_dir" "$@"
