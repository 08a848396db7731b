#!/usr/bin/env bash
# Builds snapshots with the `shardy` CLI (int, str and bytes keys; SlateDB
# shards in both modes and SQLite shards) and checks each one with
# tests/python/check_snapshot.py, an independent implementation of the
# reference's manifest, _CURRENT and routing rules in Python; SlateDB shards
# are scanned by real SlateDB (tools/slatedb-oracle/dump.mjs).
# usage: run_check.sh PATH/TO/shardy
set -euo pipefail
SHARDY=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

$PY - "$WORK" <<'PY'
import base64, json, sys
work = sys.argv[1]
with open(f"{work}/int.jsonl", "w") as f:
    for i in range(20000):
        f.write(json.dumps({"id": i * 7919 % 1000003, "v": f"value-{i}"}) + "\n")
with open(f"{work}/str.jsonl", "w") as f:
    for i in range(5000):
        f.write(json.dumps({"k": f"user:{i}-caf\u00e9-\u65e5\u672c", "v": i}, ensure_ascii=False) + "\n")
with open(f"{work}/bytes.jsonl", "w") as f:
    for i in range(3000):
        raw = bytes([(i * 37 + j) % 256 for j in range(1 + i % 9)]) + i.to_bytes(4, "big")
        f.write(json.dumps({"b": base64.b64encode(raw).decode(), "v": i}) + "\n")
PY

build() { "$SHARDY" build --format jsonl --local-root "$WORK/staging" "$@" >/dev/null; }
for backend in slatedb slatedb-local sqlite; do
  case $backend in
    slatedb) flags=(--backend slatedb) ;;
    slatedb-local) flags=(--backend slatedb --slatedb-mode local --slatedb-compression zstd) ;;
    sqlite) flags=(--backend sqlite) ;;
  esac
  out="$WORK/$backend"
  build "${flags[@]}" --input "$WORK/int.jsonl" --key-field id --key-type int --num-dbs 7 \
    --prefix "$out/int"
  build "${flags[@]}" --input "$WORK/int.jsonl" --key-field id --key-type int --key-encoding u32be \
    --num-dbs 3 --prefix "$out/int32"
  build "${flags[@]}" --input "$WORK/str.jsonl" --key-field k --key-type str \
    --max-keys-per-shard 1000 --prefix "$out/str"
  build "${flags[@]}" --input "$WORK/bytes.jsonl" --key-field b --key-type bytes --num-dbs 5 \
    --prefix "$out/bytes"
  for snap in int int32 str bytes; do
    $PY "$HERE/check_snapshot.py" "$out/$snap" --slatedb-dump "$HERE/../../tools/slatedb-oracle/dump.mjs"
  done
done
