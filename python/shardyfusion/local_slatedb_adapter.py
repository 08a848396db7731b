"""SlateDB, local first: each shard is built on local disk and uploaded when sealed."""

from __future__ import annotations

from dataclasses import dataclass

from shardyfusion.slatedb_adapter import SlateDbFactory


@dataclass(slots=True)
class LocalSlateDbFactory(SlateDbFactory):
    _LOCAL = True
