#!/usr/bin/env bash
# run.sh BUILD_DIR [cel_conformance options...]
# Dumps the CEL conformance tests (@bufbuild/cel-spec, pinned in
# package.json) to BUILD_DIR/cel-conformance/ and runs BUILD_DIR/cel_conformance
# over them with known_failures.txt; extra options (--verbose,
# --failures FILE) are passed on. Exits non-zero when a test fails that is
# not a known failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ "$#" -lt 1 ]; then
  echo "usage: run.sh BUILD_DIR [--verbose] [--failures FILE]" >&2
  exit 2
fi
build="$1"
shift
tool="$build/cel_conformance"
source "$here/../preflight.sh"
require_built cel-conformance "$tool"
require_npm cel-conformance "$here" @bufbuild/cel-spec
data="$build/cel-conformance"
node "$here/dump.mjs" "$data"
"$tool" --known-failures "$here/known_failures.txt" "$@" "$data"
