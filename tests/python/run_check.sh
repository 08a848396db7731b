#!/usr/bin/env bash
# Builds snapshots with the `shardy` CLI (int, str and bytes keys; hash and
# CEL routing in every mode; SlateDB shards in both modes and SQLite shards;
# one build in parallel mode with retries on)
# and checks each one with
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
with open(f"{work}/big.jsonl", "w") as f:
    for i in range(300000):
        f.write('{"id": %d, "v": "value-%d"}\n' % (i * 7919 % 1000003, i))
with open(f"{work}/region.jsonl", "w") as f:
    for i in range(3000):
        tag = bytes([0xFF, i % 3]) if i % 5 else b"plain"  # not UTF-8, and one that is
        f.write(json.dumps({"id": i, "region": ["us-east", "eu-west", "caf\u00e9"][i % 3],
                            "tag": base64.b64encode(tag).decode()}) + "\n")
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
  build "${flags[@]}" --input "$WORK/int.jsonl" --key-field id --key-type int \
    --cel-expr 'shard_hash(key) % 5u' --cel-column key:int --prefix "$out/cel-int"
  build "${flags[@]}" --input "$WORK/str.jsonl" --key-field k --key-type str \
    --cel-expr 'shard_hash(key) % 3u' --cel-column key:string --prefix "$out/cel-str"
  build "${flags[@]}" --input "$WORK/region.jsonl" --key-field id --key-type int \
    --cel-expr region --cel-column region:string --routing-value eu-west \
    --routing-value str:us-east --routing-value "$(printf 'caf\xc3\xa9')" --routing-value ap-south \
    --prefix "$out/cel-region"
  build "${flags[@]}" --input "$WORK/region.jsonl" --key-field id --key-type int \
    --cel-expr region --cel-column region:string --infer-routing-values \
    --prefix "$out/cel-region-inferred"
  build "${flags[@]}" --input "$WORK/region.jsonl" --key-field id --key-type int \
    --cel-expr tag --cel-column tag:bytes --infer-routing-values --prefix "$out/cel-bytes"
  build "${flags[@]}" --input "$WORK/int.jsonl" --key-field id --key-type int --num-dbs 7 \
    --parallel --workers 3 --shard-retries 1 --batch-size 1000 --prefix "$out/int-parallel"
  for snap in int int-parallel int32 str bytes cel-int cel-str cel-region cel-region-inferred cel-bytes; do
    $PY "$HERE/check_snapshot.py" "$out/$snap" --slatedb-dump "$HERE/../../tools/slatedb-oracle/dump.mjs"
  done
done

# A build killed (SIGKILL) after a checkpoint, then resumed: the checker
# passes on the resumed snapshot, and its shards (rows, min and max keys)
# are those of an uninterrupted build of the same input.
shard_rows() {
  $PY - "$1" <<'PY'
import glob, sqlite3, sys
manifest = glob.glob(sys.argv[1] + "/manifests/*/manifest")[0]
for row in sqlite3.connect(manifest).execute(
        "SELECT db_id, row_count, min_key, max_key FROM shards ORDER BY db_id"):
    print(*row)
PY
}
for backend in slatedb sqlite; do
  out="$WORK/resume-$backend"
  args=(--backend "$backend" --input "$WORK/big.jsonl" --key-field id --key-type int --num-dbs 6
        --batch-size 2000 --checkpoint-records 10000)
  "$SHARDY" build --format jsonl --local-root "$WORK/resume-staging" "${args[@]}" \
    --prefix "$out/killed" --run-id killed >/dev/null 2>&1 &
  pid=$!
  checkpoint="$WORK/resume-staging/run_id=killed/checkpoint.json"
  while kill -0 "$pid" 2>/dev/null; do
    records=$(grep -o '"records":[0-9]*' "$checkpoint" 2>/dev/null | cut -d: -f2 || true)
    if [ "${records:-0}" -ge 30000 ]; then kill -9 "$pid"; break; fi
    sleep 0.002
  done
  if { wait "$pid"; } 2>/dev/null; then
    echo "run_check: the $backend build finished before it could be killed" >&2
    exit 1
  fi
  "$SHARDY" build --format jsonl --local-root "$WORK/resume-staging" "${args[@]}" \
    --prefix "$out/killed" --resume killed >/dev/null
  build "${args[@]}" --prefix "$out/clean"
  $PY "$HERE/check_snapshot.py" "$out/killed" --slatedb-dump "$HERE/../../tools/slatedb-oracle/dump.mjs"
  if [ "$(shard_rows "$out/killed")" != "$(shard_rows "$out/clean")" ]; then
    echo "run_check: the resumed $backend snapshot's shards differ from a clean build's" >&2
    diff <(shard_rows "$out/killed") <(shard_rows "$out/clean") >&2 || true
    exit 1
  fi
  echo "OK resumed $backend build killed after a checkpoint of $records records equals a clean build"
done
