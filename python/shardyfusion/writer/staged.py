"""Staged shards: one run written by several processes, published once.

Each process stages some shards of a run: it writes the records that route
to its shards (the rest are read and skipped), seals them and records each
sealed shard under the run instead of publishing. Once every shard of the
run is staged, one ``publish_staged`` call checks that the stagers agreed
(sharding, key encoding, layout), selects the winners, publishes the
manifest, switches ``_CURRENT`` and deletes the losing attempts. The layout
of the staging records is docs/format/layout.md, "Staged shards"; the CLI
equivalent is ``shardy build --no-publish --only-shards A-B`` then
``shardy publish``.

Every stager must use the same config (``output.run_id`` set and shared,
the same ``num_dbs`` or CEL routing, key encoding and layout) and read the
same records. Two processes may stage one shard (a retried task): each
writes its own attempt, the lowest wins, the other is deleted on publish.

Example::

    config = HashShardedWriteConfig(num_dbs=8, s3_prefix="s3://bkt/users",
                                    output=WriterOutputConfig(run_id="2026-12-04"))
    # in process A and process B, over the same records:
    stage_hash_sharded(records, config, input, shards=(0, 3))
    stage_hash_sharded(records, config, input, shards=(4, 7))
    # once both have returned:
    result = publish_staged(config)
"""

from __future__ import annotations

from typing import Iterable, TypeVar

from shardyfusion import _native
from shardyfusion.config import (
    BaseShardedWriteConfig,
    CelShardedWriteConfig,
    HashShardedWriteConfig,
    PythonRecordInput,
    PythonWriteOptions,
)
from shardyfusion.errors import ConfigValidationError
from shardyfusion.manifest import BuildResult
from shardyfusion.writer.python.writer import _write_cel, _write_hash

T = TypeVar("T")

__all__ = ["discard_staged", "publish_staged", "stage_cel_sharded", "stage_hash_sharded"]


def _stage_fields(shards: tuple[int, int] | None, write_run_record: bool) -> dict:
    if shards is not None:
        if (
            not isinstance(shards, tuple)
            or len(shards) != 2
            or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shards)
        ):
            raise ConfigValidationError(
                f"shards must be a (first, last) tuple of shard ids, got {shards!r}"
            )
    return {"stage_only": True, "only_shards": shards, "write_run_record": write_run_record}


def stage_hash_sharded(
    records: Iterable[T],
    config: HashShardedWriteConfig,
    input: PythonRecordInput[T],
    *,
    shards: tuple[int, int] | None = None,
    options: PythonWriteOptions | None = None,
    write_run_record: bool = True,
) -> BuildResult:
    """Stages shards ``shards[0]..shards[1]`` (inclusive; all when None) of run ``config.output.run_id``.

    Records that route to other shards are read and skipped. Returns a
    ``BuildResult`` whose ``manifest_ref`` is None (nothing is published) and
    whose ``winners`` are the non-empty shards this call sealed. Raises
    ``ConfigValidationError`` without a run id, for a range outside
    ``num_dbs``, or when the run is already published; the other errors are
    those of ``write_hash_sharded`` (a failure deletes what this call wrote
    and records nothing).
    """
    return _write_hash(records, config, input, options, _stage_fields(shards, write_run_record))


def stage_cel_sharded(
    records: Iterable[T],
    config: CelShardedWriteConfig,
    input: PythonRecordInput[T],
    *,
    shards: tuple[int, int] | None = None,
    num_dbs: int | None = None,
    options: PythonWriteOptions | None = None,
    write_run_record: bool = True,
) -> BuildResult:
    """``stage_hash_sharded`` for CEL routing.

    The shard count must be known before the records: categorical routing
    (``routing_values``) has one shard per token; direct mode needs
    ``num_dbs`` (its results are then ids 0..num_dbs-1). Inferred tokens
    cannot be staged: infer them first and pass them as ``routing_values``.
    """
    fields = _stage_fields(shards, write_run_record)
    if num_dbs is not None:
        fields["num_dbs"] = num_dbs
    return _write_cel(records, config, input, options, fields)


def _run_id(config: BaseShardedWriteConfig, run_id: str | None) -> str:
    if not isinstance(config, BaseShardedWriteConfig):
        raise ConfigValidationError("config must be HashShardedWriteConfig or CelShardedWriteConfig")
    run_id = run_id if run_id is not None else config.output.run_id
    if not run_id:
        raise ConfigValidationError("publish_staged needs the staged run's id (config.output.run_id)")
    return run_id


def publish_staged(config: BaseShardedWriteConfig, run_id: str | None = None) -> BuildResult:
    """Publishes the staged run ``run_id`` (default ``config.output.run_id``) under ``config.s3_prefix``.

    Returns the published ``BuildResult``. Raises ``ShardCoverageError``
    naming the shards not staged, ``ConfigValidationError`` when stagers
    disagreed or the run is already published; ``PublishManifestError`` /
    ``PublishCurrentError`` as a build does. A failure before the manifest
    is written deletes nothing: stage what is missing and publish again.
    Call it once every stager has returned.
    """
    run_id = _run_id(config, run_id)
    return BuildResult._from_native(_native.publish_staged(config._native_config(), run_id))


def discard_staged(config: BaseShardedWriteConfig, run_id: str | None = None) -> None:
    """Deletes everything the stagers of unpublished run ``run_id`` wrote (a failed distributed build).

    Call it only once no stager of the run is running. A published run is
    refused with ``ConfigValidationError`` and nothing is deleted.
    """
    run_id = _run_id(config, run_id)
    _native.discard_staged(config._native_config(), run_id)
