"""write_hash_sharded / write_cel_sharded over the C++ engine.

The records are iterated once (twice for inferred categorical CEL routing)
and never held whole: key_fn/value_fn (and columns_fn) run here, a chunk of
records at a time, and each chunk goes to the engine, which routes, encodes
and writes it with the GIL released. Finish (seal, publish, cleanup) also
runs without the GIL.

Any exception while the records are consumed (from a user callback, a bad
key, KeyboardInterrupt) aborts the build: nothing is published, and the
exception propagates as itself.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, TypeVar

from shardyfusion import _native
from shardyfusion.config import (
    CelShardedWriteConfig,
    HashShardedWriteConfig,
    PythonRecordInput,
    PythonWriteOptions,
)
from shardyfusion.errors import ConfigValidationError
from shardyfusion.manifest import BuildResult

T = TypeVar("T")

# A chunk ends at this many records or value bytes, whichever comes first.
_CHUNK_RECORDS = 4096
_CHUNK_BYTES = 4 << 20


def write_hash_sharded(
    records: Iterable[T],
    config: HashShardedWriteConfig,
    input: PythonRecordInput[T],
    options: PythonWriteOptions | None = None,
) -> BuildResult:
    """Writes every record to ``config.num_dbs`` shards by xxh3_64 of the key, then publishes.

    Args:
        records: any iterable: a list, a generator, an open file. It is iterated
            once and never held whole (a ``max_keys_per_shard`` config needs
            ``len(records)`` instead of ``num_dbs``).
        config: a ``HashShardedWriteConfig``: ``num_dbs`` or
            ``max_keys_per_shard``, ``s3_prefix`` (``s3://bucket/prefix``, or a
            local directory), ``adapter_factory`` (``SlateDbFactory()`` by
            default, ``LocalSlateDbFactory()``, ``SqliteFactory()``),
            ``key_encoding``, ``batch_size``, ``shard_retry``, rate limits.
        input: a ``PythonRecordInput``: ``key_fn(record)`` returns the key (an
            int for the u64be/u32be encodings, str or bytes for utf8/raw),
            ``value_fn(record)`` the value as bytes.
        options: ``PythonWriteOptions``: ``parallel=True`` writes the shards on
            the engine's worker threads; ``buffering`` caps the memory held in
            batches.

    Returns:
        ``BuildResult``: ``run_id``, ``manifest_ref`` (a str with ``.ref``),
        ``winners`` (one ``RequiredShardMeta`` per non-empty shard), ``stats``.
        When it returns, the manifest and ``_CURRENT`` are published: a reader
        opened afterwards sees this snapshot.

    Raises:
        ConfigValidationError: a bad setting, before anything is written.
        ShardWriteError: a shard could not be written (retried first when
            ``shard_retry`` is set and the failure is transient).
        ShardCoverageError: a shard that received records has no successful attempt.
        PublishManifestError: the manifest could not be written.
        PublishCurrentError: the manifest is written (``e.manifest_ref``) but
            ``_CURRENT`` could not be switched to it; rerun to publish.
        Any exception from ``key_fn`` / ``value_fn``, the iterator or Ctrl-C
        propagates as itself, with a note naming the record's position. In
        every failure nothing is published and the build's objects are removed.
    """
    return _write_hash(records, config, input, options, {})


def _write_hash(records, config, input, options, extra: dict[str, Any]) -> BuildResult:
    """write_hash_sharded with ``extra`` native config fields (staged builds)."""
    if not isinstance(config, HashShardedWriteConfig):
        raise ConfigValidationError("config must be HashShardedWriteConfig")
    options = _prepare(config, input, options)
    native_config = config._native_config()
    native_config.update(extra)
    record_count = None
    if config.max_keys_per_shard is not None:
        try:
            record_count = len(records)  # type: ignore[arg-type]
        except TypeError:
            raise ConfigValidationError(
                "max_keys_per_shard requires a Sized input (len(records)); "
                "pass a list or set num_dbs instead"
            ) from None
    writer = _native.Writer.open_hash(native_config, options._native_options(), record_count)
    return _run(writer, records, input, None)


def write_cel_sharded(
    records: Iterable[T],
    config: CelShardedWriteConfig,
    input: PythonRecordInput[T],
    options: PythonWriteOptions | None = None,
) -> BuildResult:
    """Writes every record to the shard a CEL expression picks, then publishes.

    ``config`` is a ``CelShardedWriteConfig``: ``cel_expr`` over ``cel_columns``
    (name -> CEL type: "int", "uint", "string", "bytes", "double", "bool").
    The expression yields the shard id (``shard_hash(key) % 8u``; then
    ``num_dbs`` is the number of shards), or a categorical token that
    ``routing_values`` lists (shard i holds token i), or, with
    ``infer_routing_values_from_data=True``, tokens collected from a first
    pass over ``records`` (which must then be re-iterable, e.g. a list).

    ``input.columns_fn(record)`` returns a dict with every column of
    ``cel_columns``; with ``cel_columns`` exactly ``{"key": T}`` the key is
    the column and ``columns_fn`` is not needed. CEL has no implicit int/uint
    mixing: ``key % 4u`` over an ``int`` column is a ``ConfigValidationError``
    when the write opens; write ``key % 4``.

    Args, return value and the other errors as ``write_hash_sharded``; a
    record whose result names no shard raises ``ShardAssignmentError``.
    """
    return _write_cel(records, config, input, options, {})


def _write_cel(records, config, input, options, extra: dict[str, Any]) -> BuildResult:
    """write_cel_sharded with ``extra`` native config fields (staged builds)."""
    if not isinstance(config, CelShardedWriteConfig):
        raise ConfigValidationError("config must be CelShardedWriteConfig")
    options = _prepare(config, input, options)
    infer = config.infer_routing_values_from_data
    if infer and iter(records) is records:
        raise ConfigValidationError(
            "Inferred categorical CEL routing requires a reiterable input. "
            "Pass a list (or another re-iterable collection) instead of an iterator."
        )
    native_config = config._native_config()
    native_config.update(extra)
    writer = _native.Writer.open_cel(native_config, options._native_options())
    names = list(writer.column_names)
    # Key-only mode (cel_columns exactly {"key": T}): the key is the column.
    columns = None if names == ["key"] else _columns_reader(input.columns_fn, names)
    return _run(writer, records, input, columns, observe_first=infer)


def _prepare(config, input, options) -> PythonWriteOptions:
    options = PythonWriteOptions() if options is None else options
    if not isinstance(input, PythonRecordInput):
        raise ConfigValidationError("input must be PythonRecordInput")
    if not isinstance(options, PythonWriteOptions):
        raise ConfigValidationError("options must be PythonWriteOptions")
    config.validate()
    input.validate()
    options.validate()
    return options


def _columns_reader(
    columns_fn: Callable[[Any], dict[str, Any]] | None, names: list[str]
) -> Callable[[Any, Any], tuple]:
    """record, key -> the values of cel_columns in order."""

    def row(record: Any, key: Any) -> tuple:
        context = {"key": key} if columns_fn is None else columns_fn(record)
        try:
            return tuple(context[n] for n in names)
        except KeyError as e:
            raise ConfigValidationError(
                f"the CEL context lacks column {e.args[0]!r} (cel_columns: {names}); "
                "columns_fn must return every column"
            ) from None
        except TypeError:
            raise ConfigValidationError(
                f"columns_fn must return a dict, got {type(context).__name__}"
            ) from None

    return row


def _run(writer, records, input, columns, *, observe_first: bool = False) -> BuildResult:
    try:
        if observe_first:
            _feed(writer, records, input, columns, observe=True)
        _feed(writer, records, input, columns, observe=False)
        result = writer.finish()
    except BaseException as e:
        writer.abort(f"{type(e).__name__}: {e}")
        raise
    return BuildResult._from_native(result)


def _feed(writer, records, input, columns, *, observe: bool) -> None:
    key_fn = input.key_fn
    value_fn = input.value_fn
    keys: list = []
    values: list = []
    rows: list | None = None if columns is None else []
    nbytes = 0
    position = -1  # of the last record read
    flushing = False  # set while a chunk goes to the engine

    def flush() -> None:
        nonlocal flushing
        flushing = True
        if observe:
            writer.observe_chunk(keys, rows)
        else:
            writer.add_chunk(keys, values, rows)
        flushing = False
        keys.clear()
        values.clear()
        if rows is not None:
            rows.clear()

    try:
        for position, record in enumerate(records):
            key = key_fn(record)
            keys.append(key)
            if rows is not None:
                rows.append(columns(record, key))
            if not observe:
                value = value_fn(record)
                values.append(value)
                if type(value) is bytes:
                    nbytes += len(value)
            if len(keys) >= _CHUNK_RECORDS or nbytes >= _CHUNK_BYTES:
                flush()
                nbytes = 0
        if keys:
            flush()
    except Exception as e:
        # The exception stays itself; a note (shown with its traceback) says where it happened.
        if flushing:
            where = f"at one of input records #{position - len(keys) + 1}..#{position}"
        elif position < 0:
            where = "before the first record was read"
        else:
            where = f"at input record #{position} or just after it (the last one read)"
        e.add_note(f"shardyfusion: raised {where} (0-based); nothing was published")
        raise
