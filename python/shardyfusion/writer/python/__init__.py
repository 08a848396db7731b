"""Build a snapshot from any Python iterable."""

from shardyfusion.writer.python.writer import write_cel_sharded, write_hash_sharded

__all__ = ["write_cel_sharded", "write_hash_sharded"]
