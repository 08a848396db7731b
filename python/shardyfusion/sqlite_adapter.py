"""The SQLite backend: one shard.db per shard (docs/format/sqlite-shard.md)."""

from __future__ import annotations

from dataclasses import dataclass

from shardyfusion import _native
from shardyfusion.errors import ConfigValidationError, ShardyfusionError
from shardyfusion.type_defs import S3ConnectionOptions

_PAGE_SIZES = (4096, 8192, 16384, 32768, 65536)


class SqliteAdapterError(ShardyfusionError):
    pass


@dataclass(slots=True)
class SqliteFactory:
    """Writes each shard as one SQLite file, uploaded when the shard is sealed."""

    page_size: int = 4096
    cache_size_pages: int = -2000
    s3_connection_options: S3ConnectionOptions | None = None
    credential_provider: object = None
    emit_sidecar: bool = True  # accepted; the engine writes no sidecar

    def __post_init__(self) -> None:
        if isinstance(self.page_size, str):
            # "auto" (page size from value sizes) is the reference's; not in this engine yet.
            raise ConfigValidationError(
                f"page_size string must be 'auto', got {self.page_size!r}"
                if self.page_size != "auto"
                else "page_size 'auto' is not supported by the C++ engine yet"
            )
        if self.page_size not in _PAGE_SIZES:
            raise ConfigValidationError(
                f"page_size {self.page_size} not in supported sizes {_PAGE_SIZES}"
            )

    def _native_factory(self):
        return _native.sqlite_writer_factory(self.page_size, self.cache_size_pages)


@dataclass(slots=True)
class SqliteReaderFactory:
    """Downloads each shard.db once into the reader's local_root and reads it there."""

    mmap_size: int = 268435456
    s3_connection_options: S3ConnectionOptions | None = None
    credential_provider: object = None
    cache_size_pages: int = -8000

    def _native_factory(self):
        return _native.sqlite_reader_factory(self.mmap_size, self.cache_size_pages)
