"""ValueSpec: how a DataFrame writer turns one row into a value's bytes.

A row is anything indexable by column name (a dict, a pandas Series, a Spark
Row through ``asDict()``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from shardyfusion.errors import ConfigValidationError


@dataclass(slots=True)
class ValueSpec:
    """An encoder of one row to bytes, and a description of it."""

    encoder: Callable[[object], bytes]
    description: str
    _columns: list[str] | None = None

    def encode(self, row: object) -> bytes:
        return self.encoder(row)

    def referenced_columns(self) -> list[str] | None:
        """The columns the encoder reads; None when it may read them all."""
        return None if self._columns is None else list(self._columns)

    @classmethod
    def binary_col(cls, col_name: str) -> "ValueSpec":
        """The column's value as bytes: bytes as is, bytearray copied, str as UTF-8, None as b""."""

        def encode(row: Any) -> bytes:
            value = row[col_name]
            if value is None:
                return b""
            if isinstance(value, bytes):
                return value
            if isinstance(value, bytearray):
                return bytes(value)
            if isinstance(value, str):
                return value.encode("utf-8")
            raise ConfigValidationError(
                f"binary_col expects bytes/bytearray/str, got {type(value).__name__} in column {col_name!r}"
            )

        return cls(encode, f"binary_col:{col_name}", [col_name])

    @classmethod
    def json_cols(cls, cols: list[str] | None = None) -> "ValueSpec":
        """The columns (all when None or empty; missing ones as null) as compact JSON, sorted keys."""
        selected = list(cols) if cols else None

        def encode(row: Any) -> bytes:
            as_dict = row.asDict() if hasattr(row, "asDict") else dict(row)
            if selected is not None:
                as_dict = {c: as_dict.get(c) for c in selected}
            return json.dumps(as_dict, sort_keys=True, separators=(",", ":")).encode("utf-8")

        description = "json_cols:" + (",".join(selected) if selected else "all")
        return cls(encode, description, selected)

    @classmethod
    def callable_encoder(cls, fn: Callable[[object], bytes]) -> "ValueSpec":
        """``fn(row)`` is the value."""
        return cls(fn, getattr(fn, "__name__", None) or "callable_encoder", None)
