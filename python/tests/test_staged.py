"""Staged shards from Python (shardyfusion.writer.staged): several stagers, one publish."""

from __future__ import annotations

import pytest

from shardyfusion import (
    CelShardedWriteConfig,
    HashShardedWriteConfig,
    PythonRecordInput,
    ShardedReader,
    WriterOutputConfig,
)
from shardyfusion.errors import ConfigValidationError, ShardCoverageError
from shardyfusion.writer.staged import (
    discard_staged,
    publish_staged,
    stage_cel_sharded,
    stage_hash_sharded,
)

N = 3000
RECORDS = [{"id": i, "v": f"v{i}".encode()} for i in range(N)]
INPUT = PythonRecordInput(key_fn=lambda r: r["id"], value_fn=lambda r: r["v"])


def config(store, **kw) -> HashShardedWriteConfig:
    return HashShardedWriteConfig(
        num_dbs=6, s3_prefix=str(store / "snap"), output=WriterOutputConfig(run_id="r1"), **kw
    )


def test_two_stagers_then_one_publish(store, local_root):
    a = stage_hash_sharded(RECORDS, config(store), INPUT, shards=(0, 2))
    assert a.manifest_ref is None and all(w.db_id <= 2 for w in a.winners)
    assert not (store / "snap" / "_CURRENT").exists()
    with pytest.raises(ShardCoverageError, match="db_id 3, 4, 5"):
        publish_staged(config(store))
    b = stage_hash_sharded(RECORDS, config(store), INPUT, shards=(3, 5))
    assert a.stats.rows_written + b.stats.rows_written == N
    result = publish_staged(config(store))
    assert result.manifest_ref and result.stats.rows_written == N
    with ShardedReader(s3_prefix=str(store / "snap"), local_root=local_root) as reader:
        assert reader.multi_get([0, 1500, N - 1]) == {0: b"v0", 1500: b"v1500", N - 1: f"v{N - 1}".encode()}
    with pytest.raises(ConfigValidationError, match="published"):
        publish_staged(config(store))
    with pytest.raises(ConfigValidationError, match="published"):
        stage_hash_sharded(RECORDS, config(store), INPUT, shards=(0, 0))


def test_disagreeing_stagers_are_refused(store):
    stage_hash_sharded(RECORDS, config(store), INPUT, shards=(0, 2))
    other = config(store, key_encoding="u32be")
    stage_hash_sharded(RECORDS, other, INPUT, shards=(3, 5))
    with pytest.raises(ConfigValidationError, match="key_encoding"):
        publish_staged(config(store))
    discard_staged(config(store))
    assert [p for p in (store / "snap" / "shards").rglob("*") if p.is_file() and not p.name.startswith(".")] == []


def test_staging_rules(store):
    no_run = HashShardedWriteConfig(num_dbs=2, s3_prefix=str(store / "snap"))
    with pytest.raises(ConfigValidationError, match="run_id"):
        stage_hash_sharded(RECORDS, no_run, INPUT)
    with pytest.raises(ConfigValidationError, match="not a range within"):
        stage_hash_sharded(RECORDS, config(store), INPUT, shards=(4, 9))
    with pytest.raises(ConfigValidationError, match="shards must be"):
        stage_hash_sharded(RECORDS, config(store), INPUT, shards=[0, 1])
    with pytest.raises(ConfigValidationError, match="staged run's id"):
        publish_staged(no_run)


def test_cel_direct_mode_stages_with_a_known_shard_count(store, local_root):
    cel = CelShardedWriteConfig(
        s3_prefix=str(store / "snap"), cel_expr="key % 4", cel_columns={"key": "int"},
        output=WriterOutputConfig(run_id="r1"),
    )
    with pytest.raises(ConfigValidationError, match="shard count"):
        stage_cel_sharded(RECORDS, cel, INPUT, shards=(0, 1))
    stage_cel_sharded(RECORDS, cel, INPUT, shards=(0, 1), num_dbs=4)
    stage_cel_sharded(RECORDS, cel, INPUT, shards=(2, 3), num_dbs=4)
    result = publish_staged(cel)
    assert result.num_dbs == 4 and [w.row_count for w in result.winners] == [N // 4] * 4
    with ShardedReader(s3_prefix=str(store / "snap"), local_root=local_root) as reader:
        assert reader.get(2999) == b"v2999"
