#!/usr/bin/env bash
# Configures and builds one flavour into build/<flavour>:
#   release   optimised build (the CLI, the benchmark)
#   asan      AddressSanitizer + UndefinedBehaviorSanitizer
#   tsan      ThreadSanitizer, -O1 -g; only the test binary, which is all that
#             tools/tsan/run.sh needs (no benchmark, fuzz targets or tools)
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
targets=()
case "$flavour" in
  # -O2: g++ 12 at -O3 reports false -Wrestrict errors inside std::string (GCC bug 105329).
  release) flags=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG") ;;
  asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DSHARDY_SANITIZE=ON -DSHARDY_BUILD_BENCH=OFF -DSHARDY_PYTHON=OFF) ;;
  tsan)
    flags=(-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g" -DSHARDY_TSAN=ON
           -DSHARDY_BUILD_BENCH=OFF -DSHARDY_PYTHON=OFF)
    targets=(shardyfusion_tests)
    ;;
  *) echo "usage: $0 [release|asan|tsan]" >&2; exit 2 ;;
esac
cmake -S . -B "build/$flavour" -G Ninja "${flags[@]}" >/dev/null
ninja -C "build/$flavour" "${targets[@]}"
