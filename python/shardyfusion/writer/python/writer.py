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
    """Writes every record with xxh3_64 routing and publishes the snapshot."""
    if not isinstance(config, HashShardedWriteConfig):
        raise ConfigValidationError("config must be HashShardedWriteConfig")
    options = _prepare(config, input, options)
    native_config = config._native_config()
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
    """Writes every record with CEL routing and publishes the snapshot."""
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

    def flush() -> None:
        if observe:
            writer.observe_chunk(keys, rows)
        else:
            writer.add_chunk(keys, values, rows)
        keys.clear()
        values.clear()
        if rows is not None:
            rows.clear()

    for record in records:
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
