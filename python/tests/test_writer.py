"""The Python writer end to end: the seed page's examples, streamed input, failures."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from conftest import files_under, shardy
from shardyfusion import (
    CelType,
    CelShardedWriteConfig,
    ConfigValidationError,
    HashShardedWriteConfig,
    KeyEncoding,
    LocalSlateDbFactory,
    PythonRecordInput,
    PythonWriteOptions,
    ReaderStateError,
    ShardAssignmentError,
    ShardedReader,
    WriterOutputConfig,
)
from shardyfusion.cel import UnknownRoutingTokenError
from shardyfusion.sqlite_adapter import SqliteFactory, SqliteReaderFactory
from shardyfusion.writer.python import write_cel_sharded, write_hash_sharded


def seed_records(n=10_000):
    return [{"id": i, "payload": f"row-{i}".encode()} for i in range(n)]


SEED_INPUT = PythonRecordInput(key_fn=lambda r: r["id"], value_fn=lambda r: r["payload"])


def test_seed_hash_example(store, local_root):
    prefix = str(store / "snapshots" / "users")
    config = HashShardedWriteConfig(num_dbs=4, s3_prefix=prefix)
    result = write_hash_sharded(seed_records(), config, SEED_INPUT)

    assert isinstance(result.manifest_ref, str)
    assert result.manifest_ref.ref == str(result.manifest_ref)
    assert result.manifest_ref.endswith("/manifest")
    assert len(result.run_id) == 32
    assert result.stats.rows_written == 10_000
    assert [w.db_id for w in result.winners] == [0, 1, 2, 3]
    assert sum(w.row_count for w in result.winners) == 10_000

    with ShardedReader(s3_prefix=prefix, local_root=local_root) as reader:
        info = reader.snapshot_info()
        assert info.num_dbs == 4 and info.row_count == 10_000
        assert info.manifest_ref == result.manifest_ref
        assert info.key_encoding is KeyEncoding.U64BE
        assert reader.get(42) == b"row-42"
        assert reader.get(10_000) is None
        assert reader.multi_get([0, 9_999, 123_456]) == {0: b"row-0", 9_999: b"row-9999", 123_456: None}
        assert len(reader.shard_details()) == 4
        db = reader.route_key(42)
        assert reader.shard_for_key(42).db_id == db

    out = shardy("--current-url", f"file://{prefix}/_CURRENT", "--value-encoding", "utf8", "get", "42")
    assert out["found"] is True and out["value"] == "row-42"


def test_seed_cel_example_uint_mixing_is_a_clear_config_error(store):
    prefix = store / "users-cel"
    records = [
        {"id": i, "region": "us-east" if i % 2 == 0 else "eu-west", "payload": f"row-{i}".encode()}
        for i in range(100)
    ]
    config = CelShardedWriteConfig(cel_expr="key % 4u", cel_columns={"key": "int"}, s3_prefix=str(prefix))
    inp = PythonRecordInput(
        key_fn=lambda r: r["id"], value_fn=lambda r: r["payload"], columns_fn=lambda r: {"key": r["id"]}
    )
    with pytest.raises(ConfigValidationError) as e:
        write_cel_sharded(records, config, inp)
    assert "%" in str(e.value) or "int" in str(e.value)
    assert files_under(prefix) == []


def test_cel_direct_example(store, local_root):
    prefix = str(store / "users-cel")
    records = [
        {"id": i, "region": "us-east" if i % 2 == 0 else "eu-west", "payload": f"row-{i}".encode()}
        for i in range(10_000)
    ]
    config = CelShardedWriteConfig(cel_expr="key % 4", cel_columns={"key": "int"}, s3_prefix=prefix)
    result = write_cel_sharded(
        records,
        config,
        PythonRecordInput(
            key_fn=lambda r: r["id"],
            value_fn=lambda r: r["payload"],
            columns_fn=lambda r: {"key": r["id"]},
        ),
    )
    assert [w.db_id for w in result.winners] == [0, 1, 2, 3]
    assert all(w.row_count == 2_500 for w in result.winners)
    with ShardedReader(s3_prefix=prefix, local_root=local_root) as reader:
        assert reader.route_key(7) == 3
        assert reader.get(7) == b"row-7"
        assert reader.snapshot_info().cel_expr == "key % 4"
    out = shardy("--current-url", f"file://{prefix}/_CURRENT", "route", "7")
    assert out["db_id"] == 3


def test_cel_multi_column_categorical(store, local_root):
    prefix = str(store / "by-region")
    records = [
        {"id": i, "region": "us-east" if i % 2 == 0 else "eu-west", "payload": b"%d" % i} for i in range(1_000)
    ]
    config = CelShardedWriteConfig(
        cel_expr="region",
        cel_columns={"region": CelType.STRING, "id": "int"},
        routing_values=["eu-west", "us-east"],
        s3_prefix=prefix,
        adapter_factory=SqliteFactory(),
    )
    result = write_cel_sharded(
        records,
        config,
        PythonRecordInput(
            key_fn=lambda r: r["id"],
            value_fn=lambda r: r["payload"],
            columns_fn=lambda r: {"region": r["region"], "id": r["id"]},
        ),
    )
    assert [(w.db_id, w.row_count) for w in result.winners] == [(0, 500), (1, 500)]
    with ShardedReader(s3_prefix=prefix, local_root=local_root, reader_factory=SqliteReaderFactory()) as r:
        assert r.get(4, routing_context={"region": "us-east", "id": 4}) == b"4"
        assert r.route_key(3, routing_context={"region": "eu-west", "id": 3}) == 0
        assert r.get(4, routing_context={"region": "nowhere", "id": 4}) is None
        with pytest.raises(UnknownRoutingTokenError):
            r.route_key(4, routing_context={"region": "nowhere", "id": 4})
        with pytest.raises(ValueError):
            r.shard_for_key(4, routing_context={"region": "nowhere", "id": 4})
        assert r.snapshot_info().routing_values == ["eu-west", "us-east"]


def test_cel_inferred_needs_reiterable_input_and_works_with_a_list(store):
    config = CelShardedWriteConfig(
        cel_expr="key % 3", cel_columns={"key": "int"}, infer_routing_values_from_data=True,
        s3_prefix=str(store / "inferred"),
    )
    inp = PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: b"v")
    with pytest.raises(ConfigValidationError, match="reiterable"):
        write_cel_sharded(iter(range(30)), config, inp)
    assert files_under(store / "inferred") == []
    result = write_cel_sharded(list(range(30)), config, inp)
    assert [w.db_id for w in result.winners] == [0, 1, 2]


def test_cel_unknown_token_is_a_shard_assignment_error(store):
    config = CelShardedWriteConfig(
        cel_expr="key % 3", cel_columns={"key": "int"}, routing_values=[0, 1], s3_prefix=str(store / "s")
    )
    with pytest.raises(ShardAssignmentError):
        write_cel_sharded(range(10), config, PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: b"v"))
    assert not (store / "s" / "_CURRENT").exists()


def test_a_bool_cel_result_fails_the_build_and_publishes_nothing(store):
    config = CelShardedWriteConfig(cel_expr="key == 1", cel_columns={"key": "int"}, s3_prefix=str(store / "b"))
    with pytest.raises(ShardAssignmentError, match="bool"):
        write_cel_sharded(range(3), config, PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: b"v"))
    assert not (store / "b" / "_CURRENT").exists()


def test_generator_input_is_streamed(store, local_root):
    produced = 0

    def rows():
        nonlocal produced
        for n in range(50_000):
            produced += 1
            yield {"uid": n, "blob": b"%d" % n}

    prefix = str(store / "gen")
    cfg = HashShardedWriteConfig(num_dbs=8, s3_prefix=prefix, adapter_factory=SqliteFactory())
    res = write_hash_sharded(rows(), cfg, PythonRecordInput(key_fn=lambda r: r["uid"], value_fn=lambda r: r["blob"]))
    assert produced == 50_000
    assert res.stats.rows_written == 50_000
    with ShardedReader(s3_prefix=prefix, local_root=local_root) as reader:
        assert reader.snapshot_info().backend == "sqlite"
        assert reader.get(49_999) == b"49999"


_STREAM_CHILD = r"""
import resource, sys
from shardyfusion import HashShardedWriteConfig, PythonRecordInput, ShardedReader
from shardyfusion.writer.python import write_hash_sharded

n, prefix, local_root = int(sys.argv[1]), sys.argv[2], sys.argv[3]
value = b"v" * 200


def rows():
    for i in range(n):
        yield i


def rss_mib():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


base = rss_mib()
cfg = HashShardedWriteConfig(num_dbs=8, s3_prefix=prefix)
cfg.output.local_root = local_root + "/build"
res = write_hash_sharded(rows(), cfg, PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: value))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
with ShardedReader(s3_prefix=prefix, local_root=local_root + "/read") as reader:
    found = reader.multi_get([0, n // 2, n - 1, n])
print(res.stats.rows_written, peak - base, found[0] == value and found[n - 1] == value and found[n] is None)
"""


def test_millions_of_generated_records_in_bounded_memory(store, local_root):
    # 3,000,000 records of 8 + 200 bytes (624 MB) from a generator. The engine keeps sorted runs
    # within its sort budget (256 MiB by default) and spools the rest, so the process grows by far
    # less than the data; one that held the records whole would grow by more than all of it.
    n = 3_000_000
    out = subprocess.run(
        [sys.executable, "-c", _STREAM_CHILD, str(n), str(store / "big"), local_root],
        check=True, capture_output=True, text=True, timeout=300,
    ).stdout.split()
    rows, growth_mib, read_back = int(out[0]), float(out[1]), out[2]
    assert rows == n
    assert read_back == "True"
    data_mib = n * 208 / 2**20
    assert growth_mib < 512, f"peak RSS grew by {growth_mib:.0f} MiB for {data_mib:.0f} MiB of records"


def test_a_file_iterator_is_input(store, local_root, tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text("".join(f"user-{i}\t{i * i}\n" for i in range(5000)))
    prefix = str(store / "lines")
    cfg = HashShardedWriteConfig(num_dbs=3, s3_prefix=prefix, key_encoding="utf8")
    inp = PythonRecordInput(key_fn=lambda line: line.split("\t")[0],
                            value_fn=lambda line: line.rstrip("\n").split("\t")[1].encode())
    with open(path) as f:
        res = write_hash_sharded(f, cfg, inp)
    assert res.stats.rows_written == 5000
    with ShardedReader(s3_prefix=prefix, local_root=local_root) as reader:
        assert reader.get("user-77") == b"5929"


def test_string_keys_parallel_and_local_slatedb(store, local_root):
    prefix = str(store / "strs")
    cfg = HashShardedWriteConfig(
        num_dbs=3, s3_prefix=prefix, key_encoding="utf8", batch_size=100,
        adapter_factory=LocalSlateDbFactory(),
    )
    res = write_hash_sharded(
        (f"user-{i}" for i in range(2_000)),
        cfg,
        PythonRecordInput(key_fn=lambda k: k, value_fn=lambda k: k.upper().encode()),
        PythonWriteOptions(parallel=True, workers=2),
    )
    assert res.stats.rows_written == 2_000
    with ShardedReader(s3_prefix=prefix, local_root=local_root) as reader:
        assert reader.get("user-7") == b"USER-7"
        # utf8: a str key and its UTF-8 bytes route and encode alike.
        assert reader.get(b"user-7") == b"USER-7"
        assert reader.get("nobody") is None


def test_max_keys_per_shard_needs_a_sized_input(store):
    cfg = HashShardedWriteConfig(max_keys_per_shard=100, s3_prefix=str(store / "m"))
    inp = PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: b"v")
    with pytest.raises(ConfigValidationError, match="Sized"):
        write_hash_sharded((i for i in range(10)), cfg, inp)
    res = write_hash_sharded(list(range(1_000)), cfg, inp)
    assert res.num_dbs == 10


class Boom(Exception):
    pass


@pytest.mark.parametrize("fail_in", ["key_fn", "value_fn", "iterator"])
def test_a_failing_callback_propagates_and_publishes_nothing(store, fail_in):
    prefix = store / "boom"

    def key_fn(r):
        if fail_in == "key_fn" and r == 6_000:
            raise Boom("bad record")
        return r

    def value_fn(r):
        if fail_in == "value_fn" and r == 6_000:
            raise Boom("bad value")
        return b"v"

    def records():
        for i in range(10_000):
            if fail_in == "iterator" and i == 6_000:
                raise Boom("source died")
            yield i

    cfg = HashShardedWriteConfig(num_dbs=2, s3_prefix=str(prefix), batch_size=1_000)
    with pytest.raises(Boom) as e:
        write_hash_sharded(records(), cfg, PythonRecordInput(key_fn=key_fn, value_fn=value_fn))
    last_read = 5_999 if fail_in == "iterator" else 6_000
    assert e.value.__notes__ == [
        f"shardyfusion: raised at input record #{last_read} or just after it (the last one read) "
        "(0-based); nothing was published"
    ]
    assert not (prefix / "_CURRENT").exists()
    assert not [f for f in files_under(prefix) if f.startswith("manifests/")]


def test_keyboard_interrupt_aborts_the_build(store, tmp_path):
    prefix = store / "interrupted"

    def key_fn(r):
        if r == 5_000:
            raise KeyboardInterrupt
        return r

    cfg = HashShardedWriteConfig(num_dbs=2, s3_prefix=str(prefix), batch_size=1_000)
    cfg.output.local_root = str(tmp_path / "staging")
    with pytest.raises(KeyboardInterrupt):
        write_hash_sharded(range(10_000), cfg, PythonRecordInput(key_fn=key_fn, value_fn=lambda r: b"v"))
    assert not (prefix / "_CURRENT").exists()
    assert [f for f in files_under(prefix) if f.startswith(("shards/", "manifests/"))] == []
    assert files_under(tmp_path / "staging") == []


_CTRL_C_CHILD = r"""
import os, signal, sys, time
from shardyfusion import HashShardedWriteConfig, MetricEvent, PythonRecordInput
from shardyfusion.sqlite_adapter import SqliteFactory
from shardyfusion.writer.python import write_hash_sharded

prefix, staging = sys.argv[1], sys.argv[2]


class CtrlCWhileSealing:
    # Runs on a seal worker: the first shard sealed presses Ctrl-C, then holds that worker
    # long enough for the interrupt to be seen before the build could publish.
    pressed = False

    def emit(self, event, payload):
        if event is MetricEvent.SHARD_WRITE_COMPLETED and not self.pressed:
            self.pressed = True
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)


cfg = HashShardedWriteConfig(num_dbs=8, s3_prefix=prefix, adapter_factory=SqliteFactory(),
                             metrics_collector=CtrlCWhileSealing())
cfg.output.local_root = staging
try:
    write_hash_sharded(range(200_000), cfg, PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: b"v" * 50))
except KeyboardInterrupt as e:
    print("interrupted", getattr(e, "__notes__", []))
else:
    print("published")
"""


def test_ctrl_c_while_shards_seal_cancels_the_build(store, tmp_path):
    prefix, staging = store / "ctrl-c", tmp_path / "staging"
    out = subprocess.run(
        [sys.executable, "-c", _CTRL_C_CHILD, str(prefix), str(staging)],
        check=True, capture_output=True, text=True, timeout=120,
    ).stdout
    assert out.strip() == "interrupted []"
    assert not (prefix / "_CURRENT").exists()
    objects = [f for f in files_under(prefix) if not f.startswith("runs/") and not f.endswith(".shardy-lock")]
    assert objects == []  # no manifest, no shard left behind
    assert files_under(staging) == []


def test_bad_keys_and_values(store):
    cfg = HashShardedWriteConfig(num_dbs=2, s3_prefix=str(store / "k"))
    with pytest.raises(ConfigValidationError):  # a str key under u64be
        write_hash_sharded(["a"], cfg, PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: b"v"))
    with pytest.raises(ConfigValidationError):  # a negative key under u64be
        write_hash_sharded([-1], cfg, PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: b"v"))
    with pytest.raises(ConfigValidationError):  # not a key type at all
        write_hash_sharded([1.5], cfg, PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: b"v"))
    with pytest.raises(ValueError, match="out of range"):
        write_hash_sharded([2**64], cfg, PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: b"v"))
    with pytest.raises(TypeError, match="value_fn must return bytes") as e:
        write_hash_sharded([1], cfg, PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: "text"))
    assert "at one of input records #0..#0" in e.value.__notes__[0]
    assert not (store / "k" / "_CURRENT").exists()


def test_reader_shared_by_threads(store, local_root):
    prefix = str(store / "threads")
    write_hash_sharded(
        range(20_000),
        HashShardedWriteConfig(num_dbs=4, s3_prefix=prefix),
        PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: b"%d" % r),
    )
    errors = []
    with ShardedReader(s3_prefix=prefix, local_root=local_root) as reader:

        def work(offset):
            try:
                for i in range(offset, 20_000, 97):
                    assert reader.get(i) == b"%d" % i
                keys = list(range(offset, 20_000, 501))
                got = reader.multi_get(keys)
                assert got == {k: b"%d" % k for k in keys}
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        refreshes = [reader.refresh() for _ in range(3)]
        for t in threads:
            t.join()
    assert errors == []
    assert refreshes == [False, False, False]


def test_refresh_sees_a_new_publish_and_close_is_final(store, local_root):
    prefix = str(store / "refresh")
    inp = PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: b"one")
    write_hash_sharded(range(10), HashShardedWriteConfig(num_dbs=2, s3_prefix=prefix), inp)
    reader = ShardedReader(s3_prefix=prefix, local_root=local_root)
    assert reader.get(3) == b"one"
    inp2 = PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: b"two")
    res = write_hash_sharded(
        range(10),
        HashShardedWriteConfig(num_dbs=2, s3_prefix=prefix, output=WriterOutputConfig(run_id="second")),
        inp2,
    )
    assert reader.get(3) == b"one"
    assert reader.refresh() is True
    assert reader.get(3) == b"two"
    assert reader.snapshot_info().run_id == "second" == res.run_id
    reader.close()
    reader.close()
    with pytest.raises(ReaderStateError):
        reader.get(3)
    assert reader.snapshot_info().run_id == "second"
    assert len(reader.shard_details()) == 2


def test_reader_with_nothing_published(store, local_root):
    with pytest.raises(ReaderStateError):
        ShardedReader(s3_prefix=str(store / "empty"), local_root=local_root)
