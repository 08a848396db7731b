"""Build a snapshot from a Dask DataFrame (needs dask[dataframe], pandas and, for a cluster, distributed)."""

from shardyfusion.writer.dask.writer import write_cel_sharded, write_hash_sharded

__all__ = ["write_cel_sharded", "write_hash_sharded"]
