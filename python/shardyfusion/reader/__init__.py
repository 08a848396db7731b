"""Readers of published snapshots."""

from shardyfusion.reader._types import ReaderHealth, ShardDetail, SlateDbReaderFactory, SnapshotInfo
from shardyfusion.reader.reader import ConcurrentShardedReader, ShardedReader

__all__ = [
    "ConcurrentShardedReader",
    "ReaderHealth",
    "ShardDetail",
    "ShardedReader",
    "SlateDbReaderFactory",
    "SnapshotInfo",
]
