"""S3 settings on configs, factories and readers reach the engine's S3 store.

No S3 server here: the endpoint is a closed local port, so the error naming it
shows the settings were used (tests/s3/run.sh exercises a real server).
"""

from __future__ import annotations

import pytest

from shardyfusion import (
    ConfigValidationError,
    HashShardedWriteConfig,
    LocalSlateDbFactory,
    PythonRecordInput,
    ShardedReader,
    ShardyfusionError,
    SlateDbReaderFactory,
    StaticCredentialProvider,
)
from shardyfusion.errors import StorageError
from shardyfusion.sqlite_adapter import SqliteFactory
from shardyfusion.type_defs import S3ConnectionOptions
from shardyfusion.writer.python import write_hash_sharded

OPTS = S3ConnectionOptions(
    endpoint_url="http://127.0.0.1:1", region_name="garage", addressing_style="path", max_attempts=1
)
INPUT = PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: b"v")


def test_seed_factories_take_s3_connection_options(local_root):
    writer_factory = LocalSlateDbFactory(s3_connection_options=OPTS)
    reader_factory = SlateDbReaderFactory(s3_connection_options=OPTS)
    cfg = HashShardedWriteConfig(num_dbs=2, s3_prefix="s3://bkt/snap", adapter_factory=writer_factory)
    with pytest.raises(ShardyfusionError, match="127.0.0.1 port 1") as e:
        write_hash_sharded(range(3), cfg, INPUT)
    assert e.value.retryable
    with pytest.raises(StorageError, match="127.0.0.1 port 1"):
        ShardedReader(s3_prefix="s3://bkt/snap", local_root=local_root, reader_factory=reader_factory)


def test_config_and_reader_take_them_too(local_root):
    creds = StaticCredentialProvider(access_key_id="AK", secret_access_key="SK")
    cfg = HashShardedWriteConfig(
        num_dbs=2, s3_prefix="s3://bkt/snap", s3_connection_options=OPTS, credential_provider=creds
    )
    with pytest.raises(ShardyfusionError, match="127.0.0.1 port 1"):
        write_hash_sharded(range(3), cfg, INPUT)
    with pytest.raises(StorageError, match="127.0.0.1 port 1"):
        ShardedReader(s3_prefix="s3://bkt/snap", local_root=local_root, s3_connection_options=OPTS)


def test_bad_or_conflicting_settings_are_config_errors(local_root):
    with pytest.raises(ConfigValidationError, match="unknown S3 option"):
        ShardedReader(s3_prefix="s3://bkt/snap", local_root=local_root, s3_connection_options={"bogus": 1})
    cfg = HashShardedWriteConfig(
        num_dbs=2,
        s3_prefix="s3://bkt/snap",
        s3_connection_options=OPTS,
        adapter_factory=SqliteFactory(s3_connection_options={"endpoint_url": "http://elsewhere"}),
    )
    with pytest.raises(ConfigValidationError, match="different values"):
        write_hash_sharded(range(3), cfg, INPUT)


def test_a_local_prefix_ignores_them(store, local_root):
    prefix = str(store / "local")
    cfg = HashShardedWriteConfig(num_dbs=2, s3_prefix=prefix, adapter_factory=LocalSlateDbFactory(s3_connection_options=OPTS))
    write_hash_sharded(range(3), cfg, INPUT)
    with ShardedReader(s3_prefix=prefix, local_root=local_root, s3_connection_options=OPTS) as reader:
        assert reader.get(2) == b"v"
