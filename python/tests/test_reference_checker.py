"""Snapshots written from Python, checked by tests/python/check_snapshot.py.

The checker re-derives _CURRENT, the manifest, the layout and every key's
route from the bytes on disk by the reference's rules, without our code;
SlateDB shards are scanned by real SlateDB (tools/slatedb-oracle/dump.mjs,
installed by scripts/setup.sh).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shardyfusion import (
    CelShardedWriteConfig,
    HashShardedWriteConfig,
    LocalSlateDbFactory,
    PythonRecordInput,
    PythonWriteOptions,
)
from shardyfusion.sqlite_adapter import SqliteFactory
from shardyfusion.writer.python import write_cel_sharded, write_hash_sharded

ROOT = Path(__file__).resolve().parents[2]
CHECKER = ROOT / "tests" / "python" / "check_snapshot.py"
DUMP = ROOT / "tools" / "slatedb-oracle" / "dump.mjs"

REGIONS = ["us-east", "eu-west", "caf\u00e9"]
ROWS = [{"id": i * 7919 % 100_003, "region": REGIONS[i % 3], "name": f"user-{i}"} for i in range(6000)]
AS_JSON = PythonRecordInput(
    key_fn=lambda r: r["id"],
    value_fn=lambda r: json.dumps(r).encode(),
    columns_fn=lambda r: {"region": r["region"]},
)

FACTORIES = {"slatedb": lambda: None, "slatedb-local": LocalSlateDbFactory, "sqlite": SqliteFactory}


def check(prefix: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(CHECKER), str(prefix), "--slatedb-dump", str(DUMP)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def factory_kw(backend: str) -> dict:
    made = FACTORIES[backend]()
    return {} if made is None else {"adapter_factory": made}


@pytest.mark.parametrize("backend", sorted(FACTORIES))
def test_hash_snapshots(store, backend):
    ints = store / "int"
    write_hash_sharded(ROWS, HashShardedWriteConfig(num_dbs=7, s3_prefix=str(ints), **factory_kw(backend)), AS_JSON)
    assert "shards_checked=7 keys_routed=6000 rows=6000" in check(ints)

    strs = store / "str"
    cfg = HashShardedWriteConfig(
        num_dbs=4, s3_prefix=str(strs), key_encoding="utf8", batch_size=500, **factory_kw(backend)
    )
    write_hash_sharded(
        ROWS,
        cfg,
        PythonRecordInput(key_fn=lambda r: f"{r['name']}-\u65e5\u672c", value_fn=lambda r: r["region"].encode()),
        PythonWriteOptions(parallel=True),
    )
    assert "keys_routed=6000 rows=6000 " in check(strs)


@pytest.mark.parametrize("backend", sorted(FACTORIES))
def test_cel_snapshots(store, backend):
    direct = store / "direct"
    cfg = CelShardedWriteConfig(
        cel_expr="shard_hash(key) % 5u", cel_columns={"key": "int"}, s3_prefix=str(direct), **factory_kw(backend)
    )
    write_cel_sharded(ROWS, cfg, AS_JSON)
    assert "routing=unverified" not in check(direct)

    listed = store / "listed"
    cfg = CelShardedWriteConfig(
        cel_expr="region",
        cel_columns={"region": "string"},
        routing_values=["eu-west", "us-east", "caf\u00e9", "ap-south"],
        s3_prefix=str(listed),
        **factory_kw(backend),
    )
    write_cel_sharded(ROWS, cfg, AS_JSON)
    assert "routing=unverified" not in check(listed)

    inferred = store / "inferred"
    cfg = CelShardedWriteConfig(
        cel_expr="region",
        cel_columns={"region": "string"},
        infer_routing_values_from_data=True,
        s3_prefix=str(inferred),
        **factory_kw(backend),
    )
    write_cel_sharded(ROWS, cfg, AS_JSON)
    assert "routing=unverified" not in check(inferred)
