"""Readers of published snapshots."""

from shardyfusion.reader._types import ShardDetail, SlateDbReaderFactory, SnapshotInfo
from shardyfusion.reader.reader import ShardedReader

__all__ = ["ShardDetail", "ShardedReader", "SlateDbReaderFactory", "SnapshotInfo"]
