#!/usr/bin/python3
"""The Python API's benchmark: the Python writer beside the C++ API writer on
the same workload in the same run, then warm lookups from Python.

  PYTHONPATH=build/release/python /usr/bin/python3 bench/python_bench.py \
      [--records N] [--runs R] [--shardy-bench build/release/shardy_bench]
  scripts/with-s3-server.sh env PYTHONPATH=build/release/python \
      /usr/bin/python3 bench/python_bench.py --s3   (the same writer lines onto the RGW)

Writer workload (the reference bench's): N records with ids ascending and
100-byte values, built in a list first; 8 shards, SQLite, a local
directory; only the write call is timed. The C++ line is shardy_bench's
`--writer-only --ascending` run of the same workload, interleaved run by run
with the Python one so both see the same machine noise. Lookups: warm gets and
multi_gets (1,000 keys a call; shards read on the default lookup threads, and
with max_workers=1) from one Python thread, SQLite and SlateDB.
Every line is the median of R runs.
"""

import argparse
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time

from shardyfusion import HashShardedWriteConfig, PythonRecordInput, ShardedReader
from shardyfusion.sqlite_adapter import SqliteFactory, SqliteReaderFactory
from shardyfusion.writer.python import write_hash_sharded

VALUE = b"v" * 100


def python_write(records, prefix, local_root, factory):
    config = HashShardedWriteConfig(num_dbs=8, s3_prefix=prefix, adapter_factory=factory)
    config.output.local_root = local_root
    start = time.perf_counter()
    write_hash_sharded(records, config, PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: VALUE))
    return time.perf_counter() - start


def cpp_write(shardy_bench, n, work, prefix=None):
    command = [shardy_bench, "--writer-only", "--ascending", "--records", str(n), "--runs", "1",
               "--dir", work]
    if prefix:
        command += ["--prefix", prefix]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    rate = float(out.stdout.split(":")[1].split()[0])  # "writer_sqlite_8shards_ascending : R records/s"
    return n / rate


def lookups(prefix, local_root, factory, keys, runs):
    """Median gets/s, multi_get keys/s (default lookup threads) and with max_workers=1."""
    kwargs = {"reader_factory": factory} if factory is not None else {}
    chunks = [keys[i:i + 1000] for i in range(0, len(keys), 1000)]
    with ShardedReader(s3_prefix=prefix, local_root=local_root, **kwargs) as reader, \
            ShardedReader(s3_prefix=prefix, local_root=local_root, max_workers=1, **kwargs) as one:
        for k in keys[:1000]:
            reader.get(k)  # warm
        gets, multi, multi_one = [], [], []
        for _ in range(runs):
            start = time.perf_counter()
            for k in keys:
                reader.get(k)
            gets.append(len(keys) / (time.perf_counter() - start))
            for target, rates in ((reader, multi), (one, multi_one)):
                start = time.perf_counter()
                for chunk in chunks:
                    target.multi_get(chunk)
                rates.append(len(keys) / (time.perf_counter() - start))
    return statistics.median(gets), statistics.median(multi), statistics.median(multi_one)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lookups", type=int, default=200_000)
    parser.add_argument("--shardy-bench", default="build/release/shardy_bench")
    parser.add_argument("--s3", action="store_true",
                        help="write onto the S3 server of scripts/with-s3-server.sh")
    args = parser.parse_args()
    if args.s3:
        os.environ["AWS_ENDPOINT_URL"] = os.environ["SHARDY_TEST_S3_ENDPOINT"]
        s3_root = "s3://" + os.environ["SHARDY_TEST_S3_BUCKET"] + "/python-bench"
    n = args.records
    work = tempfile.mkdtemp(prefix="shardy_python_bench_")
    try:
        records = list(range(n))
        t_py, t_cpp = [], []
        for r in range(args.runs):
            prefix = f"{s3_root}/py{r}" if args.s3 else os.path.join(work, f"py{r}")
            t_py.append(python_write(records, prefix, os.path.join(work, "staging"), SqliteFactory()))
            if r + 1 < args.runs and not args.s3:
                shutil.rmtree(prefix)
            cpp_dir = os.path.join(work, "cpp")
            t_cpp.append(cpp_write(args.shardy_bench, n, cpp_dir,
                                   f"{s3_root}/cpp{r}" if args.s3 else None))
            shutil.rmtree(cpp_dir, ignore_errors=True)
        py, cpp = statistics.median(t_py), statistics.median(t_cpp)
        where = "S3 (" + os.environ["SHARDY_TEST_S3_ENDPOINT"] + ")" if args.s3 else "local directory"
        print(f"{n} records, ids ascending, 100-byte values, 8 shards, SQLite, {where}; "
              f"median of {args.runs} runs")
        print(f"python_write_hash_sharded       : {n / py:10.0f} records/s")
        print(f"cpp_api_writer (shardy_bench)   : {n / cpp:10.0f} records/s")
        print(f"ratio python / cpp time         : {py / cpp:.2f}x")

        if args.s3:
            return  # the lookup lines are local: warm lookups read the local cache either way
        sqlite_prefix = os.path.join(work, f"py{args.runs - 1}")
        slatedb_prefix = os.path.join(work, "slatedb")
        python_write(records, slatedb_prefix, os.path.join(work, "staging"), None)
        keys = random.Random(42).sample(records, min(args.lookups, n))
        for name, prefix, factory in (("sqlite", sqlite_prefix, SqliteReaderFactory()),
                                      ("slatedb", slatedb_prefix, None)):
            get, multi, multi_one = lookups(prefix, os.path.join(work, "reader-" + name), factory,
                                            keys, args.runs)
            print(f"python_get_{name:<8}             : {get:10.0f} gets/s ({1e6 / get:.2f} us)")
            print(f"python_multi_get_{name:<8}       : {multi:10.0f} keys/s (1,000 keys a call, "
                  f"shards read on {os.cpu_count()} cores)")
            print(f"{'python_multi_get_' + name + '_1thread':<32}: {multi_one:10.0f} keys/s "
                  "(max_workers=1)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
