#!/usr/bin/env bash
# Self-check: real SlateDB must still read every committed fixture exactly as
# expected.jsonl / absent.txt say, and must be able to continue it as a writer.
# Every oracle run works on a temp copy, so the fixtures stay byte-identical.
# Exits non-zero on the first disagreement.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fixtures="$(cd "$here/../.." && pwd)/tests/fixtures/slatedb"
if [ ! -d "$here/node_modules/@slatedb/uniffi" ]; then
  echo "check-fixtures: run scripts/setup.sh (or npm ci in $here) first" >&2
  exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

count=0
for dir in "$fixtures"/*/; do
  s="$(basename "$dir")"
  [ -d "$dir/db" ] || continue
  cp -a "$dir/db" "$tmp/$s-read"
  if ! node "$here/dump.mjs" "$tmp/$s-read" | diff -q "$dir/expected.jsonl" - > /dev/null; then
    echo "check-fixtures: $s: real SlateDB's dump differs from expected.jsonl" >&2
    exit 1
  fi
  if node "$here/get.mjs" "$tmp/$s-read" "$dir/absent.txt" | grep -v '"v":null}$' >&2; then
    echo "check-fixtures: $s: keys above are in absent.txt but real SlateDB found them" >&2
    exit 1
  fi
  cp -a "$dir/db" "$tmp/$s-reopen"
  node "$here/reopen.mjs" "$tmp/$s-reopen" > /dev/null
  echo "check-fixtures: $s OK ($(wc -l < "$dir/expected.jsonl") keys, $(wc -l < "$dir/absent.txt") absent, reopened)"
  count=$((count + 1))
done
if [ "$count" -eq 0 ]; then
  echo "check-fixtures: no fixtures under $fixtures" >&2
  exit 1
fi
echo "check-fixtures: all $count fixtures agree with real SlateDB"
