"""The Dask writer and staged shards onto a real S3 server (Ceph RGW), worker processes included."""

from __future__ import annotations

import dask.dataframe as dd
import pandas as pd
import pytest
from distributed import Client, LocalCluster

from shardyfusion import (
    ColumnWriteInput,
    HashShardedWriteConfig,
    PythonRecordInput,
    ShardedReader,
    ValueSpec,
    WriterOutputConfig,
)
from shardyfusion.errors import ShardCoverageError
from shardyfusion.sqlite_adapter import SqliteFactory, SqliteReaderFactory
from shardyfusion.type_defs import S3ConnectionOptions
from shardyfusion.writer import dask as dask_writer
from shardyfusion.writer.staged import publish_staged, stage_hash_sharded

N = 8000
ROWS = pd.DataFrame({"id": range(N), "payload": [f"row-{i}" for i in range(N)]})


@pytest.fixture(scope="module")
def client():
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, Client(cluster) as c:
        yield c


def expect_rows(reader: ShardedReader) -> None:
    assert reader.snapshot_info().row_count == N
    got = reader.multi_get(list(range(0, N, 7)) + [N])
    assert got[N] is None
    assert all(got[k] == f"row-{k}".encode() for k in range(0, N, 7))


@pytest.mark.parametrize("backend", ["slatedb", "sqlite"])
def test_dask_writes_onto_s3(client, s3, prefix, local_root, backend):
    opts = S3ConnectionOptions(endpoint_url=s3.endpoint, region_name=s3.region, addressing_style="path")
    if backend == "sqlite":
        config = HashShardedWriteConfig(
            num_dbs=5, s3_prefix=prefix, adapter_factory=SqliteFactory(s3_connection_options=opts)
        )
        reader_kw = {"reader_factory": SqliteReaderFactory(s3_connection_options=opts)}
    else:
        config = HashShardedWriteConfig(num_dbs=5, s3_prefix=prefix, s3_connection_options=opts)
        reader_kw = {"s3_connection_options": opts}
    result = dask_writer.write_hash_sharded(
        dd.from_pandas(ROWS, npartitions=4), config, ColumnWriteInput("id", ValueSpec.binary_col("payload"))
    )
    assert result.manifest_ref.startswith("s3://") and result.stats.rows_written == N
    with ShardedReader(s3_prefix=prefix, local_root=local_root, **reader_kw) as reader:
        expect_rows(reader)


def test_staged_shards_onto_s3(s3, prefix, local_root):
    opts = S3ConnectionOptions(endpoint_url=s3.endpoint, region_name=s3.region, addressing_style="path")
    config = HashShardedWriteConfig(
        num_dbs=4, s3_prefix=prefix, s3_connection_options=opts, output=WriterOutputConfig(run_id="r1")
    )
    records = ROWS.to_dict("records")
    input = PythonRecordInput(key_fn=lambda r: r["id"], value_fn=lambda r: r["payload"].encode())
    first = stage_hash_sharded(records, config, input, shards=(0, 1))
    assert first.manifest_ref is None
    with pytest.raises(ShardCoverageError, match="db_id 2, 3"):
        publish_staged(config)
    stage_hash_sharded(records, config, input, shards=(2, 3))
    again = stage_hash_sharded(records, config, input, shards=(1, 1))  # a retried task
    assert [w.attempt for w in again.winners] == [1]
    result = publish_staged(config)
    assert result.stats.rows_written == N and result.stats.num_attempt_results == 5
    with ShardedReader(s3_prefix=prefix, local_root=local_root, s3_connection_options=opts) as reader:
        expect_rows(reader)
