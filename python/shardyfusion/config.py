"""Writer configuration (the reference's shardyfusion/config.py).

Configs are plain dataclasses made of groups (storage, output, manifest, kv,
retry, rate_limits, observability, lifecycle, sharding). The sharded configs
take either a group object or that group's flat keyword shortcuts, never both.
Groups check their own fields when built; the C++ engine checks the rest
(the CEL expression compiles, the run id is fresh, the prefix URL resolves)
when a write opens, before any I/O. Either way the error is a
ConfigValidationError.

A config becomes the engine's struct once per build (_native_config).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, TypeVar

from shardyfusion._factory_support import s3_settings
from shardyfusion.errors import ConfigValidationError
from shardyfusion.metrics import native_emitter
from shardyfusion.sharding_types import DB_ID_COL, KeyEncoding, coerce_key_encoding
from shardyfusion.type_defs import RetryConfig, S3ConnectionOptions

T = TypeVar("T")

_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9._-]+$")


def _check_segment(value: object, name: str) -> None:
    if not isinstance(value, str) or not value:
        raise ConfigValidationError(f"{name} must be a non-empty string")
    if ".." in value or "/" in value or "\\" in value or not _SAFE_SEGMENT.match(value):
        raise ConfigValidationError(
            f"{name} must be one safe path segment ([A-Za-z0-9._-], no '..'), got {value!r}"
        )


def _check_positive(value: object, name: str, *, when_set: bool = False) -> None:
    if value is None and when_set:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        suffix = " when set" if when_set else ""
        raise ConfigValidationError(f"{name} must be > 0{suffix}")


@dataclass(slots=True)
class WriterStorageConfig:
    # s3://bucket/prefix, or (this engine) file:///abs/dir or a local path.
    s3_prefix: str = ""
    credential_provider: Any = None
    s3_connection_options: S3ConnectionOptions | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if not isinstance(self.s3_prefix, str) or not self.s3_prefix.strip("/"):
            raise ConfigValidationError(
                "s3_prefix must include a non-empty key prefix, e.g. s3://bucket/prefix"
            )


@dataclass(slots=True)
class WriterOutputConfig:
    run_id: str | None = None
    db_path_template: str = "db={db_id:05d}"
    shard_prefix: str = "shards"
    run_registry_prefix: str = "runs"
    local_root: str = field(default_factory=lambda: os.path.join(tempfile.gettempdir(), "shardyfusion"))

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if self.run_id is not None and (not isinstance(self.run_id, str) or not self.run_id):
            raise ConfigValidationError("output.run_id must be a non-empty string when set")
        try:
            self.db_path_template.format(db_id=0)
        except Exception:
            raise ConfigValidationError(
                "output.db_path_template must support format(db_id=...)"
            ) from None
        # Without the field every shard would share one path; the reference
        # accepts that and then fails (or worse) once shards collide.
        if "{db_id" not in self.db_path_template.replace("{{", ""):
            raise ConfigValidationError(
                "output.db_path_template must contain {db_id} (or {db_id:0Nd}), got "
                f"{self.db_path_template!r}"
            )
        _check_segment(self.shard_prefix, "output.shard_prefix")
        _check_segment(self.run_registry_prefix, "output.run_registry_prefix")


@dataclass(slots=True)
class WriterManifestConfig:
    store: Any = None
    custom_manifest_fields: dict = field(default_factory=dict)
    credential_provider: Any = None
    s3_connection_options: S3ConnectionOptions | None = None

    def validate(self) -> None:
        if not isinstance(self.custom_manifest_fields, dict):
            raise ConfigValidationError("manifest.custom_manifest_fields must be a dict")


@dataclass(slots=True)
class KeyValueWriteConfig:
    key_encoding: KeyEncoding = KeyEncoding.U64BE
    batch_size: int = 50_000
    adapter_factory: Any = None
    profile_value_sizes_for_page_size: bool = False

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        self.key_encoding = coerce_key_encoding(self.key_encoding)
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size <= 0:
            raise ConfigValidationError("kv.batch_size must be > 0")


@dataclass(slots=True)
class HashShardingConfig:
    num_dbs: int | None = None
    max_keys_per_shard: int | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if self.max_keys_per_shard is None:
            if self.num_dbs is None:
                raise ConfigValidationError("sharding.num_dbs must be > 0")
            _check_positive(self.num_dbs, "sharding.num_dbs")
        else:
            if self.num_dbs is not None:
                raise ConfigValidationError(
                    "sharding.num_dbs must be None when sharding.max_keys_per_shard is set"
                )
            _check_positive(self.max_keys_per_shard, "sharding.max_keys_per_shard")


def _check_routing_values(values: list) -> None:
    if not isinstance(values, list):
        raise ConfigValidationError("Routing values must be a list")
    kinds = set()
    for v in values:
        if v is None:
            raise ConfigValidationError("Routing values must not contain None")
        if isinstance(v, bool) or not isinstance(v, (int, str, bytes)):
            raise ConfigValidationError(
                f"Routing values must be int, str or bytes, got {type(v).__name__}"
            )
        kinds.add(type(v))
    if len(kinds) > 1:
        raise ConfigValidationError("Routing values must all be of one type")
    if len(set(values)) != len(values):
        raise ConfigValidationError("Routing values must be unique")


@dataclass(slots=True)
class CelShardingConfig:
    cel_expr: str = ""
    cel_columns: dict[str, str] = field(default_factory=dict)
    routing_values: list | None = None
    infer_routing_values_from_data: bool = False

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if not isinstance(self.cel_expr, str) or not self.cel_expr:
            raise ConfigValidationError("CEL strategy requires cel_expr")
        if not isinstance(self.cel_columns, dict) or not self.cel_columns:
            raise ConfigValidationError("CEL strategy requires cel_columns")
        if self.routing_values is not None:
            _check_routing_values(self.routing_values)
            if self.infer_routing_values_from_data:
                raise ConfigValidationError(
                    "infer_routing_values_from_data cannot be combined with routing_values"
                )


@dataclass(slots=True)
class WriterRetryConfig:
    shard_retry: RetryConfig | None = None


@dataclass(slots=True)
class KvWriteRateLimitConfig:
    max_writes_per_second: float | None = None
    max_write_bytes_per_second: float | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        _check_positive(self.max_writes_per_second, "rate_limits.max_writes_per_second", when_set=True)
        _check_positive(
            self.max_write_bytes_per_second, "rate_limits.max_write_bytes_per_second", when_set=True
        )


@dataclass(slots=True)
class WriterObservabilityConfig:
    metrics_collector: Any = None


@dataclass(slots=True)
class WriterLifecycleConfig:
    run_registry: Any = None


# Group name -> (class, its flat keywords).
_GROUPS: dict[str, tuple[type, tuple[str, ...]]] = {
    "storage": (WriterStorageConfig, ("s3_prefix", "credential_provider", "s3_connection_options")),
    "output": (WriterOutputConfig, ()),
    "manifest": (WriterManifestConfig, ()),
    "kv": (KeyValueWriteConfig, ("key_encoding", "batch_size", "adapter_factory")),
    "retry": (WriterRetryConfig, ("shard_retry",)),
    "rate_limits": (KvWriteRateLimitConfig, ("max_writes_per_second", "max_write_bytes_per_second")),
    "observability": (WriterObservabilityConfig, ("metrics_collector",)),
    "lifecycle": (WriterLifecycleConfig, ("run_registry",)),
}


def _or_list(names: tuple[str, ...]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + (", or " if len(names) > 2 else " or ") + names[-1]


def _assemble(groups: dict[str, Any], flat: dict[str, Any]) -> dict[str, Any]:
    """Builds each group from its object or its flat keywords (not both)."""
    out = {}
    for name, (cls, keywords) in _GROUPS.items():
        given = {k: flat[k] for k in keywords if flat.get(k) is not None}
        if groups.get(name) is not None:
            if given:
                raise ConfigValidationError(f"{name} cannot be combined with {_or_list(keywords)}")
            out[name] = groups[name]
        else:
            out[name] = cls(**given)
    return out


@dataclass(slots=True, init=False)
class BaseShardedWriteConfig:
    """What every sharding strategy shares. Build a Hash or Cel config instead."""

    storage: WriterStorageConfig
    output: WriterOutputConfig
    manifest: WriterManifestConfig
    kv: KeyValueWriteConfig
    retry: WriterRetryConfig
    rate_limits: KvWriteRateLimitConfig
    observability: WriterObservabilityConfig
    lifecycle: WriterLifecycleConfig
    vector: Any
    shard_id_col: str

    def __init__(
        self,
        *,
        storage: WriterStorageConfig | None = None,
        output: WriterOutputConfig | None = None,
        manifest: WriterManifestConfig | None = None,
        kv: KeyValueWriteConfig | None = None,
        retry: WriterRetryConfig | None = None,
        rate_limits: KvWriteRateLimitConfig | None = None,
        observability: WriterObservabilityConfig | None = None,
        lifecycle: WriterLifecycleConfig | None = None,
        vector: Any = None,
        shard_id_col: str = DB_ID_COL,
        s3_prefix: str | None = None,
        key_encoding: KeyEncoding | str | None = None,
        batch_size: int | None = None,
        adapter_factory: Any = None,
        metrics_collector: Any = None,
        run_registry: Any = None,
        shard_retry: RetryConfig | None = None,
        credential_provider: Any = None,
        s3_connection_options: S3ConnectionOptions | None = None,
        vector_spec: Any = None,
        max_writes_per_second: float | None = None,
        max_write_bytes_per_second: float | None = None,
    ) -> None:
        if vector is not None and vector_spec is not None:
            raise ConfigValidationError("vector cannot be combined with vector_spec")
        built = _assemble(
            {
                "storage": storage,
                "output": output,
                "manifest": manifest,
                "kv": kv,
                "retry": retry,
                "rate_limits": rate_limits,
                "observability": observability,
                "lifecycle": lifecycle,
            },
            {
                "s3_prefix": s3_prefix,
                "credential_provider": credential_provider,
                "s3_connection_options": s3_connection_options,
                "key_encoding": key_encoding,
                "batch_size": batch_size,
                "adapter_factory": adapter_factory,
                "shard_retry": shard_retry,
                "max_writes_per_second": max_writes_per_second,
                "max_write_bytes_per_second": max_write_bytes_per_second,
                "metrics_collector": metrics_collector,
                "run_registry": run_registry,
            },
        )
        for name, value in built.items():
            object.__setattr__(self, name, value)
        self.vector = vector if vector is not None else vector_spec
        self.shard_id_col = shard_id_col
        BaseShardedWriteConfig.validate(self)

    def validate(self) -> None:
        for name, (cls, _) in _GROUPS.items():
            group = getattr(self, name)
            if not isinstance(group, cls):
                raise ConfigValidationError(f"{name} must be {cls.__name__}")
            if hasattr(group, "validate"):
                group.validate()
        if not isinstance(self.shard_id_col, str) or not self.shard_id_col:
            raise ConfigValidationError("shard_id_col must be a non-empty string")

    # Flat views over the groups.
    @property
    def s3_prefix(self) -> str:
        return self.storage.s3_prefix

    @s3_prefix.setter
    def s3_prefix(self, value: str) -> None:
        WriterStorageConfig(value, self.storage.credential_provider, self.storage.s3_connection_options)
        self.storage.s3_prefix = value

    @property
    def key_encoding(self) -> KeyEncoding:
        return self.kv.key_encoding

    @key_encoding.setter
    def key_encoding(self, value: KeyEncoding | str) -> None:
        self.kv.key_encoding = coerce_key_encoding(value)

    @property
    def batch_size(self) -> int:
        return self.kv.batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        KeyValueWriteConfig(self.kv.key_encoding, value)
        self.kv.batch_size = value

    @property
    def adapter_factory(self) -> Any:
        return self.kv.adapter_factory

    @adapter_factory.setter
    def adapter_factory(self, value: Any) -> None:
        self.kv.adapter_factory = value

    @property
    def shard_retry(self) -> RetryConfig | None:
        return self.retry.shard_retry

    @shard_retry.setter
    def shard_retry(self, value: RetryConfig | None) -> None:
        self.retry.shard_retry = value

    @property
    def credential_provider(self) -> Any:
        return self.storage.credential_provider

    @property
    def s3_connection_options(self) -> S3ConnectionOptions | None:
        return self.storage.s3_connection_options

    @property
    def metrics_collector(self) -> Any:
        return self.observability.metrics_collector

    @property
    def run_registry(self) -> Any:
        return self.lifecycle.run_registry

    def _native_config(self) -> dict[str, Any]:
        """The engine's WriteConfig fields, as writer_binding.cc reads them."""
        unsupported = [
            ("manifest.store", self.manifest.store),
            ("manifest.credential_provider", self.manifest.credential_provider),
            ("manifest.s3_connection_options", self.manifest.s3_connection_options),
            ("lifecycle.run_registry", self.lifecycle.run_registry),
            ("vector", self.vector),
        ]
        for name, value in unsupported:
            if value is not None:
                raise ConfigValidationError(
                    f"{name} is not supported by the C++ engine's Python binding yet "
                    "(the manifest goes to the same store as the shards)"
                )
        if self.kv.profile_value_sizes_for_page_size:
            raise ConfigValidationError(
                "kv.profile_value_sizes_for_page_size is only supported by the distributed writers"
            )
        factory = self.kv.adapter_factory
        native_factory = None
        if factory is not None:
            if not hasattr(factory, "_native_factory"):
                raise ConfigValidationError(
                    "kv.adapter_factory must be SlateDbFactory, LocalSlateDbFactory or SqliteFactory "
                    f"(Python adapter factories are not supported), got {type(factory).__name__}"
                )
            native_factory = factory._native_factory()
        s3 = s3_settings(
            ("storage", self.storage.s3_connection_options, self.storage.credential_provider),
            (
                "kv.adapter_factory",
                getattr(factory, "s3_connection_options", None),
                getattr(factory, "credential_provider", None),
            ),
        )
        retry = self.retry.shard_retry
        try:
            custom = json.dumps(self.manifest.custom_manifest_fields)
        except (TypeError, ValueError) as e:
            raise ConfigValidationError(f"manifest.custom_manifest_fields is not JSON: {e}") from None
        return {
            "s3_prefix": self.storage.s3_prefix,
            "s3": s3,
            "metrics": native_emitter(self.observability.metrics_collector),
            "run_id": self.output.run_id,
            "db_path_template": self.output.db_path_template,
            "shard_prefix": self.output.shard_prefix,
            "run_registry_prefix": self.output.run_registry_prefix,
            "local_root": self.output.local_root,
            "key_encoding": self.kv.key_encoding.value,
            "batch_size": self.kv.batch_size,
            "adapter_factory": native_factory,
            "custom_manifest_fields_json": custom,
            "max_writes_per_second": self.rate_limits.max_writes_per_second,
            "max_write_bytes_per_second": self.rate_limits.max_write_bytes_per_second,
            "shard_retry": None
            if retry is None
            else {
                "max_retries": retry.max_retries,
                "initial_backoff_seconds": retry.initial_backoff.total_seconds(),
                "backoff_multiplier": retry.backoff_multiplier,
            },
        }


def _split_kwargs(kwargs: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {n: kwargs.pop(n) for n in names if n in kwargs}


@dataclass(slots=True, init=False)
class HashShardedWriteConfig(BaseShardedWriteConfig):
    """A build whose shard is xxh3_64(key) % num_dbs (the reference's hash routing).

    Flat keywords (each fills a field of a nested group, which may be given
    whole instead):

    - ``num_dbs``: the number of shards; or ``max_keys_per_shard``, which
      derives it from ``len(records)`` (``sharding``).
    - ``s3_prefix``: where the snapshot goes, ``s3://bucket/prefix`` or a local
      directory (``storage``); ``s3_connection_options`` and
      ``credential_provider`` reach the S3 store, else the AWS_* environment.
    - ``adapter_factory``: the shard format, ``SlateDbFactory()`` (default),
      ``LocalSlateDbFactory()`` or ``SqliteFactory()`` (``output``;
      ``output.local_root`` is the local staging directory).
    - ``key_encoding``: ``u64be`` (default, int keys), ``u32be``, ``utf8``,
      ``raw``; ``batch_size``: records per shard batch (``kv``).
    - ``shard_retry``: a ``RetryConfig`` for failed shard attempts (``retry``).
    - ``max_writes_per_second`` / ``max_write_bytes_per_second``: one rate
      limit shared by all shard writers (``rate_limits``).
    - ``metrics_collector``: an object with ``emit(event, payload)``
      (``observability``).

    Bad values raise ``ConfigValidationError`` here, before any I/O.
    """

    sharding: HashShardingConfig

    def __init__(
        self,
        *,
        sharding: HashShardingConfig | None = None,
        num_dbs: int | None = None,
        max_keys_per_shard: int | None = None,
        **base_kwargs: Any,
    ) -> None:
        if sharding is not None:
            if num_dbs is not None or max_keys_per_shard is not None:
                raise ConfigValidationError(
                    "sharding cannot be combined with num_dbs or max_keys_per_shard"
                )
            self.sharding = sharding
        else:
            self.sharding = HashShardingConfig(num_dbs=num_dbs, max_keys_per_shard=max_keys_per_shard)
        BaseShardedWriteConfig.__init__(self, **base_kwargs)
        self.validate()

    def validate(self) -> None:
        BaseShardedWriteConfig.validate(self)
        if not isinstance(self.sharding, HashShardingConfig):
            raise ConfigValidationError("sharding must be HashShardingConfig")
        self.sharding.validate()

    @property
    def num_dbs(self) -> int | None:
        return self.sharding.num_dbs

    @property
    def max_keys_per_shard(self) -> int | None:
        return self.sharding.max_keys_per_shard

    def _native_config(self) -> dict[str, Any]:
        d = BaseShardedWriteConfig._native_config(self)
        d["num_dbs"] = self.sharding.num_dbs
        d["max_keys_per_shard"] = self.sharding.max_keys_per_shard
        return d


@dataclass(slots=True, init=False)
class CelShardedWriteConfig(BaseShardedWriteConfig):
    """A build whose shard a CEL expression picks (the reference's CEL routing).

    ``cel_expr`` over ``cel_columns`` (name -> CEL type name or ``CelType``);
    its result is the shard id (an int or uint), or a categorical token:
    listed in ``routing_values`` (shard i holds the i-th), or collected from
    the data with ``infer_routing_values_from_data=True``. Every other flat
    keyword is as in ``HashShardedWriteConfig``.
    """

    sharding: CelShardingConfig

    def __init__(
        self,
        *,
        sharding: CelShardingConfig | None = None,
        cel_expr: str | None = None,
        cel_columns: dict[str, str] | None = None,
        routing_values: list | None = None,
        infer_routing_values_from_data: bool | None = None,
        **base_kwargs: Any,
    ) -> None:
        flat = (cel_expr, cel_columns, routing_values, infer_routing_values_from_data)
        if sharding is not None:
            if any(v is not None for v in flat):
                raise ConfigValidationError(
                    "sharding cannot be combined with cel_expr, cel_columns, routing_values, "
                    "or infer_routing_values_from_data"
                )
            self.sharding = sharding
        else:
            self.sharding = CelShardingConfig(
                cel_expr=cel_expr if cel_expr is not None else "",
                cel_columns=dict(cel_columns) if cel_columns is not None else {},
                routing_values=routing_values,
                infer_routing_values_from_data=bool(infer_routing_values_from_data),
            )
        BaseShardedWriteConfig.__init__(self, **base_kwargs)
        self.validate()

    def validate(self) -> None:
        BaseShardedWriteConfig.validate(self)
        if not isinstance(self.sharding, CelShardingConfig):
            raise ConfigValidationError("sharding must be CelShardingConfig")
        self.sharding.validate()

    @property
    def cel_expr(self) -> str:
        return self.sharding.cel_expr

    @property
    def cel_columns(self) -> dict[str, str]:
        return self.sharding.cel_columns

    @property
    def routing_values(self) -> list | None:
        return self.sharding.routing_values

    @property
    def infer_routing_values_from_data(self) -> bool:
        return self.sharding.infer_routing_values_from_data

    def _native_config(self) -> dict[str, Any]:
        d = BaseShardedWriteConfig._native_config(self)
        columns = []
        for name, ctype in self.sharding.cel_columns.items():
            ctype = getattr(ctype, "value", ctype)  # a CelType member or its name
            if not isinstance(name, str) or not isinstance(ctype, str):
                raise ConfigValidationError("cel_columns must map str names to CEL type names")
            columns.append((name, ctype))
        d["cel_expr"] = self.sharding.cel_expr
        d["cel_columns"] = columns
        d["routing_values"] = self.sharding.routing_values
        d["infer_routing_values_from_data"] = self.sharding.infer_routing_values_from_data
        return d


@dataclass(slots=True, frozen=True)
class VectorColumnInput:
    """The reference's KV+vector column mapping (accepted; vector writes are not supported yet)."""

    vector_col: str
    id_col: str | None = None
    payload_cols: list[str] | None = None
    shard_id_col: str | None = None
    routing_context_cols: dict[str, str] | None = None


@dataclass(slots=True)
class ColumnWriteInput:
    """How a DataFrame writer reads a row: the key column and a ValueSpec for the value."""

    key_col: str
    value_spec: Any
    vector: VectorColumnInput | None = None
    vector_fn: Callable[[Any], Any] | None = None

    def validate(self) -> None:
        if not isinstance(self.key_col, str) or not self.key_col:
            raise ConfigValidationError("input.key_col must be non-empty")
        if self.value_spec is None:
            raise ConfigValidationError("input.value_spec is required")
        if isinstance(self.value_spec, (str, bytes)) or not callable(
            getattr(self.value_spec, "encode", None)
        ):
            raise ConfigValidationError(
                f"input.value_spec must be a ValueSpec, got {type(self.value_spec).__name__}"
            )
        if self.vector_fn is not None and not callable(self.vector_fn):
            raise ConfigValidationError("input.vector_fn must be callable")
        if self.vector is not None or self.vector_fn is not None:
            raise ConfigValidationError("input.vector: KV+vector writes are not supported yet")


@dataclass(slots=True)
class PythonRecordInput(Generic[T]):
    """How to get a key, a value and (CEL) the column values from a record.

    ``key_fn(record)``: the key, an int for the u64be/u32be encodings, str
    (utf8) or bytes (raw). ``value_fn(record)``: the value, bytes.
    ``columns_fn(record)``: for CEL routing, a dict holding every column of
    ``cel_columns``. The callbacks run on the calling thread, once per record.
    """

    key_fn: Callable[[T], int | str | bytes]
    value_fn: Callable[[T], bytes]
    columns_fn: Callable[[T], dict[str, Any]] | None = None
    vector_fn: Callable[[T], Any] | None = None

    def validate(self) -> None:
        for name in ("key_fn", "value_fn"):
            if not callable(getattr(self, name)):
                raise ConfigValidationError(f"input.{name} must be callable")
        for name in ("columns_fn", "vector_fn"):
            fn = getattr(self, name)
            if fn is not None and not callable(fn):
                raise ConfigValidationError(f"input.{name} must be callable")
        if self.vector_fn is not None:
            raise ConfigValidationError("input.vector_fn: KV+vector writes are not supported yet")


@dataclass(slots=True)
class SharedMemoryOptions:
    """Parallel mode's byte budgets for batches in flight (None = unbounded)."""

    max_total_bytes: int | None = 256 * 1024 * 1024
    max_bytes_per_worker: int | None = 32 * 1024 * 1024

    def validate(self) -> None:
        _check_positive(self.max_total_bytes, "options.shared_memory.max_total_bytes", when_set=True)
        _check_positive(
            self.max_bytes_per_worker, "options.shared_memory.max_bytes_per_worker", when_set=True
        )


@dataclass(slots=True)
class BufferingOptions:
    """A memory ceiling over all shard batches: beyond it the largest is flushed."""

    max_total_batched_items: int | None = None
    max_total_batched_bytes: int | None = None

    def validate(self) -> None:
        _check_positive(
            self.max_total_batched_items, "options.buffering.max_total_batched_items", when_set=True
        )
        _check_positive(
            self.max_total_batched_bytes, "options.buffering.max_total_batched_bytes", when_set=True
        )


@dataclass(slots=True)
class PythonWriteOptions:
    """How the build runs.

    parallel=True runs the shard writers on a pool of ``workers`` threads
    (0 = the number of cores) inside the C++ engine, not in subprocesses;
    max_queue_size is accepted for compatibility and has no effect there.
    The memory ceiling (buffering) applies in both modes.
    """

    parallel: bool = False
    max_queue_size: int = 100
    shared_memory: SharedMemoryOptions = field(default_factory=SharedMemoryOptions)
    buffering: BufferingOptions = field(default_factory=BufferingOptions)
    workers: int = 0

    def validate(self) -> None:
        _check_positive(self.max_queue_size, "options.max_queue_size")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 0:
            raise ConfigValidationError("options.workers must be >= 0")
        if not isinstance(self.shared_memory, SharedMemoryOptions):
            raise ConfigValidationError("options.shared_memory must be SharedMemoryOptions")
        if not isinstance(self.buffering, BufferingOptions):
            raise ConfigValidationError("options.buffering must be BufferingOptions")
        self.shared_memory.validate()
        self.buffering.validate()

    def _native_options(self) -> dict[str, Any]:
        return {
            "parallel": bool(self.parallel),
            "workers": self.workers,
            "max_total_chunk_bytes": self.shared_memory.max_total_bytes,
            "max_chunk_bytes_per_worker": self.shared_memory.max_bytes_per_worker,
            "max_total_batched_items": self.buffering.max_total_batched_items,
            "max_total_batched_bytes": self.buffering.max_total_batched_bytes,
        }


@dataclass(slots=True)
class DaskWriteOptions:
    """How the Dask writer runs (shardyfusion.writer.dask).

    sort_within_partitions sorts each shard's rows by the key column before
    they are written; verify_routing re-checks the shard ids assigned in the
    partitions against the engine's router on a sample of rows.
    """

    sort_within_partitions: bool = False
    verify_routing: bool = True

    def validate(self) -> None:
        for name in ("sort_within_partitions", "verify_routing"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigValidationError(f"options.{name} must be a bool")
