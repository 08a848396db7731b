#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test: the release build, the
# sanitizer build (ASan + UBSan), the tests that use threads under
# ThreadSanitizer (tools/tsan/run.sh), the S3 integration tests against a real
# S3 server (Ceph RGW, started and stopped by tests/s3/run.sh; the C++ ones and
# the Python API's python/tests_s3), the SlateDB
# interop checks against real SlateDB in both directions, the CEL
# conformance tests, the CEL differential test against @bufbuild/cel, the
# pip install of the checkout, and the independent Python snapshot check.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh release
echo "== release build done [${SECONDS}s]"
./scripts/build.sh asan
echo "== asan build done [${SECONDS}s]"
./scripts/build.sh tsan
echo "== tsan build done [${SECONDS}s]"
echo "== tests (release) [${SECONDS}s]"
(cd build/release && ctest --output-on-failure -j2)
echo "== pip install of the checkout into a virtualenv (reusing build/release) [${SECONDS}s]"
./tests/python/pip_install.sh build/release
echo "== tests (asan+ubsan) [${SECONDS}s]"
(cd build/asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j2)
echo "== tests that use threads (tsan) [${SECONDS}s]"
./tools/tsan/run.sh build/tsan
echo "== S3 integration tests against Ceph RGW (release, then asan+ubsan) [${SECONDS}s]"
./tests/s3/run.sh build/release
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ./tests/s3/run.sh build/asan
echo "== SlateDB fixtures against real SlateDB (@slatedb/uniffi 0.12.1) [${SECONDS}s]"
./tools/slatedb-oracle/check-fixtures.sh
echo "== databases our SlateDB writer writes, read and reopened by real SlateDB [${SECONDS}s]"
./tools/slatedb-oracle/check-writer.sh build/release
echo "== fresh databases real SlateDB writes, read by our SlateDB reader [${SECONDS}s]"
./tools/slatedb-oracle/check-reader.sh build/release
echo "== CEL conformance tests (@bufbuild/cel-spec 0.6.1) [${SECONDS}s]"
./tools/cel-conformance/run.sh build/release
echo "== CEL differential test against @bufbuild/cel 0.6.1 [${SECONDS}s]"
./tools/cel-differential/run.sh build/release 1 5000
# Another seed through the sanitizer build: random expressions under ASan+UBSan.
ASAN_OPTIONS=detect_leaks=1 ./tools/cel-differential/run.sh build/asan 2 5000
echo "== independent snapshot check (Python reference rules) [${SECONDS}s]"
./tests/python/run_check.sh build/release/shardy
echo "all tests passed in ${SECONDS}s"
