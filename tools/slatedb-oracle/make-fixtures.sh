#!/usr/bin/env bash
# Regenerates every golden SlateDB fixture in tests/fixtures/slatedb/ from
# scratch with real SlateDB (@slatedb/uniffi, see package.json).
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
scenarios=(wal-only l0 compacted codec-lz4 codec-zstd codec-snappy codec-zlib large-values)
if [ "$#" -gt 0 ]; then scenarios=("$@"); fi

if [ ! -d "$here/node_modules/@slatedb/uniffi" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

for s in "${scenarios[@]}"; do
  work="$tmp/$s"
  mkdir -p "$work"
  node "$here/write.mjs" "$work/db" "$s" > "$work/absent.txt"
  cp -a "$work/db" "$work/read-copy"
  node "$here/dump.mjs" "$work/read-copy" > "$work/expected.jsonl"
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
