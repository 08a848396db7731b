"""Shared small types (the reference's shardyfusion/type_defs.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TypedDict, Union

KeyInput = Union[int, str, bytes]


@dataclass(slots=True, frozen=True)
class RetryConfig:
    """Shard retries: attempt k (0-based) retries after initial_backoff * backoff_multiplier**k."""

    max_retries: int = 3
    initial_backoff: timedelta = timedelta(seconds=1.0)
    backoff_multiplier: float = 2.0


class S3ConnectionOptions(TypedDict, total=False):
    endpoint_url: str
    region_name: str
    addressing_style: str
    signature_version: str
    verify_ssl: Union[bool, str]
    connect_timeout: int
    read_timeout: int
    max_attempts: int
