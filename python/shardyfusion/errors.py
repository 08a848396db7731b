"""The library's exceptions, and how the C++ engine's error codes map to them.

Every class derives from ShardyfusionError and carries ``retryable``: a class
default that an instance raised from the engine overrides with the engine's
own verdict (an S3 403 is not retryable, a 503 is).
"""

from __future__ import annotations


class ShardyfusionError(Exception):
    """Base of every library error."""

    retryable: bool = False

    def __init__(self, *args: object, retryable: bool | None = None) -> None:
        super().__init__(*args)
        if retryable is not None:
            self.retryable = retryable


class ConfigValidationError(ShardyfusionError):
    """Bad configuration, options or key domain; nothing was written."""


class ShardAssignmentError(ShardyfusionError):
    """A record could not be routed to a shard."""


class ShardCoverageError(ShardyfusionError):
    """Attempt results name shards outside [0, num_dbs)."""


class DbAdapterError(ShardyfusionError):
    """A shard database could not be opened, read or closed."""


class BridgeTimeoutError(ShardyfusionError):
    retryable = True


class ManifestBuildError(ShardyfusionError):
    pass


class PublishManifestError(ShardyfusionError):
    """The manifest could not be published."""

    retryable = True


class PublishCurrentError(ShardyfusionError):
    """The manifest exists but ``_CURRENT`` was not switched to it.

    ``manifest_ref`` names that manifest, so the pointer switch alone can be
    retried.
    """

    retryable = True

    def __init__(
        self, message: str = "", *, manifest_ref: str | None = None, retryable: bool | None = None
    ) -> None:
        super().__init__(message, retryable=retryable)
        self.manifest_ref = manifest_ref


class ManifestParseError(ShardyfusionError):
    """A manifest or ``_CURRENT`` pointer is malformed."""


class ReaderStateError(ShardyfusionError):
    """Reader misuse (closed) or nothing published yet."""


class PoolExhaustedError(ShardyfusionError):
    retryable = True


class ManifestStoreError(ShardyfusionError):
    retryable = True


class ShardWriteError(ShardyfusionError):
    """A shard attempt failed while writing."""

    retryable = True


class S3TransientError(ShardyfusionError):
    retryable = True


class StorageError(ShardyfusionError):
    """Object-store I/O failed (C++ engine: Storage, PreconditionFailed)."""


class InvalidInputError(ShardyfusionError, ValueError):
    """A malformed input record."""


class InvalidArgumentError(ShardyfusionError, ValueError):
    """An argument outside the API's contract."""


class InternalError(ShardyfusionError):
    """A bug in the engine: an invariant did not hold."""


# ErrorCodeName (include/shardyfusion/status.h) -> class.
_BY_CODE: dict[str, type[ShardyfusionError]] = {
    "ConfigValidation": ConfigValidationError,
    "ShardAssignment": ShardAssignmentError,
    "ShardCoverage": ShardCoverageError,
    "ShardWrite": ShardWriteError,
    "DbAdapter": DbAdapterError,
    "PublishManifest": PublishManifestError,
    "PublishCurrent": PublishCurrentError,
    "ManifestParse": ManifestParseError,
    "ReaderState": ReaderStateError,
    "Storage": StorageError,
    "PreconditionFailed": StorageError,
    "InvalidInput": InvalidInputError,
    "InvalidArgument": InvalidArgumentError,
    "Internal": InternalError,
}


def from_status(
    code: str, message: str, retryable: bool, manifest_ref: str | None
) -> ShardyfusionError:
    """The exception for an engine Status (called by the _native module)."""
    cls = _BY_CODE.get(code, ShardyfusionError)
    if cls is PublishCurrentError:
        return PublishCurrentError(message, manifest_ref=manifest_ref, retryable=retryable)
    return cls(message, retryable=retryable)
