"""write_hash_sharded / write_cel_sharded for a Dask DataFrame, on the C++ engine.

The flow (the reference's, python-api.md section 10):

1. The shard count: ``num_dbs``, ``ceil(len(ddf) / max_keys_per_shard)``,
   the routing values (given, or inferred with a distributed
   ``drop_duplicates`` of the expression's results), or for CEL direct mode
   the distinct ids (which must be dense, 0..N-1).
2. ``map_partitions`` adds the shard-id column, routed by the engine's own
   router (xxh3 of the key, or the CEL expression) in the worker processes;
   ``verify_routing`` re-routes a sample one key at a time.
3. ``shuffle`` on the shard id into ``num_dbs`` partitions, so each shard's
   rows are in one partition.
4. One task per partition stages each shard it holds with the C++ engine
   inside the worker process (shardyfusion.writer.staged): the shard is
   sealed and recorded under the run, nothing is published. Shards that
   received no rows are recorded empty by the client.
5. The client publishes the run once (manifest, then ``_CURRENT``), and the
   losing attempts are deleted: those of a worker that died mid-task (Dask
   reran the task on another worker, into a new attempt) or of a task that
   ran twice.

A task that fails for good fails the build with the engine's error class
(errors that are not shardyfusion's are wrapped as ``ShardWriteError``);
every task is waited for, what they staged is deleted, and nothing is
published. The graph runs on the ambient scheduler: the
``distributed.Client`` in scope, else Dask's default.
"""

from __future__ import annotations

import copy
import math
import time
import uuid
from dataclasses import dataclass
from typing import Any

from shardyfusion import _native
from shardyfusion.config import (
    CelShardedWriteConfig,
    ColumnWriteInput,
    DaskWriteOptions,
    HashShardedWriteConfig,
)
from shardyfusion.errors import (
    ConfigValidationError,
    ShardAssignmentError,
    ShardWriteError,
    ShardyfusionError,
)
from shardyfusion.manifest import BuildResult

__all__ = ["write_cel_sharded", "write_hash_sharded"]

# Rows handed to the engine per call.
_CHUNK_ROWS = 8192
# Rows re-routed one at a time by verify_routing.
_VERIFY_SAMPLE = 20


@dataclass(slots=True)
class _Routing:
    """How rows route: picklable, so the worker processes build the router themselves."""

    kind: str  # "hash" or "cel"
    num_dbs: int
    cel_expr: str = ""
    cel_columns: tuple = ()  # ((name, type), ...)
    routing_values: list | None = None

    @property
    def key_only(self) -> bool:
        return self.kind == "hash" or [n for n, _ in self.cel_columns] == ["key"]

    def router(self):
        if self.kind == "hash":
            return _native.ShardRouter.hash(self.num_dbs)
        return _native.ShardRouter.cel(
            self.cel_expr, list(self.cel_columns), self.routing_values, self.num_dbs
        )

    def column_rows(self, pdf, key_col: str, keys: list) -> list | None:
        """The CEL column values of every row (None when the key alone routes)."""
        if self.key_only:
            return None
        columns = []
        for name, _ in self.cel_columns:
            if name in pdf.columns:
                columns.append(_plain(pdf[name].tolist()))
            elif name == "key":
                columns.append(keys)
            else:
                raise ConfigValidationError(
                    f"cel_columns names {name!r}, which is not a column of the DataFrame"
                )
        return [tuple(row) for row in zip(*columns)] if columns else [() for _ in keys]


def _plain(values: list) -> list:
    """numpy scalars as Python values (``.item()``); others as they are."""
    return [v.item() if hasattr(v, "item") and not isinstance(v, (bytes, str)) else v for v in values]


def _keys(pdf, key_col: str) -> list:
    return _plain(pdf[key_col].tolist())


def _with_shard_ids(pdf, routing: _Routing, key_col: str, shard_id_col: str):
    keys = _keys(pdf, key_col)
    rows = routing.column_rows(pdf, key_col, keys)
    ids = routing.router().route_many(keys, rows) if keys else []
    out = pdf.copy()
    out[shard_id_col] = ids
    return out.astype({shard_id_col: "int64"})


def _values(group, spec) -> list:
    """Each row's value: the engine's input, encoded as the reference does."""
    description = getattr(spec, "description", "")
    if description.startswith("binary_col:") or description.startswith("json_cols:"):
        # Plain dict rows give the same bytes as Series rows for these two
        # encoders, much faster.
        return [spec.encode(row) for row in group.to_dict("records")]
    return [spec.encode(row) for _, row in group.iterrows()]


@dataclass(slots=True)
class _StageTask:
    """What a worker needs to stage its shards (picklable)."""

    config: Any  # the user's config, without its metrics collector, with the run id
    kind: str
    routing: _Routing
    key_col: str
    value_spec: Any
    shard_id_col: str
    sort: bool

    def native_config(self, shards: tuple[int, int]) -> dict:
        d = self.config._native_config()
        d["stage_only"] = True
        d["only_shards"] = shards
        d["write_run_record"] = False
        if self.kind == "cel":
            # Categorical or direct mode with the count from step 1.
            d["infer_routing_values_from_data"] = False
            d["routing_values"] = self.routing.routing_values
            if self.routing.routing_values is None:
                d["num_dbs"] = self.routing.num_dbs
        return d

    def open(self, shard: tuple[int, int]):
        native = self.native_config(shard)
        if self.kind == "hash":
            return _native.Writer.open_hash(native, {}, None)
        return _native.Writer.open_cel(native, {})

    def stage(self, shard_id: int, group) -> dict:
        """Stages one shard's rows; the native result dict."""
        group = group.drop(columns=[self.shard_id_col])
        if self.sort:
            group = group.sort_values(self.key_col, kind="stable")
        keys = _keys(group, self.key_col)
        rows = self.routing.column_rows(group, self.key_col, keys)
        writer = self.open((shard_id, shard_id))
        try:
            # Values are encoded a chunk at a time, as the engine takes them.
            for i in range(0, len(keys), _CHUNK_ROWS):
                chunk_rows = None if rows is None else rows[i : i + _CHUNK_ROWS]
                values = _values(group.iloc[i : i + _CHUNK_ROWS], self.value_spec)
                writer.add_chunk(keys[i : i + _CHUNK_ROWS], values, chunk_rows)
            result = writer.finish()
        except BaseException as e:
            writer.abort(f"{type(e).__name__}: {e}")
            raise
        written = result["stats"]["rows_written"]
        if written != len(keys):
            raise ShardAssignmentError(
                f"Dask/engine routing mismatch in db_id={shard_id}: the partition held {len(keys)} "
                f"rows of the shard, the engine routed {written} of them there"
            )
        return result

    def stage_empty(self, first: int, last: int) -> None:
        """Records shards first..last, which received no rows, as empty."""
        self.open((first, last)).finish()


def _stage_partition(pdf, task: _StageTask) -> list:
    """One task: stages every shard of its partition. Returns [("ok", db_id, result) | ("error", exc)]."""
    out = []
    for shard_id, group in pdf.groupby(task.shard_id_col, sort=True):
        try:
            out.append(("ok", int(shard_id), task.stage(int(shard_id), group)))
        except ShardyfusionError as e:
            out.append(("error", e))
            break
        except Exception as e:  # a user encoder's, or pandas'
            wrapped = ShardWriteError(f"db_id={int(shard_id)}: {type(e).__name__}: {e}")
            wrapped.__cause__ = e
            out.append(("error", wrapped))
            break
    return out


def write_hash_sharded(
    ddf,
    config: HashShardedWriteConfig,
    input: ColumnWriteInput,
    options: DaskWriteOptions | None = None,
) -> BuildResult:
    """Writes the rows of ``ddf`` to ``config.num_dbs`` shards by xxh3_64 of ``input.key_col``, then publishes.

    Args:
        ddf: a ``dask.dataframe.DataFrame`` holding ``input.key_col`` (ints
            for the u64be/u32be encodings, str or bytes for utf8/raw) and the
            columns ``input.value_spec`` reads.
        config: a ``HashShardedWriteConfig`` (``num_dbs``, or
            ``max_keys_per_shard``, which counts the rows first).
        input: ``ColumnWriteInput(key_col=..., value_spec=ValueSpec...)``.
        options: ``DaskWriteOptions`` (``sort_within_partitions``,
            ``verify_routing``).

    Returns:
        ``BuildResult`` as ``shardyfusion.writer.python.write_hash_sharded``;
        ``stats.durations.sharding_ms`` is the routing and shuffle setup.

    Raises:
        ConfigValidationError: a bad setting, or ``shard_id_col`` is a column of ``ddf``.
        ShardAssignmentError: the sampled routing disagreed (``verify_routing``).
        ShardWriteError, ShardCoverageError, PublishManifestError,
        PublishCurrentError: as the Python writer; nothing is published and
        what the tasks staged is deleted.
    """
    if not isinstance(config, HashShardedWriteConfig):
        raise ConfigValidationError("config must be HashShardedWriteConfig")
    options = _prepare(ddf, config, input, options)
    started = time.monotonic()
    num_dbs = config.num_dbs
    if num_dbs is None:
        num_dbs = max(1, math.ceil(len(ddf) / config.max_keys_per_shard))
    return _write(ddf, config, input, options, "hash", _Routing("hash", num_dbs), started)


def write_cel_sharded(
    ddf,
    config: CelShardedWriteConfig,
    input: ColumnWriteInput,
    options: DaskWriteOptions | None = None,
) -> BuildResult:
    """Writes the rows of ``ddf`` to the shards a CEL expression picks, then publishes.

    ``cel_columns`` are read from the DataFrame's columns of those names (a
    column named ``key`` that the frame lacks is ``input.key_col``; with
    ``cel_columns`` exactly ``{"key": T}`` the key routes alone). Direct mode
    counts the distinct shard ids first (they must be dense, 0..N-1);
    ``infer_routing_values_from_data`` collects the distinct results with a
    distributed ``drop_duplicates``, sorted ascending. Otherwise as
    ``write_hash_sharded``.
    """
    if not isinstance(config, CelShardedWriteConfig):
        raise ConfigValidationError("config must be CelShardedWriteConfig")
    options = _prepare(ddf, config, input, options)
    started = time.monotonic()
    columns = tuple((name, getattr(t, "value", t)) for name, t in config.cel_columns.items())
    routing = _Routing("cel", 1, config.cel_expr, columns, config.routing_values)
    if config.infer_routing_values_from_data:
        routing.routing_values = _infer_tokens(ddf, routing, input.key_col)
    if routing.routing_values is not None:
        routing.num_dbs = max(1, len(routing.routing_values))
    else:
        routing.num_dbs = _direct_num_dbs(ddf, routing, input.key_col)
    return _write(ddf, config, input, options, "cel", routing, started)


def _prepare(ddf, config, input, options) -> DaskWriteOptions:
    options = DaskWriteOptions() if options is None else options
    if not isinstance(input, ColumnWriteInput):
        raise ConfigValidationError("input must be ColumnWriteInput")
    if not isinstance(options, DaskWriteOptions):
        raise ConfigValidationError("options must be DaskWriteOptions")
    config.validate()
    input.validate()
    options.validate()
    if config.shard_id_col in ddf.columns:
        raise ConfigValidationError(
            f"shard_id_col '{config.shard_id_col}' conflicts with user data column. "
            "Rename the column or set config.shard_id_col."
        )
    if input.key_col not in ddf.columns:
        raise ConfigValidationError(
            f"input.key_col {input.key_col!r} is not a column of the DataFrame "
            f"(columns: {list(ddf.columns)})"
        )
    return options


def _evaluated(pdf, routing: _Routing, key_col: str):
    import pandas as pd

    keys = _keys(pdf, key_col)
    rows = routing.column_rows(pdf, key_col, keys)
    if rows is None:
        rows = [(k,) for k in keys]
    tokens = _native.cel_evaluate_many(routing.cel_expr, list(routing.cel_columns), rows) if rows else []
    return pd.DataFrame({"token": pd.Series(tokens, dtype=object)})


def _infer_tokens(ddf, routing: _Routing, key_col: str) -> list:
    import pandas as pd

    meta = pd.DataFrame({"token": pd.Series([], dtype=object)})
    distinct = ddf.map_partitions(_evaluated, routing, key_col, meta=meta).drop_duplicates()
    tokens = distinct["token"].compute().tolist()
    kinds = {type(t) for t in tokens}
    if len(kinds) > 1:
        raise ShardAssignmentError(
            f"inferred routing values mix types ({sorted(k.__name__ for k in kinds)}); "
            "the expression must give one type"
        )
    return sorted(tokens)


def _direct_num_dbs(ddf, routing: _Routing, key_col: str) -> int:
    distinct = _infer_tokens(ddf, routing, key_col)
    if not distinct:
        return 1
    if any(isinstance(t, bool) or not isinstance(t, int) for t in distinct):
        raise ShardAssignmentError(
            f"CEL direct mode needs integer shard ids, got {distinct[0]!r}; give routing_values "
            "for categorical routing"
        )
    if distinct != list(range(len(distinct))):
        raise ShardAssignmentError(
            f"CEL direct-mode shard ids must be dense 0..{len(distinct) - 1}, got "
            f"{distinct[:20]}{' ...' if len(distinct) > 20 else ''}"
        )
    return len(distinct)


def _verify(ddf_with_ids, routing: _Routing, key_col: str, shard_id_col: str) -> None:
    """Re-routes a sample, one key at a time, and compares."""
    sample = ddf_with_ids.head(_VERIFY_SAMPLE, npartitions=-1)
    router = routing.router()
    keys = _keys(sample, key_col)
    rows = routing.column_rows(sample, key_col, keys)
    for i, (key, assigned) in enumerate(zip(keys, sample[shard_id_col].tolist())):
        row = None if rows is None else [rows[i]]
        expected = router.route_many([key], row)[0]
        if expected != assigned:
            raise ShardAssignmentError(
                f"Dask/Python routing mismatch in sampled row {i}: key {key!r} was assigned "
                f"db_id={assigned}, the router gives {expected}"
            )


def _worker_config(config, run_id: str):
    """The config the tasks get: the run id set, no metrics collector (it lives in the client)."""
    cfg = copy.copy(config)
    cfg.output = copy.copy(config.output)
    cfg.output.run_id = run_id
    cfg.observability = copy.copy(config.observability)
    cfg.observability.metrics_collector = None
    return cfg


def _write(ddf, config, input, options, kind: str, routing: _Routing, started: float) -> BuildResult:
    import dask
    import pandas as pd

    shard_id_col = config.shard_id_col
    if config.output.run_id is not None:
        # Like any build that is not an explicit staging: the run id must be new.
        _native.check_run_id_unused(config._native_config())
    run_id = config.output.run_id or uuid.uuid4().hex
    task = _StageTask(
        config=_worker_config(config, run_id),
        kind=kind,
        routing=routing,
        key_col=input.key_col,
        value_spec=input.value_spec,
        shard_id_col=shard_id_col,
        sort=options.sort_within_partitions,
    )
    meta = ddf._meta.assign(**{shard_id_col: pd.Series([], dtype="int64")})
    with_ids = ddf.map_partitions(_with_shard_ids, routing, input.key_col, shard_id_col, meta=meta)
    if options.verify_routing:
        _verify(with_ids, routing, input.key_col, shard_id_col)
    shuffled = with_ids.shuffle(on=shard_id_col, npartitions=routing.num_dbs, shuffle="tasks")
    parts = shuffled.to_delayed()
    sharding_ms = int((time.monotonic() - started) * 1000)
    outcomes = dask.compute(*[dask.delayed(_stage_partition, pure=False)(p, task) for p in parts])

    staged: dict[int, dict] = {}
    errors = []
    for outcome in outcomes:
        for entry in outcome:
            if entry[0] == "ok":
                staged[entry[1]] = entry[2]
            else:
                errors.append(entry[1])
    native_config = task.config._native_config()
    native_config["metrics"] = config._native_config()["metrics"]
    try:
        if errors:
            raise errors[0]
        missing = [db for db in range(routing.num_dbs) if db not in staged]
        for first, last in _ranges(missing):
            task.stage_empty(first, last)
        result = _native.publish_staged(native_config, run_id)
    except BaseException:
        # Every task has ended: what they staged is this build's alone.
        try:
            _native.discard_staged(native_config, run_id)
        except ShardyfusionError:
            pass  # the original error matters more; cleanup leaves garbage, never a snapshot
        raise
    built = BuildResult._from_native(result)
    built.stats.durations.sharding_ms = sharding_ms
    built.stats.durations.write_ms = max(
        (r["stats"]["write_ms"] for r in staged.values()), default=0
    )
    built.stats.durations.total_ms = int((time.monotonic() - started) * 1000)
    built.stats.bytes_written = sum(r["stats"]["bytes_written"] for r in staged.values())
    return built


def _ranges(ids: list[int]) -> list[tuple[int, int]]:
    """Sorted ids as (first, last) runs of consecutive ids."""
    out: list[tuple[int, int]] = []
    for i in ids:
        if out and out[-1][1] == i - 1:
            out[-1] = (out[-1][0], i)
        else:
            out.append((i, i))
    return out
