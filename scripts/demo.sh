#!/usr/bin/env bash
# Installs dependencies, builds, and runs the example job: generates 200,000
# records, builds an 8-shard snapshot (SlateDB shards, the default backend)
# into a local directory, and reads some keys back with `shardy`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh release
SHARDY=build/release/shardy
WORK=${DEMO_DIR:-/tmp/shardyfusion-demo}
rm -rf "$WORK" && mkdir -p "$WORK"
N=200000
echo "== generating $N records into $WORK/users.jsonl"
python3 - "$WORK/users.jsonl" "$N" <<'PY'
import json, sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    for i in range(n):
        f.write(json.dumps({"id": i, "name": f"user-{i}", "score": (i * 7919) % 1000}) + "\n")
PY
echo "== shardy build"
$SHARDY build --input "$WORK/users.jsonl" --format jsonl --key-field id --key-type int \
  --num-dbs 8 --prefix "$WORK/snapshot"
echo "== shardy info"
$SHARDY --current-url "file://$WORK/snapshot/_CURRENT" --output-format json info
echo "== shardy get 42 (value as text)"
$SHARDY --current-url "file://$WORK/snapshot/_CURRENT" --value-encoding utf8 get 42
echo "== shardy multiget 0 199999 12345 999999999"
$SHARDY --current-url "file://$WORK/snapshot/_CURRENT" --value-encoding utf8 multiget 0 199999 12345 999999999
echo "== shardy route 42"
$SHARDY --current-url "file://$WORK/snapshot/_CURRENT" route 42
echo "== shardy shards"
$SHARDY --current-url "file://$WORK/snapshot/_CURRENT" --output-format table shards
echo "== shardy history"
$SHARDY --current-url "file://$WORK/snapshot/_CURRENT" --output-format table history
