"""shardyfusion: immutable sharded key-value snapshots, over a C++ engine.

Build a snapshot with shardyfusion.writer.python.write_hash_sharded /
write_cel_sharded; read it with ShardedReader.
"""

from shardyfusion.cel import CelColumn, CelType
from shardyfusion.config import (
    BaseShardedWriteConfig,
    BufferingOptions,
    CelShardedWriteConfig,
    CelShardingConfig,
    HashShardedWriteConfig,
    HashShardingConfig,
    KeyValueWriteConfig,
    KvWriteRateLimitConfig,
    PythonRecordInput,
    PythonWriteOptions,
    SharedMemoryOptions,
    WriterLifecycleConfig,
    WriterManifestConfig,
    WriterObservabilityConfig,
    WriterOutputConfig,
    WriterRetryConfig,
    WriterStorageConfig,
)
from shardyfusion.credentials import (
    CredentialProvider,
    EnvCredentialProvider,
    S3Credentials,
    StaticCredentialProvider,
)
from shardyfusion.errors import (
    ConfigValidationError,
    DbAdapterError,
    ManifestBuildError,
    ManifestParseError,
    ManifestStoreError,
    PoolExhaustedError,
    PublishCurrentError,
    PublishManifestError,
    ReaderStateError,
    S3TransientError,
    ShardAssignmentError,
    ShardCoverageError,
    ShardWriteError,
    ShardyfusionError,
)
from shardyfusion.local_slatedb_adapter import LocalSlateDbFactory
from shardyfusion.manifest import (
    BuildDurations,
    BuildResult,
    BuildStats,
    ManifestRef,
    RequiredShardMeta,
    WriterInfo,
)
from shardyfusion.reader import ShardDetail, ShardedReader, SlateDbReaderFactory, SnapshotInfo
from shardyfusion.sharding_types import KeyEncoding, ShardHashAlgorithm, ShardingStrategy
from shardyfusion.slatedb_adapter import SlateDbFactory
from shardyfusion.type_defs import RetryConfig, S3ConnectionOptions

__all__ = [
    "BaseShardedWriteConfig",
    "BufferingOptions",
    "BuildDurations",
    "BuildResult",
    "BuildStats",
    "CelColumn",
    "CelShardedWriteConfig",
    "CelShardingConfig",
    "CelType",
    "ConfigValidationError",
    "CredentialProvider",
    "EnvCredentialProvider",
    "DbAdapterError",
    "HashShardedWriteConfig",
    "HashShardingConfig",
    "KeyEncoding",
    "KeyValueWriteConfig",
    "KvWriteRateLimitConfig",
    "LocalSlateDbFactory",
    "ManifestBuildError",
    "ManifestParseError",
    "ManifestRef",
    "ManifestStoreError",
    "PoolExhaustedError",
    "PublishCurrentError",
    "PublishManifestError",
    "PythonRecordInput",
    "PythonWriteOptions",
    "ReaderStateError",
    "RequiredShardMeta",
    "RetryConfig",
    "S3ConnectionOptions",
    "S3Credentials",
    "S3TransientError",
    "ShardAssignmentError",
    "ShardCoverageError",
    "ShardDetail",
    "ShardHashAlgorithm",
    "ShardWriteError",
    "ShardedReader",
    "SharedMemoryOptions",
    "ShardingStrategy",
    "ShardyfusionError",
    "SlateDbFactory",
    "SlateDbReaderFactory",
    "SnapshotInfo",
    "StaticCredentialProvider",
    "WriterInfo",
    "WriterLifecycleConfig",
    "WriterManifestConfig",
    "WriterObservabilityConfig",
    "WriterOutputConfig",
    "WriterRetryConfig",
    "WriterStorageConfig",
]
