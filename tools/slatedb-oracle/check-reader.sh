#!/usr/bin/env bash
# check-reader.sh BUILD_DIR [SCENARIO...]
# Live round trip, the other direction: real SlateDB (@slatedb/uniffi 0.12.1,
# write.mjs) writes a fresh database per scenario (WAL-only as the reference
# writes them, flushed to L0, compacted with deletes, each codec, large
# values); real SlateDB's own scan of it is the expected content; then our
# read-only reader (BUILD_DIR/slatedb_interop check) must find every key with
# its value and none of the deleted or never-written ones. It reads the
# database as the writer left it, and again after real SlateDB's reader added
# its checkpoint manifests. Exits non-zero on the first disagreement.
set -euo pipefail

name=check-reader
source "$(dirname "${BASH_SOURCE[0]}")/interop-env.sh"
scenarios=(wal-only l0 compacted codec-lz4 codec-zstd codec-snappy codec-zlib large-values)
if [ "$#" -gt 0 ]; then scenarios=("$@"); fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for s in "${scenarios[@]}"; do
  work="$tmp/$s"
  mkdir -p "$work"
  node "$here/write.mjs" "$work/db" "$s" > "$work/absent.txt"
  cp -a "$work/db" "$work/read-copy"
  node "$here/dump.mjs" "$work/read-copy" > "$work/expected.jsonl"
  if [ ! -s "$work/expected.jsonl" ]; then
    echo "check-reader: $s: real SlateDB reports an empty database" >&2
    exit 1
  fi
  for db in db read-copy; do
    if ! "$tool" check "$work/$db" "$work/expected.jsonl" "$work/absent.txt" > /dev/null; then
      echo "check-reader: $s ($db): our reader disagrees with real SlateDB" >&2
      exit 1
    fi
  done
  echo "check-reader: $s OK ($(wc -l < "$work/expected.jsonl") keys, $(wc -l < "$work/absent.txt") absent," \
    "as written and after real SlateDB's reader added checkpoints)"
done
echo "check-reader: our reader agrees with real SlateDB on all ${#scenarios[@]} fresh databases"
