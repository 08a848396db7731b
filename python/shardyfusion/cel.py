"""CEL routing names (the reference's shardyfusion/cel.py).

The expression is compiled and evaluated by the C++ engine's CEL
implementation (docs/cel.md), not by a Python package.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from shardyfusion.errors import ShardAssignmentError


class CelType(str, Enum):
    INT = "int"
    STRING = "string"
    BYTES = "bytes"
    DOUBLE = "double"
    BOOL = "bool"
    UINT = "uint"


@dataclass(slots=True, frozen=True)
class CelColumn:
    name: str
    type: CelType = CelType.STRING


class UnknownRoutingTokenError(ShardAssignmentError, ValueError):
    """route_key / shard_for_key of a key whose CEL result names no shard.

    A ValueError, as in the reference, and also this library's
    ShardAssignmentError; get and multi_get answer None instead.
    """
