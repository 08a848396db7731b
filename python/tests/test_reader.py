"""Reader extras: health(), ConcurrentShardedReader, lookup key rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shardyfusion import (
    ConcurrentShardedReader,
    ConfigValidationError,
    HashShardedWriteConfig,
    PythonRecordInput,
    ReaderStateError,
    ShardedReader,
)
from shardyfusion.writer.python import write_hash_sharded


@pytest.fixture
def snapshot(store) -> str:
    prefix = str(store / "snap")
    write_hash_sharded(
        range(100),
        HashShardedWriteConfig(num_dbs=3, s3_prefix=prefix),
        PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: b"%d" % r),
    )
    return prefix


def test_health(snapshot, local_root):
    reader = ShardedReader(s3_prefix=snapshot, local_root=local_root)
    h = reader.health()
    assert (h.status, h.num_shards, h.is_closed) == ("healthy", 3, False)
    assert h.manifest_ref == reader.snapshot_info().manifest_ref
    assert reader.health(staleness_threshold=timedelta(microseconds=1)).status == "degraded"
    reader.close()
    assert reader.health() == type(h)("unhealthy", "", timedelta(0), 0, True)


def test_concurrent_reader(snapshot, local_root):
    with pytest.raises(ValueError, match="thread_safety"):
        ConcurrentShardedReader(s3_prefix=snapshot, local_root=local_root, thread_safety="mutex")
    with ConcurrentShardedReader(s3_prefix=snapshot, local_root=local_root, thread_safety="pool") as reader:
        assert reader.get(5) == b"5"
        assert reader.multi_get([5, 500]) == {5: b"5", 500: None}
    with pytest.raises(ReaderStateError):
        reader.snapshot_info()
    with pytest.raises(ReaderStateError):
        reader.get(5)
    assert reader.health().status == "unhealthy"


def test_lookup_key_rules(snapshot, local_root):
    with ShardedReader(s3_prefix=snapshot, local_root=local_root) as reader:
        # bool is an int (0/1), as in the reference; str and negative ints do not fit u64be.
        assert reader.get(True) == b"1"
        with pytest.raises(ConfigValidationError):
            reader.get("5")
        with pytest.raises(ConfigValidationError):
            reader.get(-1)
        with pytest.raises(ValueError, match="out of range"):
            reader.get(2**70)
        assert reader.shards_for_keys([1, 2]).keys() == {1, 2}

        class NumpyLikeInt:  # what numpy.int64 offers: __index__
            def __init__(self, v):
                self.v = v

            def __index__(self):
                return self.v

        assert reader.get(NumpyLikeInt(7)) == b"7"
        with pytest.raises(ConfigValidationError):
            reader.get(7.0)


def test_multi_get_on_every_thread_count_and_input_kind(snapshot, local_root):
    keys = [7, 250, 3, 99, 7, 1000] + list(range(0, 100, 3)) * 10  # misses, duplicates, > 128 keys
    expected = {k: (b"%d" % k if k < 100 else None) for k in keys}
    for workers in (None, 1, 2, 4):
        with ShardedReader(s3_prefix=snapshot, local_root=local_root, max_workers=workers) as reader:
            assert reader.multi_get(keys) == expected
            assert list(reader.multi_get(keys)) == list(expected)  # input order, duplicates collapsed
            assert reader.multi_get(tuple(keys)) == expected
            assert reader.multi_get(k for k in keys) == expected  # any iterable
            assert reader.multi_get([]) == {}
    with pytest.raises(ValueError, match="max_workers"):
        ShardedReader(s3_prefix=snapshot, local_root=local_root, max_workers=0)
