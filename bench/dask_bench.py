"""Single-process writer vs the Dask writer with 2 worker processes, on the same rows.

    PYTHONPATH=build/release/python /usr/bin/python3 bench/dask_bench.py [--rows N] [--runs R] [--shards S]

The rows are a pandas DataFrame (int ids, shuffled, 100-byte values) built once. Each run times, in
alternating order, the single-process Python writer (shardyfusion.writer.python over the frame's
records, SlateDB default backend) and shardyfusion.writer.dask on a LocalCluster of 2 worker processes
(one thread each) started before the runs, both into a fresh local directory. Prints the median
seconds of each and their ratio, plus where the Dask writer's time goes (routing + shuffle + write
tasks, publish) from its BuildResult.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import dask.dataframe as dd
import pandas as pd
from distributed import Client, LocalCluster

from shardyfusion import ColumnWriteInput, HashShardedWriteConfig, PythonRecordInput, ValueSpec
from shardyfusion.writer import dask as dask_writer
from shardyfusion.writer import python as python_writer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--partitions", type=int, default=8)
    args = parser.parse_args()

    ids = list(range(args.rows))
    random.Random(7).shuffle(ids)
    pdf = pd.DataFrame({"id": ids, "v": [b"%0100d" % i for i in ids]})
    ddf = dd.from_pandas(pdf, npartitions=args.partitions).persist()
    records = pdf.to_dict("records")
    record_input = PythonRecordInput(key_fn=lambda r: r["id"], value_fn=lambda r: r["v"])
    column_input = ColumnWriteInput("id", ValueSpec.binary_col("v"))

    single_s: list[float] = []
    dask_s: list[float] = []
    parts: list[tuple[float, float]] = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        ddf = client.persist(ddf)
        for run in range(args.runs):
            order = ["single", "dask"] if run % 2 == 0 else ["dask", "single"]
            for which in order:
                root = Path(tempfile.mkdtemp(prefix="dask_bench_"))
                config = HashShardedWriteConfig(num_dbs=args.shards, s3_prefix=str(root / "snap"))
                t0 = time.perf_counter()
                if which == "single":
                    result = python_writer.write_hash_sharded(records, config, record_input)
                    single_s.append(time.perf_counter() - t0)
                else:
                    result = dask_writer.write_hash_sharded(ddf, config, column_input)
                    dask_s.append(time.perf_counter() - t0)
                    d = result.stats.durations
                    parts.append((d.sharding_ms / 1000, d.manifest_ms / 1000))
                assert result.stats.rows_written == args.rows
                shutil.rmtree(root)
    single = statistics.median(single_s)
    dask_t = statistics.median(dask_s)
    print(f"rows={args.rows} shards={args.shards} partitions={args.partitions} runs={args.runs}")
    print(f"single-process python writer  median {single:.2f} s  ({args.rows / single:,.0f} rows/s)")
    print(f"dask, 2 worker processes      median {dask_t:.2f} s  ({args.rows / dask_t:,.0f} rows/s)")
    print(f"dask / single time ratio      {dask_t / single:.2f}")
    setup = statistics.median(p[0] for p in parts)
    publish = statistics.median(p[1] for p in parts)
    print(f"dask: routing sample and graph setup {setup:.2f} s, publish {publish:.2f} s, "
          f"shuffle + shard tasks + staging {dask_t - setup - publish:.2f} s")


if __name__ == "__main__":
    main()
