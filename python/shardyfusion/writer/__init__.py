"""Writers: shardyfusion.writer.python builds a snapshot from any Python iterable."""
