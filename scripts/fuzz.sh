#!/usr/bin/env bash
# Builds the libFuzzer flavour of the fuzz targets (the SlateDB decoders, the
# CEL engine and the input record readers; clang, ASan + UBSan) into build/fuzz and runs each target
# in turn for SECONDS (default 60) on the seed corpus derived from
# tests/fixtures/slatedb (and, for cel, fuzz/cel_seeds.cc).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Corpora grow in build/fuzz/corpus/<target>/; crashing inputs land in
# build/fuzz/crashes/ (replay one: build/fuzz/fuzz_<target> FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(manifest sst_info sst_index block bloom compression sst db cel records)
fi

CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSHARDY_FUZZ=ON -DSHARDY_BUILD_TESTS=OFF -DSHARDY_BUILD_BENCH=OFF >/dev/null
ninja -j2 -C build/fuzz shardy_fuzz

build/fuzz/fuzz_write_seeds tests/fixtures/slatedb build/fuzz/seeds
mkdir -p build/fuzz/crashes
status=0
for t in "${targets[@]}"; do
  mkdir -p "build/fuzz/corpus/$t"
  echo "== fuzz_$t for ${seconds}s"
  # The first directory collects new inputs; the seeds stay as derived.
  if ! build/fuzz/fuzz_"$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="build/fuzz/crashes/$t-" \
      "build/fuzz/corpus/$t" "build/fuzz/seeds/$t" 2>&1 | tee "build/fuzz/$t.log" |
      grep -E '^(#[0-9]+ +DONE|stat::|==[0-9]+==ERROR|SUMMARY|.*invariant failed|artifact_prefix)'; then
    :
  fi
  if grep -q -E 'ERROR: |invariant failed|Test unit written' "build/fuzz/$t.log"; then
    echo "fuzz_$t FAILED (log: build/fuzz/$t.log)"
    status=1
  fi
done
exit $status
