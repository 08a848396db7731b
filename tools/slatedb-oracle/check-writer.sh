#!/usr/bin/env bash
# check-writer.sh BUILD_DIR [SCENARIO...]
# Live round trip: databases written by this project's SlateDB writer
# (BUILD_DIR/slatedb_interop write) must read back in real SlateDB
# (@slatedb/uniffi 0.12.1) exactly as written: the full scan equals
# expected.jsonl, every never-written key in absent.txt is missing, every key
# of expected.jsonl is found by a point get, and real SlateDB's DbBuilder can
# reopen the database as a writer, add a key and read everything back.
# Exits non-zero on the first disagreement.
set -euo pipefail

name=check-writer
source "$(dirname "${BASH_SOURCE[0]}")/interop-env.sh"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$tool" write "$tmp" "$@"

count=0
for dir in "$tmp"/*/; do
  s="$(basename "$dir")"
  [ -d "$dir/db" ] || continue
  if ! node "$here/dump.mjs" "$dir/db" > "$tmp/$s.dump"; then
    echo "check-writer: $s: real SlateDB could not scan the database" >&2
    exit 1
  fi
  if ! diff -q "$dir/expected.jsonl" "$tmp/$s.dump" > /dev/null; then
    echo "check-writer: $s: real SlateDB's scan differs from what was written:" >&2
    diff "$dir/expected.jsonl" "$tmp/$s.dump" | head -5 >&2
    exit 1
  fi
  if node "$here/get.mjs" "$dir/db" "$dir/absent.txt" | grep -v '"v":null}$' >&2; then
    echo "check-writer: $s: keys above were never written but real SlateDB found them" >&2
    exit 1
  fi
  # Point gets (bloom filter, index search, block decode) of every key.
  sed -e 's/^{"k":"\([^"]*\)".*/\1/' "$dir/expected.jsonl" > "$tmp/$s.keys"
  node "$here/get.mjs" "$dir/db" "$tmp/$s.keys" | sort > "$tmp/$s.gets"
  if ! sort "$dir/expected.jsonl" | diff -q - "$tmp/$s.gets" > /dev/null; then
    echo "check-writer: $s: real SlateDB's point gets differ from what was written" >&2
    exit 1
  fi
  node "$here/reopen.mjs" "$dir/db" > /dev/null
  echo "check-writer: $s OK ($(wc -l < "$dir/expected.jsonl") keys by scan and get," \
    "$(wc -l < "$dir/absent.txt") absent, reopened as a writer)"
  count=$((count + 1))
done
if [ "$count" -eq 0 ]; then
  echo "check-writer: no databases were written" >&2
  exit 1
fi
echo "check-writer: real SlateDB reads all $count databases written by our writer"
