"""The seed page's S3 examples against a real S3 server (Ceph RGW, path-style)."""

from __future__ import annotations

import http.client
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from shardyfusion import (
    HashShardedWriteConfig,
    LocalSlateDbFactory,
    MetricEvent,
    PythonRecordInput,
    ReaderStateError,
    RetryConfig,
    ShardedReader,
    ShardWriteError,
)
from shardyfusion.reader import SlateDbReaderFactory
from shardyfusion.sqlite_adapter import SqliteFactory, SqliteReaderFactory
from shardyfusion.type_defs import S3ConnectionOptions
from shardyfusion.writer.python import write_hash_sharded

N = 20_000
RECORDS = [{"id": i, "payload": f"row-{i}".encode()} for i in range(N)]
SEED_INPUT = PythonRecordInput(key_fn=lambda r: r["id"], value_fn=lambda r: r["payload"])


def check_snapshot(reader: ShardedReader, result, num_dbs: int) -> None:
    info = reader.snapshot_info()
    assert info.manifest_ref == result.manifest_ref and info.manifest_ref.startswith("s3://")
    assert info.num_dbs == num_dbs and info.row_count == N
    assert reader.get(42) == b"row-42"
    assert reader.get(N) is None
    keys = list(range(0, N, 97)) + [N + 1]
    got = reader.multi_get(keys)
    assert got == {k: (f"row-{k}".encode() if k < N else None) for k in keys}
    assert all(d.db_url.startswith(result.manifest_ref.split("/manifests/")[0]) for d in reader.shard_details())


def test_seed_path_style_local_slatedb_example(s3, prefix, local_root):
    # The seed's snippet, with the test server's endpoint and region.
    opts = S3ConnectionOptions(endpoint_url=s3.endpoint, region_name=s3.region, addressing_style="path")
    writer_factory = LocalSlateDbFactory(s3_connection_options=opts)
    reader_factory = SlateDbReaderFactory(s3_connection_options=opts)

    config = HashShardedWriteConfig(num_dbs=4, s3_prefix=prefix, adapter_factory=writer_factory)
    result = write_hash_sharded(RECORDS, config, SEED_INPUT)
    assert result.manifest_ref.ref.startswith(prefix + "/manifests/")
    assert [w.db_id for w in result.winners] == [0, 1, 2, 3]

    with ShardedReader(s3_prefix=prefix, local_root=local_root, reader_factory=reader_factory) as reader:
        check_snapshot(reader, result, 4)


def test_default_slatedb_and_sqlite_onto_s3(s3, prefix, local_root):
    opts = S3ConnectionOptions(endpoint_url=s3.endpoint, region_name=s3.region, addressing_style="path")
    slate = HashShardedWriteConfig(num_dbs=3, s3_prefix=prefix + "/slate", s3_connection_options=opts)
    result = write_hash_sharded(iter(RECORDS), slate, SEED_INPUT)  # a one-shot iterator
    with ShardedReader(s3_prefix=prefix + "/slate", local_root=local_root, s3_connection_options=opts) as r:
        check_snapshot(r, result, 3)

    sqlite = HashShardedWriteConfig(
        num_dbs=5, s3_prefix=prefix + "/sqlite", adapter_factory=SqliteFactory(s3_connection_options=opts)
    )
    result = write_hash_sharded(RECORDS, sqlite, SEED_INPUT)
    reader_factory = SqliteReaderFactory(s3_connection_options=opts)
    with ShardedReader(s3_prefix=prefix + "/sqlite", local_root=local_root, reader_factory=reader_factory) as r:
        check_snapshot(r, result, 5)


class FaultyProxy:
    """Forwards to the S3 server, answering the first `failures` shard uploads with 503."""

    def __init__(self, upstream: str, failures: int) -> None:
        self.upstream = urlsplit(upstream)
        self.failures = failures
        self.failed: list[str] = []
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                with proxy.lock:
                    fail = self.command == "PUT" and "/shards/" in self.path and proxy.failures > 0
                    if fail:
                        proxy.failures -= 1
                        proxy.failed.append(self.path)
                if fail:
                    payload = b"<Error><Code>SlowDown</Code><Message>injected</Message></Error>"
                    self.send_response(503)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=60)
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    if name.lower() not in ("expect", "connection"):
                        conn.putheader(name, value)
                conn.endheaders(body)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for name, value in resp.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                conn.close()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_a_transient_shard_failure_is_retried_with_shard_retry(s3, prefix, local_root):
    retried: list[dict] = []

    class Collector:
        def emit(self, event, payload):
            if event is MetricEvent.SHARD_WRITE_RETRIED:
                retried.append(payload)

    with FaultyProxy(s3.endpoint, failures=1) as proxy:
        # One try per request, so the 503 reaches the shard attempt instead of the S3 client's retries.
        opts = S3ConnectionOptions(
            endpoint_url=proxy.endpoint, region_name=s3.region, addressing_style="path", max_attempts=1
        )
        no_retry = HashShardedWriteConfig(
            num_dbs=2, s3_prefix=prefix + "/a", adapter_factory=SqliteFactory(), s3_connection_options=opts
        )
        with pytest.raises(ShardWriteError, match="503|SlowDown") as e:
            write_hash_sharded(RECORDS, no_retry, SEED_INPUT)
        assert e.value.retryable
        assert len(proxy.failed) == 1

        proxy.failures = 1
        with_retry = HashShardedWriteConfig(
            num_dbs=2,
            s3_prefix=prefix + "/b",
            adapter_factory=SqliteFactory(),
            s3_connection_options=opts,
            shard_retry=RetryConfig(max_retries=2, initial_backoff=timedelta(milliseconds=10)),
            metrics_collector=Collector(),
        )
        result = write_hash_sharded(RECORDS, with_retry, SEED_INPUT)
        assert len(proxy.failed) == 2 and len(retried) == 1
        assert sorted(w.attempt for w in result.winners) == [0, 1]

        with ShardedReader(s3_prefix=prefix + "/b", local_root=local_root, s3_connection_options=opts) as r:
            check_snapshot(r, result, 2)
        with pytest.raises(ReaderStateError):  # the failed build published nothing
            ShardedReader(s3_prefix=prefix + "/a", local_root=local_root, s3_connection_options=opts)
