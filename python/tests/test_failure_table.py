"""The seed page's failure table, each row provoked by a real build.

Every failure leaves `_CURRENT` as it was: absent for a first build, or the
previous snapshot for a later one, which readers keep seeing.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from shardyfusion import (
    ConfigValidationError,
    DbAdapterError,
    HashShardedWriteConfig,
    ManifestParseError,
    MetricEvent,
    PublishCurrentError,
    PublishManifestError,
    PythonRecordInput,
    ReaderStateError,
    RetryConfig,
    ShardCoverageError,
    ShardedReader,
    ShardWriteError,
    StaticCredentialProvider,
)
from shardyfusion.sqlite_adapter import SqliteFactory, SqliteReaderFactory
from shardyfusion.type_defs import S3ConnectionOptions
from shardyfusion.writer.python import write_hash_sharded

INPUT = PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: b"v%d" % r)


def build(prefix: Path, n: int = 1000, num_dbs: int = 2, **kw):
    cfg = HashShardedWriteConfig(num_dbs=num_dbs, s3_prefix=str(prefix), adapter_factory=SqliteFactory(), **kw)
    return write_hash_sharded(range(n), cfg, INPUT)


def current_bytes(prefix: Path) -> bytes | None:
    p = prefix / "_CURRENT"
    return p.read_bytes() if p.is_file() else None


def test_bad_config_writes_nothing(store):
    prefix = store / "snap"
    with pytest.raises(ConfigValidationError, match="num_dbs"):
        build(prefix, num_dbs=0)
    assert not prefix.exists()


def test_a_failed_shard_write_is_a_shard_write_error(store, local_root):
    prefix = store / "snap"
    first = build(prefix)
    before = current_bytes(prefix)
    # The shard tree becomes a plain file: every shard upload of the next build fails.
    shutil.move(prefix / "shards", store / "kept-shards")
    (prefix / "shards").write_text("in the way")
    with pytest.raises(ShardWriteError, match="db_id=") as e:
        build(prefix)
    assert "attempt=00" in str(e.value)
    assert current_bytes(prefix) == before
    (prefix / "shards").unlink()
    shutil.move(store / "kept-shards", prefix / "shards")
    with ShardedReader(s3_prefix=str(prefix), local_root=local_root, reader_factory=SqliteReaderFactory()) as r:
        assert r.snapshot_info().manifest_ref == first.manifest_ref
        assert r.get(7) == b"v7"


def test_shard_retry_does_not_repeat_a_permanent_failure(store):
    # A transient failure is retried (python/tests_s3, through a faulty proxy in front of the S3
    # server); one that cannot pass on a retry fails at once, naming the attempt.
    prefix = store / "snap"
    prefix.mkdir()
    (prefix / "shards").write_text("in the way")
    retried: list[dict] = []

    class Collector:
        def emit(self, event, payload):
            if event is MetricEvent.SHARD_WRITE_RETRIED:
                retried.append(payload)

    retry = RetryConfig(max_retries=3, initial_backoff=timedelta(milliseconds=1))
    with pytest.raises(ShardWriteError, match="attempt=00.*Not a directory") as e:
        build(prefix, shard_retry=retry, metrics_collector=Collector())
    assert not e.value.retryable
    assert retried == []
    assert current_bytes(prefix) is None


def test_manifest_put_failure_is_a_publish_manifest_error(store):
    prefix = store / "snap"
    prefix.mkdir()
    (prefix / "manifests").write_text("in the way")
    with pytest.raises(PublishManifestError, match="Failed to publish manifest"):
        build(prefix)
    assert current_bytes(prefix) is None
    # The shards the failed build wrote are gone again (the local store's empty directories and
    # lock files may stay; they are not objects).
    objects = [p for p in (prefix / "shards").rglob("*") if p.is_file() and p.name != ".shardy-lock"]
    assert objects == []


def test_current_put_failure_is_a_publish_current_error_and_a_rerun_publishes(store, local_root):
    prefix = store / "snap"
    first = build(prefix)
    kept = (prefix / "_CURRENT").read_bytes()
    (prefix / "_CURRENT").unlink()
    (prefix / "_CURRENT").mkdir()  # the pointer cannot be replaced
    (prefix / "_CURRENT" / "x").write_text("x")
    with pytest.raises(PublishCurrentError) as e:
        build(prefix)
    ref = e.value.manifest_ref
    assert ref and ref != first.manifest_ref and ref.startswith("file://")
    assert Path(ref.removeprefix("file://")).is_file(), "the manifest exists but is invisible"
    assert e.value.retryable

    shutil.rmtree(prefix / "_CURRENT")
    (prefix / "_CURRENT").write_bytes(kept)
    again = build(prefix)
    with ShardedReader(s3_prefix=str(prefix), local_root=local_root, reader_factory=SqliteReaderFactory()) as r:
        assert r.snapshot_info().manifest_ref == again.manifest_ref
        assert r.get(3) == b"v3"


class _DroppingS3(BaseHTTPRequestHandler):
    """An S3 endpoint that acknowledges every upload and keeps nothing."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _reply(self, code: int, body: bytes = b"", ctype: str = "application/xml") -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", '"d41d8cd98f00b204e9800998ecf8427e"')
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _drain(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)

    def do_PUT(self):
        self._drain()
        self._reply(200)

    def do_POST(self):
        self._drain()
        if "uploads" in self.path:
            body = b"<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>"
        else:
            body = b"<CompleteMultipartUploadResult><ETag>\"e\"</ETag></CompleteMultipartUploadResult>"
        self._reply(200, body)

    def do_GET(self):
        if "list-type=2" in self.path:
            self._reply(200, b"<ListBucketResult><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>")
        else:
            self._reply(404, b"<Error><Code>NoSuchKey</Code><Message>none</Message></Error>")

    def do_HEAD(self):
        self._reply(404)

    def do_DELETE(self):
        self._reply(204)


@pytest.fixture
def dropping_s3():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DroppingS3)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_shard_without_a_successful_attempt_is_a_shard_coverage_error(dropping_s3):
    opts = S3ConnectionOptions(endpoint_url=dropping_s3, region_name="us-east-1", addressing_style="path")
    cfg = HashShardedWriteConfig(
        num_dbs=2,
        s3_prefix="s3://bkt/snap",
        adapter_factory=SqliteFactory(),
        s3_connection_options=opts,
        credential_provider=StaticCredentialProvider(access_key_id="AK", secret_access_key="SK"),
    )
    with pytest.raises(ShardCoverageError, match="no successful attempt") as e:
        write_hash_sharded(range(100), cfg, INPUT)
    assert "nothing was published" in str(e.value)


def test_a_corrupt_manifest_is_a_manifest_parse_error_or_falls_back(store, local_root):
    prefix = store / "snap"
    older = build(prefix, n=10)
    newer = build(prefix, n=1000)
    manifest = Path(newer.manifest_ref.removeprefix("file://"))
    manifest.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)  # the magic, then garbage

    def reader(**kw):
        return ShardedReader(s3_prefix=str(prefix), local_root=local_root, reader_factory=SqliteReaderFactory(), **kw)

    with pytest.raises(ManifestParseError, match="manifest"):
        reader(max_fallback_attempts=0)
    with reader() as r:  # the reference's cold-start fallback: the newest manifest that parses
        assert r.snapshot_info().manifest_ref == older.manifest_ref
        assert r.get(5) == b"v5" and r.get(500) is None
    Path(older.manifest_ref.removeprefix("file://")).write_bytes(b"not a manifest")
    with pytest.raises(ReaderStateError, match="No valid manifest found after fallback"):
        reader()


def test_a_corrupt_shard_is_a_db_adapter_error(store, local_root):
    prefix = store / "snap"
    result = build(prefix)
    shard = next(w for w in result.winners if w.db_id == 0)
    db = Path(shard.db_url.removeprefix("file://")) / "shard.db"
    assert sqlite3.connect(db).execute("select count(*) from kv").fetchone()[0] == shard.row_count
    db.write_bytes(b"not a database at all" * 100)
    with pytest.raises(DbAdapterError, match="db_id=0.*damaged"):
        ShardedReader(s3_prefix=str(prefix), local_root=local_root, reader_factory=SqliteReaderFactory())
