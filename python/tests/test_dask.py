"""The Dask writer on a real dask.distributed cluster of worker processes.

Each snapshot is compared with the one the single-process writer makes from
the same rows (routing, row counts, every key and value) and checked by the
reference-rules checker (tests/python/check_snapshot.py). Faults: a worker
process killed in the middle of writing a shard (SIGKILL from inside the
task), and a task that fails for good.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import dask.dataframe as dd
import pandas as pd
import pytest
from distributed import Client, LocalCluster

from shardyfusion import (
    CelShardedWriteConfig,
    ColumnWriteInput,
    DaskWriteOptions,
    HashShardedWriteConfig,
    PythonRecordInput,
    ValueSpec,
)
from shardyfusion import _native
from shardyfusion.errors import ConfigValidationError, ShardAssignmentError, ShardWriteError
from shardyfusion.reader import ShardedReader
from shardyfusion.sqlite_adapter import SqliteFactory
from shardyfusion.writer import dask as dask_writer
from shardyfusion.writer import python as python_writer

ROOT = Path(__file__).resolve().parents[2]
CHECKER = ROOT / "tests" / "python" / "check_snapshot.py"
DUMP = ROOT / "tools" / "slatedb-oracle" / "dump.mjs"

REGIONS = ["us-east", "eu-west", "ap-south"]
N = 6000
ROWS = pd.DataFrame(
    {
        "id": [i * 7919 % 100_003 for i in range(N)],
        "region": [REGIONS[i % 3] for i in range(N)],
        "name": [f"user-{i}" for i in range(N)],
    }
)


@pytest.fixture(scope="module")
def client():
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, Client(cluster) as c:
        yield c


def frame(npartitions: int = 5):
    return dd.from_pandas(ROWS, npartitions=npartitions)


def check(prefix: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(CHECKER), str(prefix), "--slatedb-dump", str(DUMP)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def contents(prefix: Path, local_root: str) -> dict:
    """Shard row counts and every key's value, as a reader sees them."""
    with ShardedReader(s3_prefix=str(prefix), local_root=local_root) as reader:
        info = reader.snapshot_info()
        values = {}
        for region, group in ROWS.groupby("region"):  # hash snapshots ignore the context
            values.update(reader.multi_get(list(group["id"]), routing_context={"region": region}))
        return {"num_dbs": info.num_dbs, "rows": info.row_count,
                "shards": {d.db_id: d.row_count for d in reader.shard_details()}, "values": values}


def same_snapshot(a: Path, b: Path, local_root: str) -> None:
    ca = contents(a, local_root + "/a")
    cb = contents(b, local_root + "/b")
    assert ca == cb
    assert sum(ca["shards"].values()) == N
    assert all(v is not None for v in ca["values"].values())


def test_hash_snapshot_equals_the_single_process_one(client, store, local_root):
    config = HashShardedWriteConfig(num_dbs=7, s3_prefix=str(store / "dask"))
    value = ValueSpec.binary_col("name")
    result = dask_writer.write_hash_sharded(frame(), config, ColumnWriteInput("id", value))
    assert result.manifest_ref and result.stats.rows_written == N
    assert result.num_dbs == 7
    single = python_writer.write_hash_sharded(
        ROWS.to_dict("records"),
        HashShardedWriteConfig(num_dbs=7, s3_prefix=str(store / "single")),
        PythonRecordInput(key_fn=lambda r: r["id"], value_fn=lambda r: r["name"].encode()),
    )
    assert [(w.db_id, w.row_count) for w in result.winners] == [
        (w.db_id, w.row_count) for w in single.winners
    ]
    same_snapshot(store / "dask", store / "single", local_root)
    check(store / "dask")
    # Nothing of the staging is left.
    assert not list((store / "dask").rglob("*.sealed")) and not list((store / "dask").rglob("*.claim"))


def test_sqlite_backend_sorted_and_json_values(client, store, local_root):
    config = HashShardedWriteConfig(
        num_dbs=3, s3_prefix=str(store / "dask"), adapter_factory=SqliteFactory()
    )
    value = ValueSpec.json_cols(["name", "region"])
    dask_writer.write_hash_sharded(
        frame(), config, ColumnWriteInput("id", value), DaskWriteOptions(sort_within_partitions=True)
    )
    single = HashShardedWriteConfig(
        num_dbs=3, s3_prefix=str(store / "single"), adapter_factory=SqliteFactory()
    )
    python_writer.write_hash_sharded(
        ROWS.to_dict("records"), single,
        PythonRecordInput(key_fn=lambda r: r["id"], value_fn=lambda r: value.encode(r)),
    )
    same_snapshot(store / "dask", store / "single", local_root)
    check(store / "dask")


@pytest.mark.parametrize("mode", ["categorical", "inferred", "direct"])
def test_cel_snapshots_equal_the_single_process_ones(client, store, local_root, mode):
    if mode == "direct":
        kw = {"cel_expr": "shard_hash(key) % 5u", "cel_columns": {"key": "int"}}
    else:
        kw = {"cel_expr": "region", "cel_columns": {"region": "string"}}
        if mode == "categorical":
            kw["routing_values"] = ["us-east", "eu-west", "ap-south"]
        else:
            kw["infer_routing_values_from_data"] = True
    value = ValueSpec.json_cols()  # the checker re-routes each record from its value
    result = dask_writer.write_cel_sharded(
        frame(), CelShardedWriteConfig(s3_prefix=str(store / "dask"), **kw), ColumnWriteInput("id", value)
    )
    assert result.num_dbs == (5 if mode == "direct" else 3)
    python_writer.write_cel_sharded(
        ROWS.to_dict("records"),
        CelShardedWriteConfig(s3_prefix=str(store / "single"), **kw),
        PythonRecordInput(
            key_fn=lambda r: r["id"],
            value_fn=value.encode,
            columns_fn=lambda r: {"region": r["region"]},
        ),
    )
    same_snapshot(store / "dask", store / "single", local_root)
    check(store / "dask")


def test_a_worker_killed_mid_write_is_retried_into_a_new_attempt(client, store, local_root, tmp_path):
    # The largest key of shard 0 is written last (sorted), in the shard's
    # second chunk: the first is in the engine when the worker dies.
    n = 20000
    rows = pd.DataFrame({"id": range(n), "name": [f"v{i}" for i in range(n)]})
    ids = _native.ShardRouter.hash(2).route_many(list(range(n)))
    victim = max(k for k, s in zip(range(n), ids) if s == 0)
    marker = tmp_path / "killed-once"

    def encode(row):
        if row["id"] == victim and not marker.exists():
            marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return row["name"].encode()

    # Small batches: the shard's attempt is open (claimed, writing) when it dies.
    config = HashShardedWriteConfig(num_dbs=2, s3_prefix=str(store / "snap"), batch_size=1000)
    result = dask_writer.write_hash_sharded(
        dd.from_pandas(rows, npartitions=2), config,
        ColumnWriteInput("id", ValueSpec.callable_encoder(encode)),
        DaskWriteOptions(sort_within_partitions=True),
    )
    assert marker.exists(), "the fault was not injected"
    assert result.stats.rows_written == n
    by_shard = {w.db_id: w for w in result.winners}
    assert by_shard[0].attempt == 1  # attempt 0 died with its worker
    # Every shard object left belongs to a winner: the dead attempt is gone.
    run_dir = store / "snap" / "shards" / f"run_id={result.run_id}"
    for path in run_dir.rglob("*"):
        if path.is_file() and not path.name.startswith(".shardy"):
            assert any(str(path).startswith(w.db_url.removeprefix("file://")) for w in result.winners), path
    with ShardedReader(s3_prefix=str(store / "snap"), local_root=local_root) as reader:
        assert reader.get(victim) == f"v{victim}".encode()
        assert reader.multi_get([0, n - 1]) == {0: b"v0", n - 1: f"v{n - 1}".encode()}
    check(store / "snap")


def test_a_task_that_fails_for_good_publishes_nothing(client, store):
    def encode(row):
        if row["id"] == ROWS["id"][100]:
            raise ValueError("bad row")
        return row["name"].encode()

    config = HashShardedWriteConfig(num_dbs=4, s3_prefix=str(store / "snap"))
    with pytest.raises(ShardWriteError, match="bad row"):
        dask_writer.write_hash_sharded(
            frame(), config, ColumnWriteInput("id", ValueSpec.callable_encoder(encode))
        )
    assert not (store / "snap" / "_CURRENT").exists()
    left = [p for p in (store / "snap").rglob("*") if p.is_file() and not p.name.startswith(".shardy")
            and "runs" not in p.parts]
    assert left == []


def test_bad_input_is_refused_before_anything_is_written(client, store):
    config = HashShardedWriteConfig(num_dbs=2, s3_prefix=str(store / "snap"))
    clash = dd.from_pandas(ROWS.assign(_shard_id=1), npartitions=2)
    with pytest.raises(ConfigValidationError, match="shard_id_col '_shard_id' conflicts"):
        dask_writer.write_hash_sharded(clash, config, ColumnWriteInput("id", ValueSpec.binary_col("name")))
    with pytest.raises(ConfigValidationError, match="not a column"):
        dask_writer.write_hash_sharded(frame(), config, ColumnWriteInput("uid", ValueSpec.binary_col("name")))
    gaps = CelShardedWriteConfig(
        s3_prefix=str(store / "snap"), cel_expr="key % 2 == 0 ? 0 : 2", cel_columns={"key": "int"}
    )
    with pytest.raises(ShardAssignmentError, match="dense"):
        dask_writer.write_cel_sharded(frame(), gaps, ColumnWriteInput("id", ValueSpec.binary_col("name")))
    assert not (store / "snap").exists() or not any((store / "snap").rglob("*.sealed"))
    assert not (store / "snap" / "_CURRENT").exists()


def test_a_chosen_run_id_must_be_new(client, store):
    from shardyfusion import WriterOutputConfig

    config = HashShardedWriteConfig(
        num_dbs=2, s3_prefix=str(store / "snap"), output=WriterOutputConfig(run_id="r1")
    )
    value = ColumnWriteInput("id", ValueSpec.binary_col("name"))
    dask_writer.write_hash_sharded(frame(), config, value)
    with pytest.raises(ConfigValidationError, match="r1"):
        dask_writer.write_hash_sharded(frame(), config, value)
