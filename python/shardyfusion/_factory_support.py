"""What the backend factories share: the fields the engine cannot honour yet."""

from __future__ import annotations

from typing import Any

from shardyfusion.errors import ConfigValidationError


def refuse_unsupported(owner: str, **fields: Any) -> None:
    for name, value in fields.items():
        if value is not None:
            raise ConfigValidationError(
                f"{owner}.{name} is not supported by the C++ engine's Python binding yet; "
                "S3 settings come from the environment (AWS_ENDPOINT_URL, AWS_REGION, ...)"
            )
