"""Build results and shard metadata (the reference's shardyfusion/manifest.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class ManifestRefStr(str):
    """The published manifest's ref: a ``str``, as the reference returns it,
    that also answers ``.ref`` as its usage docs print it."""

    __slots__ = ()

    @property
    def ref(self) -> str:
        return str.__str__(self)


@dataclass(slots=True, frozen=True)
class ManifestRef:
    ref: str
    run_id: str
    published_at: datetime


@dataclass(slots=True, frozen=True)
class WriterInfo:
    stage_id: int | None = None
    task_attempt_id: int | None = None
    attempt: int = 0
    duration_ms: int = 0


@dataclass(slots=True)
class RequiredShardMeta:
    db_id: int
    attempt: int
    row_count: int
    db_bytes: int
    db_url: str | None = None
    min_key: int | str | bytes | None = None
    max_key: int | str | bytes | None = None
    checkpoint_id: str | None = None
    writer_info: WriterInfo = field(default_factory=WriterInfo)


@dataclass(slots=True)
class BuildDurations:
    sharding_ms: int = 0
    write_ms: int = 0
    manifest_ms: int = 0
    total_ms: int = 0


@dataclass(slots=True)
class BuildStats:
    durations: BuildDurations = field(default_factory=BuildDurations)
    num_attempt_results: int = 0
    num_winners: int = 0
    rows_written: int = 0
    bytes_written: int = 0  # the C++ engine's: key+value bytes handed to shards


@dataclass(slots=True)
class BuildResult:
    run_id: str
    winners: list[RequiredShardMeta]
    manifest_ref: ManifestRefStr  # None for a staged build (shardyfusion.writer.staged)
    stats: BuildStats
    run_record_ref: str | None = None
    num_dbs: int = 0

    @classmethod
    def _from_native(cls, d: dict[str, Any]) -> "BuildResult":
        s = d["stats"]
        return cls(
            run_id=d["run_id"],
            winners=[RequiredShardMeta(**w) for w in d["winners"]],
            # None for a staged build, which publishes nothing.
            manifest_ref=ManifestRefStr(d["manifest_ref"]) if d["manifest_ref"] else None,
            stats=BuildStats(
                durations=BuildDurations(
                    write_ms=s["write_ms"], manifest_ms=s["manifest_ms"], total_ms=s["total_ms"]
                ),
                num_attempt_results=s["num_attempt_results"],
                num_winners=s["num_winners"],
                rows_written=s["rows_written"],
                bytes_written=s["bytes_written"],
            ),
            run_record_ref=d["run_record_ref"] or None,
            num_dbs=d["num_dbs"],
        )
