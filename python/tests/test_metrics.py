"""Metric events reach a Python collector, from the engine's threads too."""

from __future__ import annotations

import sys
import threading

from shardyfusion import (
    HashShardedWriteConfig,
    MetricEvent,
    PythonRecordInput,
    PythonWriteOptions,
    ReaderStateError,
    ShardedReader,
)
from shardyfusion.writer.python import write_hash_sharded


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.events = []

    def emit(self, event, payload):
        with self.lock:
            self.events.append((event, payload))

    def names(self):
        return [e for e, _ in self.events]


class Broken:
    def emit(self, event, payload):
        raise RuntimeError("collector bug")


def test_writer_and_reader_events(store, local_root):
    prefix = str(store / "m")
    rec = Recorder()
    result = write_hash_sharded(
        range(1_000),
        HashShardedWriteConfig(num_dbs=4, s3_prefix=prefix, metrics_collector=rec),
        PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: b"v"),
        PythonWriteOptions(parallel=True, workers=2),
    )
    names = rec.names()
    assert names[0] is MetricEvent.WRITE_STARTED
    assert MetricEvent.MANIFEST_PUBLISHED in names
    assert names[-1] is MetricEvent.WRITE_COMPLETED
    assert dict(rec.events)[MetricEvent.WRITE_COMPLETED]["rows_written"] == result.stats.rows_written

    rec = Recorder()
    with ShardedReader(s3_prefix=prefix, local_root=local_root, metrics_collector=rec) as reader:
        assert reader.get(1) == b"v"
        reader.multi_get([1, 2, 3])
        reader.refresh()
    names = rec.names()
    assert names[0] is MetricEvent.READER_INITIALIZED
    get = [p for e, p in rec.events if e is MetricEvent.READER_GET]
    assert get and get[0]["found"] is True
    assert [p["num_keys"] for e, p in rec.events if e is MetricEvent.READER_MULTI_GET] == [3]
    assert [p["changed"] for e, p in rec.events if e is MetricEvent.READER_REFRESHED] == [False]
    assert names[-1] is MetricEvent.READER_CLOSED


def test_a_failing_collector_never_fails_the_build(store, local_root, monkeypatch):
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    prefix = str(store / "b")
    result = write_hash_sharded(
        range(100),
        HashShardedWriteConfig(num_dbs=2, s3_prefix=prefix, metrics_collector=Broken()),
        PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: b"v"),
    )
    assert result.stats.rows_written == 100
    with ShardedReader(s3_prefix=prefix, local_root=local_root, metrics_collector=Broken()) as reader:
        assert reader.get(5) == b"v"
    assert reported and all(str(u.exc_value) == "collector bug" for u in reported)


def test_threads_collector_refresh_and_close_race_without_deadlock(store, local_root):
    prefix = str(store / "race")
    write_hash_sharded(
        range(5_000),
        HashShardedWriteConfig(num_dbs=4, s3_prefix=prefix),
        PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: b"%d" % r),
    )
    rec = Recorder()
    reader = ShardedReader(s3_prefix=prefix, local_root=local_root, metrics_collector=rec)
    started = threading.Barrier(5)
    wrong = []

    def work(offset):
        started.wait()
        i = offset
        while True:
            try:
                got = reader.get(i % 5_000)
            except ReaderStateError:
                return
            if got != b"%d" % (i % 5_000):
                wrong.append(i)
            i += 7

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    started.wait()
    for _ in range(20):
        reader.refresh()
    reader.close()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive()
    assert wrong == []
    assert MetricEvent.READER_CLOSED in rec.names()
