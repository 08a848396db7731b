#!/usr/bin/env bash
# What tests/s3/run.sh runs against the S3 server it started: the C++ S3
# integration tests, then (when BUILD_DIR has the Python package and no gtest
# arguments narrow the run) the Python API's S3 tests, python/tests_s3.
#   tests/s3/suite.sh BUILD_DIR [gtest args...]
set -euo pipefail
build_dir=$1
shift
"$build_dir/shardyfusion_s3_tests" "$@"
if [ $# -eq 0 ] && [ -d "$build_dir/python/shardyfusion" ]; then
  root=$(cd "$(dirname "$0")/../.." && pwd)
  echo "== the Python API against the S3 server (python/tests_s3)"
  PYTHONPATH="$build_dir/python" PYTHONDONTWRITEBYTECODE=1 \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider "$root/python/tests_s3"
fi
