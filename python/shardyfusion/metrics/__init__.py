"""Metric events (the reference's shardyfusion/metrics).

A collector is any object with ``emit(event: MetricEvent, payload: dict)``.
The engine calls it synchronously from whatever thread does the work (the
caller's, or a shard worker's), so it must be thread-safe and cheap, and
ignore events it does not know. An exception it raises is reported as
unraisable and never fails a build or a lookup.
"""

from __future__ import annotations

from enum import Enum, unique
from typing import Any, Callable, Protocol, runtime_checkable

from shardyfusion.errors import ConfigValidationError


@unique
class MetricEvent(str, Enum):
    WRITE_STARTED = "write.started"
    SHARDING_COMPLETED = "write.sharding_completed"
    SHARD_WRITE_STARTED = "write.shard.started"
    SHARD_WRITE_COMPLETED = "write.shard.completed"
    BATCH_WRITTEN = "write.batch_written"
    SHARD_WRITES_COMPLETED = "write.shards_completed"
    MANIFEST_PUBLISHED = "write.manifest_published"
    CURRENT_PUBLISHED = "write.current_published"
    WRITE_COMPLETED = "write.completed"
    WRITE_FAILED = "write.failed"  # the C++ engine's
    SHARD_WRITE_RETRIED = "write.shard.retried"
    SHARD_WRITE_RETRY_EXHAUSTED = "write.shard.retry_exhausted"
    READER_INITIALIZED = "reader.initialized"
    READER_GET = "reader.get"
    READER_MULTI_GET = "reader.multi_get"
    READER_REFRESHED = "reader.refreshed"
    READER_CLOSED = "reader.closed"
    S3_RETRY = "s3.retry"
    S3_RETRY_EXHAUSTED = "s3.retry_exhausted"
    RATE_LIMITER_THROTTLED = "rate_limiter.throttled"
    RATE_LIMITER_DENIED = "rate_limiter.denied"


@runtime_checkable
class MetricsCollector(Protocol):
    def emit(self, event: MetricEvent, payload: dict[str, Any]) -> None: ...


_BOOL_FIELDS = frozenset({"found", "changed"})


def _python_value(key: str, value: Any) -> Any:
    if key in _BOOL_FIELDS:
        return bool(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def native_emitter(collector: Any) -> Callable[[str, dict], None] | None:
    """What the _native module calls: (event name, payload of floats and strs)."""
    if collector is None:
        return None
    emit = getattr(collector, "emit", None)
    if not callable(emit):
        raise ConfigValidationError(
            f"metrics_collector must have emit(event, payload), got {type(collector).__name__}"
        )

    def forward(name: str, payload: dict) -> None:
        try:
            event: Any = MetricEvent(name)
        except ValueError:
            event = name
        emit(event, {k: _python_value(k, v) for k, v in payload.items()})

    return forward
