"""ShardedReader: point lookups against a published snapshot.

Unlike the reference's ShardedReader, this one may be shared by threads: the
C++ reader is thread-safe, lookups release the GIL, and refresh() swaps the
snapshot atomically while lookups in flight finish on the old one.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Sequence

from shardyfusion import _native
from shardyfusion._factory_support import s3_settings
from shardyfusion.cel import UnknownRoutingTokenError
from shardyfusion.errors import ConfigValidationError, ReaderStateError, ShardAssignmentError
from shardyfusion.metrics import native_emitter
from shardyfusion.reader._types import ReaderHealth, ShardDetail, SnapshotInfo
from shardyfusion.sharding_types import KeyEncoding
from shardyfusion.type_defs import KeyInput


class ShardedReader:
    """Point lookups on the snapshot that ``<s3_prefix>/_CURRENT`` names.

    ``ShardedReader(s3_prefix=..., local_root=..., reader_factory=...)`` loads
    the manifest and opens the shards (``SlateDbReaderFactory()`` by default;
    ``SqliteReaderFactory()`` for SQLite snapshots; ``local_root`` holds the
    local copies). A manifest that does not parse falls back to the newest
    one that does (``max_fallback_attempts``).

    ``get(key)`` returns the value or None; ``multi_get(keys)`` a dict key ->
    value or None; ``route_key`` / ``shard_for_key`` tell which shard a key
    belongs to; ``refresh()`` follows ``_CURRENT`` to a newer snapshot
    (True if it moved); ``snapshot_info()`` / ``shard_details()`` describe the
    snapshot. CEL snapshots take ``routing_context={column: value}``.
    ``multi_get`` reads the shards its keys route to in parallel on up to
    ``max_workers`` threads (default: the machine's cores, at most 8; 1 reads
    them in turn on the calling thread).

    ``open_shards="eager"`` (the default, as the reference does) opens every
    shard before the constructor returns, so a damaged shard fails it;
    ``"lazy"`` opens each shard on its first lookup: the constructor then
    reads only ``_CURRENT`` and the manifest, whatever the shard count.

    One reader may be shared by any number of threads: lookups run in C++
    without the GIL. Use it as a context manager, or call ``close()``.
    Errors: ``ReaderStateError`` (nothing published, no valid manifest, closed),
    ``ManifestParseError``, ``DbAdapterError`` (a damaged shard), ``StorageError``.
    """

    def __init__(
        self,
        *,
        s3_prefix: str,
        local_root: str,
        manifest_store: Any = None,
        current_pointer_key: str = "_CURRENT",
        reader_factory: Any = None,
        slate_env_file: str | None = None,
        credential_provider: Any = None,
        s3_connection_options: Any = None,
        max_workers: int | None = None,
        max_fallback_attempts: int = 3,
        metrics_collector: Any = None,
        rate_limiter: Any = None,
        open_shards: str = "eager",
    ) -> None:
        if max_workers is not None and (not isinstance(max_workers, int) or max_workers < 1):
            raise ValueError("max_workers must be a positive integer (>= 1)")
        if open_shards not in ("eager", "lazy"):
            raise ConfigValidationError(
                f"open_shards must be 'eager' or 'lazy', got {open_shards!r}"
            )
        for name, value in (
            ("manifest_store", manifest_store),
            ("slate_env_file", slate_env_file),
            ("rate_limiter", rate_limiter),
        ):
            if value is not None:
                raise ConfigValidationError(
                    f"ShardedReader({name}=...) is not supported by the C++ engine's Python "
                    "binding yet"
                )
        native_factory = None
        if reader_factory is not None:
            if not hasattr(reader_factory, "_native_factory"):
                raise ConfigValidationError(
                    "reader_factory must be SlateDbReaderFactory or SqliteReaderFactory, got "
                    f"{type(reader_factory).__name__}"
                )
            native_factory = reader_factory._native_factory()
        self._native = _native.Reader(
            s3_prefix,
            {
                "local_root": local_root,
                "current_name": current_pointer_key,
                "max_fallback_attempts": max_fallback_attempts,
                "lookup_threads": 0 if max_workers is None else max_workers,
                "open_shards_eagerly": open_shards == "eager",
                "reader_factory": native_factory,
                "metrics": native_emitter(metrics_collector),
                "s3": s3_settings(
                    ("ShardedReader", s3_connection_options, credential_provider),
                    (
                        "reader_factory",
                        getattr(reader_factory, "s3_connection_options", None),
                        getattr(reader_factory, "credential_provider", None),
                    ),
                ),
            },
        )
        # What introspection answers after close().
        self._last_info: SnapshotInfo | None = None
        self._last_details: list[ShardDetail] | None = None

    # Lookups.
    def get(self, key: KeyInput, *, routing_context: dict[str, object] | None = None) -> bytes | None:
        """The value stored under ``key``, or None."""
        return self._native.get(key, routing_context)

    def multi_get(
        self, keys: Sequence[KeyInput], *, routing_context: dict[str, object] | None = None
    ) -> dict[KeyInput, bytes | None]:
        """A dict holding every key of ``keys`` -> its value, or None when absent."""
        return self._native.multi_get(keys, routing_context)

    # Routing introspection.
    def route_key(self, key: KeyInput, *, routing_context: dict[str, object] | None = None) -> int:
        """The db_id of ``key``; UnknownRoutingTokenError if its CEL result names no shard."""
        try:
            return self._native.route_key(key, routing_context)
        except ShardAssignmentError as e:
            raise UnknownRoutingTokenError(str(e)) from None

    def shard_for_key(
        self, key: KeyInput, *, routing_context: dict[str, object] | None = None
    ) -> ShardDetail:
        try:
            return ShardDetail(**self._native.shard_for_key(key, routing_context))
        except ShardAssignmentError as e:
            raise UnknownRoutingTokenError(str(e)) from None

    def shards_for_keys(self, keys: Sequence[KeyInput]) -> dict[KeyInput, ShardDetail]:
        return {key: self.shard_for_key(key) for key in keys}

    @property
    def key_encoding(self) -> KeyEncoding:
        return self.snapshot_info().key_encoding

    # Snapshot introspection: keeps answering from the last state after close().
    def snapshot_info(self) -> SnapshotInfo:
        """The snapshot served: manifest ref, run id, num_dbs, row count, encoding, time."""
        if self._native.closed and self._last_info is not None:
            return self._last_info
        return SnapshotInfo._from_native(self._native.snapshot_info())

    def shard_details(self) -> list[ShardDetail]:
        """One ShardDetail per shard: db_id, row_count, min/max key, db_url."""
        if self._native.closed and self._last_details is not None:
            return list(self._last_details)
        return [ShardDetail(**d) for d in self._native.shard_details()]

    def health(self, *, staleness_threshold: timedelta | None = None) -> ReaderHealth:
        if self._native.closed:
            return ReaderHealth("unhealthy", "", timedelta(0), 0, True)
        info = self.snapshot_info()
        age = max(datetime.now(timezone.utc) - info.created_at, timedelta(0))
        stale = staleness_threshold is not None and age > staleness_threshold
        return ReaderHealth("degraded" if stale else "healthy", info.manifest_ref, age, info.num_dbs, False)

    # Lifecycle.
    def refresh(self) -> bool:
        """Follows _CURRENT to a newer snapshot; True if the reader moved to it."""
        return self._native.refresh()

    def close(self) -> None:
        """Closes the shards; lookups in flight finish first. Idempotent."""
        if self._native.closed:
            return
        try:
            self._last_info = self.snapshot_info()
            self._last_details = self.shard_details()
        except ReaderStateError:  # closed by another thread meanwhile
            pass
        self._native.close()

    def __enter__(self) -> "ShardedReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ConcurrentShardedReader(ShardedReader):
    """The reference's thread-safe reader. ShardedReader already is one here,
    so both modes behave alike: "lock" and "pool" only choose how the
    reference would have guarded its shard readers. Unlike ShardedReader,
    every method but health() raises ReaderStateError once closed."""

    def __init__(
        self,
        *,
        thread_safety: str = "lock",
        pool_checkout_timeout: timedelta = timedelta(seconds=30.0),
        **kwargs: Any,
    ) -> None:
        if thread_safety not in ("lock", "pool"):
            raise ValueError("thread_safety must be 'lock' or 'pool'")
        if pool_checkout_timeout <= timedelta(0):
            raise ValueError("pool_checkout_timeout must be > 0")
        super().__init__(**kwargs)
        self.thread_safety = thread_safety
        self.pool_checkout_timeout = pool_checkout_timeout

    def _check_open(self) -> None:
        if self._native.closed:
            raise ReaderStateError("Reader is closed")

    def snapshot_info(self) -> SnapshotInfo:
        self._check_open()
        return super().snapshot_info()

    def shard_details(self) -> list[ShardDetail]:
        self._check_open()
        return super().shard_details()

    @property
    def key_encoding(self) -> KeyEncoding:
        return self.snapshot_info().key_encoding
