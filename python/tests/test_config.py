"""Configuration errors: each a ConfigValidationError, with nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import files_under
from shardyfusion import (
    BufferingOptions,
    CelShardedWriteConfig,
    ConfigValidationError,
    HashShardedWriteConfig,
    HashShardingConfig,
    KeyEncoding,
    KeyValueWriteConfig,
    PythonRecordInput,
    PythonWriteOptions,
    RetryConfig,
    WriterManifestConfig,
    WriterOutputConfig,
)
from shardyfusion.sqlite_adapter import SqliteFactory
from shardyfusion.writer.python import write_cel_sharded, write_hash_sharded

INPUT = PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: b"v")


def test_flat_keywords_fill_the_groups():
    cfg = HashShardedWriteConfig(
        num_dbs=4, s3_prefix="/tmp/x", key_encoding="u32be", batch_size=10,
        shard_retry=RetryConfig(max_retries=1, initial_backoff=timedelta(seconds=0.5)),
        max_writes_per_second=100.0,
    )
    assert cfg.num_dbs == 4 and cfg.sharding == HashShardingConfig(num_dbs=4)
    assert cfg.storage.s3_prefix == cfg.s3_prefix == "/tmp/x"
    assert cfg.kv.key_encoding is KeyEncoding.U32BE and cfg.batch_size == 10
    assert cfg.shard_retry.max_retries == 1
    assert cfg.rate_limits.max_writes_per_second == 100.0
    assert cfg.output.local_root.endswith("shardyfusion")
    with pytest.raises(AttributeError):
        cfg.num_dbs = 5


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: HashShardedWriteConfig(), "sharding.num_dbs must be > 0"),
        (lambda: HashShardedWriteConfig(num_dbs=0, s3_prefix="/tmp/x"), "num_dbs must be > 0"),
        (lambda: HashShardedWriteConfig(num_dbs=2), "s3_prefix"),
        (lambda: HashShardedWriteConfig(num_dbs=2, max_keys_per_shard=5, s3_prefix="/tmp/x"), "must be None"),
        (lambda: HashShardedWriteConfig(num_dbs=2, s3_prefix="/tmp/x", batch_size=0), "kv.batch_size"),
        (lambda: HashShardedWriteConfig(num_dbs=2, s3_prefix="/tmp/x", key_encoding="u16"), "key encoding"),
        (lambda: HashShardedWriteConfig(num_dbs=2, s3_prefix="/tmp/x", kv=KeyValueWriteConfig(), batch_size=3),
         "kv cannot be combined"),
        (lambda: HashShardedWriteConfig(sharding=HashShardingConfig(num_dbs=2), num_dbs=2, s3_prefix="/tmp/x"),
         "sharding cannot be combined"),
        (lambda: HashShardedWriteConfig(num_dbs=2, s3_prefix="/tmp/x",
                                        output=WriterOutputConfig(shard_prefix="a/b")), "shard_prefix"),
        (lambda: HashShardedWriteConfig(num_dbs=2, s3_prefix="/tmp/x", max_writes_per_second=0),
         "rate_limits.max_writes_per_second"),
        (lambda: CelShardedWriteConfig(cel_columns={"key": "int"}, s3_prefix="/tmp/x"), "requires cel_expr"),
        (lambda: CelShardedWriteConfig(cel_expr="key", s3_prefix="/tmp/x"), "requires cel_columns"),
        (lambda: CelShardedWriteConfig(cel_expr="key", cel_columns={"key": "int"}, routing_values=[1, "a"],
                                       s3_prefix="/tmp/x"), "Routing values"),
        (lambda: CelShardedWriteConfig(cel_expr="key", cel_columns={"key": "int"}, routing_values=[1],
                                       infer_routing_values_from_data=True, s3_prefix="/tmp/x"), "cannot be combined"),
        (lambda: SqliteFactory(page_size=1000), "page_size"),
        (lambda: WriterOutputConfig(db_path_template="db"), "must contain"),
    ],
)
def test_construction_errors(make, message):
    with pytest.raises(ConfigValidationError, match=message):
        make()


def test_keyword_only():
    with pytest.raises(TypeError):
        HashShardedWriteConfig(4)  # type: ignore[misc]
    with pytest.raises(TypeError):
        HashShardedWriteConfig(num_dbs=4, s3_prefix="/tmp/x", bogus=1)  # type: ignore[call-arg]


def hash_cfg(prefix, **kw):
    return HashShardedWriteConfig(s3_prefix=str(prefix), **{"num_dbs": 2, **kw})


def cel_cfg(prefix, **kw):
    return CelShardedWriteConfig(s3_prefix=str(prefix), **kw)


@pytest.mark.parametrize(
    "write",
    [
        # Engine-side checks, when the write opens.
        lambda p: write_cel_sharded(range(3), cel_cfg(p, cel_expr="key +", cel_columns={"key": "int"}), INPUT),
        lambda p: write_cel_sharded(range(3), cel_cfg(p, cel_expr="key", cel_columns={"key": "float"}), INPUT),
        lambda p: write_cel_sharded(range(3), cel_cfg(p, cel_expr="nope", cel_columns={"key": "int"}), INPUT),
        lambda p: write_hash_sharded(range(3), hash_cfg(p, output=WriterOutputConfig(db_path_template="d={x}")),
                                     INPUT),
        lambda p: write_hash_sharded(range(3), hash_cfg(p, num_dbs=70_000), INPUT),
        lambda p: write_hash_sharded(range(3), hash_cfg(p, manifest=WriterManifestConfig(
            custom_manifest_fields={"x": object()})), INPUT),
        # Python-side checks at write time.
        lambda p: write_hash_sharded(range(3), hash_cfg(p), PythonRecordInput(key_fn=1, value_fn=len)),
        lambda p: write_hash_sharded(range(3), hash_cfg(p), INPUT, PythonWriteOptions(max_queue_size=0)),
        lambda p: write_hash_sharded(range(3), hash_cfg(p), INPUT,
                                     PythonWriteOptions(buffering=BufferingOptions(max_total_batched_items=0))),
        lambda p: write_hash_sharded(range(3), hash_cfg(p, metrics_collector=object()), INPUT),  # no emit
        lambda p: write_hash_sharded(range(3), hash_cfg(p, run_registry=object()), INPUT),  # not bound yet
        lambda p: write_hash_sharded(range(3), cel_cfg(p, cel_expr="key", cel_columns={"key": "int"}), INPUT),
    ],
)
def test_write_time_config_errors_write_nothing(store, write):
    prefix = store / "snap"
    with pytest.raises(ConfigValidationError):
        write(prefix)
    assert files_under(prefix) == []


def test_a_reused_run_id_is_refused_before_writing(store):
    prefix = store / "snap"
    cfg = hash_cfg(prefix, output=WriterOutputConfig(run_id="fixed"))
    write_hash_sharded(range(10), cfg, INPUT)
    before = files_under(prefix)
    with pytest.raises(ConfigValidationError, match="fixed"):
        write_hash_sharded(range(10), cfg, INPUT)
    assert files_under(prefix) == before
