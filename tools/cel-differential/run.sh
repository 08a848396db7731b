#!/usr/bin/env bash
# run.sh BUILD_DIR [SEED [COUNT]]
# The CEL differential test: generates COUNT random CEL cases from SEED
# (gen.mjs; default seed 1, 5000 cases), evaluates each with our engine
# (BUILD_DIR/cel_diff) and with @bufbuild/cel (cel_eval.mjs), and compares
# the results (compare.mjs, known_differences.txt). Exits non-zero on a
# mismatch that known_differences.txt does not explain. The same seed always
# gives the same cases, so a failure reproduces; another seed explores more.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ "$#" -lt 1 ]; then
  echo "usage: run.sh BUILD_DIR [SEED [COUNT]]" >&2
  exit 2
fi
tool="$1/cel_diff"
seed="${2:-1}"
count="${3:-5000}"
source "$here/../preflight.sh"
require_built cel-differential "$tool"
require_npm cel-differential "$here" @bufbuild/cel

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
node "$here/gen.mjs" "$seed" "$count" > "$tmp/cases.jsonl"
"$tool" "$tmp/cases.jsonl" "$tmp/ours.jsonl"
node "$here/cel_eval.mjs" "$tmp/cases.jsonl" > "$tmp/theirs.jsonl"
echo "cel-differential: seed $seed, $count cases, ours and @bufbuild/cel 0.6.1 evaluated [${SECONDS}s]"
node "$here/compare.mjs" "$tmp/cases.jsonl" "$tmp/ours.jsonl" "$tmp/theirs.jsonl" \
  "$here/known_differences.txt"
