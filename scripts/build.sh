#!/usr/bin/env bash
# Configures and builds one flavour into build/<flavour>:
#   release   optimised build (the CLI, the benchmark)
#   asan      AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
case "$flavour" in
  release) flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DSHARDY_SANITIZE=ON -DSHARDY_BUILD_BENCH=OFF) ;;
  *) echo "usage: $0 [release|asan]" >&2; exit 2 ;;
esac
cmake -S . -B "build/$flavour" -G Ninja "${flags[@]}" >/dev/null
ninja -C "build/$flavour"
