"""Sharding enums (the reference's shardyfusion/sharding_types.py)."""

from __future__ import annotations

from enum import Enum

from shardyfusion.errors import ConfigValidationError

DB_ID_COL = "_shard_id"


class _ValueEnum(str, Enum):
    @classmethod
    def from_value(cls, value: object):
        if isinstance(value, cls):
            return value
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise ValueError(f"Unsupported {cls._label()}: {value!r}. Allowed: {allowed}") from None

    @classmethod
    def _label(cls) -> str:
        return cls.__name__


class KeyEncoding(_ValueEnum):
    U64BE = "u64be"
    U32BE = "u32be"
    UTF8 = "utf8"
    RAW = "raw"

    @classmethod
    def _label(cls) -> str:
        return "key encoding"


class ShardingStrategy(_ValueEnum):
    HASH = "hash"
    CEL = "cel"


class ShardHashAlgorithm(_ValueEnum):
    XXH3_64 = "xxh3_64"


def coerce_key_encoding(value: object) -> KeyEncoding:
    try:
        return KeyEncoding.from_value(value)
    except ValueError as e:
        raise ConfigValidationError(str(e)) from None
