#!/usr/bin/env bash
# Regenerates every golden SlateDB fixture in tests/fixtures/slatedb/ from
# scratch with real SlateDB (@slatedb/uniffi, see package.json). The ours-*
# scenarios are written by this project's writer instead ($SHARDY_BUILD,
# default build/release, must hold slatedb_interop); their expected.jsonl is
# still real SlateDB's scan, and it must equal what was written.
#
# For each scenario: write.mjs writes a fresh database into a temp dir and
# lists keys that must be absent; the untouched database is copied into the
# fixture; dump.mjs and get.mjs then run on a SECOND copy, because DbReader
# writes checkpoint manifests into whatever it opens.
# Key/value content is deterministic; timestamps, ULIDs and (timing-dependent)
# WAL/manifest ids are not, so a regeneration shows up as a binary diff.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$(cd "$here/../.." && pwd)/tests/fixtures/slatedb"
scenarios=(wal-only l0 compacted codec-lz4 codec-zstd codec-snappy codec-zlib large-values
  ours-direct ours-local-zstd)
build="${SHARDY_BUILD:-$here/../../build/release}"
if [ "$#" -gt 0 ]; then scenarios=("$@"); fi

if [ ! -d "$here/node_modules/@slatedb/uniffi" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

for s in "${scenarios[@]}"; do
  work="$tmp/$s"
  mkdir -p "$work"
  if [[ "$s" == ours-* ]]; then
    "$build/slatedb_interop" write "$tmp/gen" "$s" > /dev/null
    mv "$tmp/gen/$s/db" "$work/db"
    find "$work/db" -name .shardy-lock -delete  # the file store's directory locks
    cp "$tmp/gen/$s/absent.txt" "$work/absent.txt"
  else
    node "$here/write.mjs" "$work/db" "$s" > "$work/absent.txt"
  fi
  cp -a "$work/db" "$work/read-copy"
  node "$here/dump.mjs" "$work/read-copy" > "$work/expected.jsonl"
  if [[ "$s" == ours-* ]] && ! diff -q "$tmp/gen/$s/expected.jsonl" "$work/expected.jsonl" > /dev/null; then
    echo "make-fixtures: $s: real SlateDB's scan differs from what our writer wrote" >&2
    exit 1
  fi
  # The oracle itself must agree that every listed key is absent.
  if node "$here/get.mjs" "$work/read-copy" "$work/absent.txt" | grep -v '"v":null}$'; then
    echo "make-fixtures: $s: keys above were listed as absent but real SlateDB found them" >&2
    exit 1
  fi
  rm -rf "${out:?}/$s"
  mkdir -p "$out/$s"
  cp -a "$work/db" "$out/$s/db"
  cp "$work/expected.jsonl" "$work/absent.txt" "$out/$s/"
  echo "make-fixtures: $s: $(wc -l < "$work/expected.jsonl") live keys," \
    "$(wc -l < "$work/absent.txt") absent keys, $(find "$out/$s" -type f -printf "%s\n" | awk "{n += \$1} END {print n}") bytes"
done
