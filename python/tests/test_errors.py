import importlib
from pathlib import Path

import pytest

import shardyfusion
from shardyfusion import errors


def test_hierarchy_and_retryable_defaults():
    expected = {
        "ConfigValidationError": False,
        "ShardAssignmentError": False,
        "ShardCoverageError": False,
        "DbAdapterError": False,
        "PublishManifestError": True,
        "PublishCurrentError": True,
        "ManifestParseError": False,
        "ReaderStateError": False,
        "ShardWriteError": True,
        "PoolExhaustedError": True,
        "S3TransientError": True,
    }
    for name, retryable in expected.items():
        cls = getattr(shardyfusion, name)
        assert issubclass(cls, shardyfusion.ShardyfusionError)
        assert cls.retryable is retryable, name
    assert shardyfusion.ShardyfusionError.retryable is False


@pytest.mark.parametrize(
    "code,cls",
    [
        ("ConfigValidation", errors.ConfigValidationError),
        ("ShardAssignment", errors.ShardAssignmentError),
        ("ShardCoverage", errors.ShardCoverageError),
        ("ShardWrite", errors.ShardWriteError),
        ("DbAdapter", errors.DbAdapterError),
        ("PublishManifest", errors.PublishManifestError),
        ("PublishCurrent", errors.PublishCurrentError),
        ("ManifestParse", errors.ManifestParseError),
        ("ReaderState", errors.ReaderStateError),
        ("Storage", errors.StorageError),
        ("PreconditionFailed", errors.StorageError),
        ("InvalidInput", errors.InvalidInputError),
        ("InvalidArgument", errors.InvalidArgumentError),
        ("Internal", errors.InternalError),
    ],
)
def test_every_engine_code_maps_to_one_class(code, cls):
    e = errors.from_status(code, "boom", False, None)
    assert type(e) is cls
    assert isinstance(e, shardyfusion.ShardyfusionError)
    assert str(e) == "boom"
    assert e.retryable is False  # the engine's verdict wins over the class default


def test_publish_current_carries_the_manifest_ref():
    e = errors.from_status("PublishCurrent", "lost the race", True, "file:///x/manifests/m")
    assert isinstance(e, shardyfusion.PublishCurrentError)
    assert e.manifest_ref == "file:///x/manifests/m"
    assert e.retryable is True
    assert shardyfusion.PublishCurrentError("x").manifest_ref is None


def test_star_import_and_the_import_map():
    namespace: dict = {}
    exec("from shardyfusion import *", namespace)
    assert all(name in namespace for name in shardyfusion.__all__)
    for module, name in [
        ("shardyfusion.reader", "SlateDbReaderFactory"),
        ("shardyfusion.sqlite_adapter", "SqliteFactory"),
        ("shardyfusion.sqlite_adapter", "SqliteReaderFactory"),
        ("shardyfusion.type_defs", "S3ConnectionOptions"),
        ("shardyfusion.writer.python", "write_hash_sharded"),
        ("shardyfusion.writer.python", "write_cel_sharded"),
        ("shardyfusion.cel", "UnknownRoutingTokenError"),
    ]:
        assert hasattr(importlib.import_module(module), name), (module, name)

    assert shardyfusion.LocalSlateDbFactory.__module__ == "shardyfusion.local_slatedb_adapter"


def test_help_explains_the_calls():
    import pydoc

    from shardyfusion.writer import python as writer

    def text(obj) -> str:
        return pydoc.render_doc(obj, renderer=pydoc.plaintext)

    hash_help = text(writer.write_hash_sharded)
    for needle in ("records", "generator", "key_fn", "value_fn", "BuildResult", "manifest_ref",
                   "ConfigValidationError", "ShardWriteError", "PublishCurrentError", "parallel=True"):
        assert needle in hash_help, needle
    cel_help = text(writer.write_cel_sharded)
    for needle in ("cel_columns", "routing_values", "infer_routing_values_from_data", "key % 4u"):
        assert needle in cel_help, needle
    for needle in ("num_dbs", "s3_prefix", "adapter_factory", "shard_retry", "key_encoding"):
        assert needle in text(shardyfusion.HashShardedWriteConfig), needle
    reader_help = text(shardyfusion.ShardedReader)
    for needle in ("multi_get", "routing_context", "threads", "refresh", "ReaderStateError"):
        assert needle in reader_help, needle
    assert (Path(shardyfusion.__file__).parent / "py.typed").is_file()
