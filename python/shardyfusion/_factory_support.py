"""What the backend factories, the writer and the reader share: S3 settings.

The engine has one object store per build or reader, which the shards use
too, so S3 settings given on a factory (the seed's
LocalSlateDbFactory(s3_connection_options=...)) configure that store, as do
the same settings given on the config or the reader; given in two places
they must agree.
"""

from __future__ import annotations

from typing import Any

from shardyfusion.errors import ConfigValidationError


def refuse_unsupported(owner: str, **fields: Any) -> None:
    for name, value in fields.items():
        if value is not None:
            raise ConfigValidationError(
                f"{owner}.{name} is not supported by the C++ engine's Python binding yet"
            )


def _pick(name: str, *candidates: tuple[str, Any]) -> Any:
    chosen = None
    for owner, value in candidates:
        if value is None:
            continue
        if chosen is not None and value != chosen[1]:
            raise ConfigValidationError(
                f"{name} given on {chosen[0]} and on {owner} with different values; give it once"
            )
        chosen = chosen or (owner, value)
    return None if chosen is None else chosen[1]


def _option_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def s3_settings(*owners: tuple[str, Any, Any]) -> dict | None:
    """The _native "s3" settings from (owner name, s3_connection_options,
    credential_provider) triples, or None when none is set."""
    options = _pick("s3_connection_options", *[(o, opts) for o, opts, _ in owners])
    provider = _pick("credential_provider", *[(o, cp) for o, _, cp in owners])
    if options is None and provider is None:
        return None
    native_options = {}
    for key, value in dict(options or {}).items():
        if key == "signature_version":  # declared by the reference, used by nobody
            continue
        native_options[key] = _option_text(value)
    credentials = None
    if provider is not None:
        if not hasattr(provider, "resolve"):
            raise ConfigValidationError(
                f"credential_provider must have resolve(), got {type(provider).__name__}"
            )
        c = provider.resolve()
        credentials = (c.access_key_id, c.secret_access_key, c.session_token)
    return {"options": native_options, "credentials": credentials}
