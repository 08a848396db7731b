"""Reader-side types: snapshot introspection and the SlateDB reader factory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from shardyfusion import _native
from shardyfusion._factory_support import refuse_unsupported
from shardyfusion.errors import ConfigValidationError
from shardyfusion.sharding_types import KeyEncoding, ShardHashAlgorithm, ShardingStrategy
from shardyfusion.type_defs import S3ConnectionOptions


@dataclass(slots=True, frozen=True)
class SnapshotInfo:
    run_id: str
    num_dbs: int
    sharding: ShardingStrategy
    created_at: datetime
    manifest_ref: str
    row_count: int = 0
    key_encoding: KeyEncoding = KeyEncoding.U64BE
    hash_algorithm: ShardHashAlgorithm = ShardHashAlgorithm.XXH3_64
    # The C++ engine's additions.
    published_at: datetime | None = None
    backend: str = ""
    cel_expr: str | None = None
    cel_columns: dict[str, str] | None = None
    routing_values: list | None = None

    @classmethod
    def _from_native(cls, d: dict[str, Any]) -> "SnapshotInfo":
        return cls(
            run_id=d["run_id"],
            num_dbs=d["num_dbs"],
            sharding=ShardingStrategy(d["sharding"]),
            created_at=_parse_time(d["created_at"]),
            manifest_ref=d["manifest_ref"],
            row_count=d["row_count"],
            key_encoding=KeyEncoding(d["key_encoding"]),
            hash_algorithm=ShardHashAlgorithm(d["hash_algorithm"]),
            published_at=_parse_time(d["published_at"]) if d["published_at"] else None,
            backend=d["backend"],
            cel_expr=d["cel_expr"],
            cel_columns=d["cel_columns"],
            routing_values=d["routing_values"],
        )


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(slots=True, frozen=True)
class ShardDetail:
    db_id: int
    row_count: int
    min_key: int | float | str | bytes | None
    max_key: int | float | str | bytes | None
    db_url: str | None


@dataclass(slots=True)
class SlateDbReaderFactory:
    """Reads SlateDB shards with the engine's native reader and a shared block cache."""

    env_file: str | None = None
    credential_provider: object = None
    s3_connection_options: S3ConnectionOptions | None = None
    iterator_chunk_size: int = 1024
    block_cache_bytes: int = 256 * 1024 * 1024  # the C++ engine's

    def __post_init__(self) -> None:
        if self.iterator_chunk_size <= 0:
            raise ConfigValidationError(
                f"iterator_chunk_size must be positive, got {self.iterator_chunk_size}"
            )

    def _native_factory(self):
        refuse_unsupported("SlateDbReaderFactory", env_file=self.env_file)
        return _native.slatedb_reader_factory(self.block_cache_bytes)


@dataclass(slots=True, frozen=True)
class ReaderHealth:
    status: Literal["healthy", "degraded", "unhealthy"]
    manifest_ref: str
    # Since the snapshot's manifest was created (the reference measures from
    # the reader's construction, which says nothing about the data's age).
    manifest_age: timedelta
    num_shards: int
    is_closed: bool
