"""The SlateDB backend (the default): each shard a SlateDB database."""

from __future__ import annotations

from dataclasses import dataclass

from shardyfusion import _native
from shardyfusion._factory_support import refuse_unsupported
from shardyfusion.type_defs import S3ConnectionOptions


@dataclass(slots=True)
class SlateDbFactory:
    """Direct mode: SSTs go to the object store as the build runs.

    s3_connection_options and credential_provider configure the build's
    object store (shards and manifest share it).
    """

    env_file: str | None = None
    settings: object = None
    credential_provider: object = None
    bridge_timeouts: object = None
    s3_connection_options: S3ConnectionOptions | None = None

    _LOCAL = False

    def _native_factory(self):
        refuse_unsupported(
            type(self).__name__,
            env_file=self.env_file,
            settings=self.settings,
            bridge_timeouts=self.bridge_timeouts,
        )
        return _native.slatedb_writer_factory(self._LOCAL)
