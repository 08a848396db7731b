"""A build killed at three quarters, resumed, against a full build; and what checkpoints cost.

    /usr/bin/python3 bench/resume_bench.py [--shardy build/release/shardy] [--records N]
                                           [--runs R] [--kill-at 0.75] [--checkpoint-records K]

The input is one JSONL file of N records (8-byte int ids in shuffled order, 100-byte values), made
once. For each backend (SlateDB direct mode, the default, and SQLite) each run times, one after the
other on the same file into fresh local directories:

  full       `shardy build` with no checkpoints (--checkpoint-interval 0);
  checkpoint the same build taking a checkpoint every K records (default N/10): its cost, in
             all and per checkpoint (the default of `shardy build` is one per 30 s);
  killed     the checkpointing build, killed with SIGKILL once it has run --kill-at of the full
             build's time (the full build of the same run);
  resumed    `shardy build --resume` of the killed run, to its publish.

It prints the median seconds of each, the ratios resumed/full and checkpoint/full of each run's
pairs (medians), how many records the resumed build restored, and where the resumed build's time
goes (restore, the rest of the input, the seals, the publish) from its result. Every resumed
snapshot is compared with the full build's: the same rows per shard, min and max keys.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import tempfile
import time


def make_input(path: str, records: int) -> None:
    ids = list(range(records))
    random.Random(7).shuffle(ids)
    with open(path, "w") as f:
        for i in ids:
            f.write('{"id": %d, "v": "%s"}\n' % (i, ("%020d" % (i * 2654435761)) * 5))


def shard_rows(prefix: str) -> list:
    manifest = glob.glob(prefix + "/manifests/*/manifest")[0]
    with sqlite3.connect(manifest) as db:
        return db.execute(
            "SELECT db_id, row_count, min_key, max_key FROM shards ORDER BY db_id").fetchall()


def build_args(args, work: str, backend: str, prefix: str) -> list:
    return [args.shardy, "build", "--input", f"{work}/input.jsonl", "--format", "jsonl",
            "--key-field", "id", "--key-type", "int", "--value-field", "v", "--num-dbs", "8",
            "--backend", backend, "--prefix", prefix, "--local-root", f"{work}/staging"]


def timed(cmd: list) -> tuple[float, dict]:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - t0, json.loads(out)


def one_run(args, work: str, backend: str, run: int) -> dict:
    every = ["--checkpoint-records", str(args.checkpoint_records)]
    full_prefix = f"{work}/{backend}-{run}-full"
    full_s, full = timed(build_args(args, work, backend, full_prefix) + ["--checkpoint-interval", "0"])
    ckpt_s, ckpt = timed(build_args(args, work, backend, f"{work}/{backend}-{run}-ckpt") + every)

    prefix = f"{work}/{backend}-{run}-killed"
    run_id = f"killed-{backend}-{run}"
    proc = subprocess.Popen(build_args(args, work, backend, prefix) + every + ["--run-id", run_id],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(args.kill_at * full_s)
    if proc.poll() is not None:
        raise SystemExit(f"the {backend} build finished before {args.kill_at} of its time")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    resumed_s, resumed = timed(build_args(args, work, backend, prefix) + every +
                               ["--resume", run_id])
    if shard_rows(prefix) != shard_rows(full_prefix):
        raise SystemExit(f"the resumed {backend} snapshot differs from the full build's")
    c = resumed["checkpoints"]
    return {"full": full_s, "ckpt": ckpt_s, "resumed": resumed_s,
            "checkpoints": ckpt["checkpoints"]["taken"],
            "checkpoint_ms": ckpt["checkpoints"]["total_ms"],
            "restored": c["resumed_records"], "restore_ms": c["restore_ms"],
            "write_ms": resumed["durations"]["write_ms"],
            "seal_ms": resumed["durations"]["seal_ms"],
            "full_seal_ms": full["durations"]["seal_ms"],
            "manifest_ms": resumed["durations"]["manifest_ms"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--shardy", default="build/release/shardy")
    p.add_argument("--records", type=int, default=3_000_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--kill-at", type=float, default=0.75)
    p.add_argument("--checkpoint-records", type=int, default=0)
    args = p.parse_args()
    args.shardy = os.path.abspath(args.shardy)
    if args.checkpoint_records <= 0:
        args.checkpoint_records = max(1, args.records // 10)
    work = tempfile.mkdtemp(prefix="shardy-resume-bench-")
    try:
        make_input(f"{work}/input.jsonl", args.records)
        size = os.path.getsize(f"{work}/input.jsonl")
        print(f"resume_bench: {args.records} records ({size / 2**20:.0f} MiB JSONL), 8 shards, "
              f"checkpoint every {args.checkpoint_records} records, kill at {args.kill_at:.0%} "
              f"of the full build's time, {args.runs} runs, medians")
        for backend in ("slatedb", "sqlite"):
            runs = []
            for r in range(args.runs):
                runs.append(one_run(args, work, backend, r))
                for d in glob.glob(f"{work}/{backend}-{r}-*"):
                    shutil.rmtree(d)
            med = {k: statistics.median(x[k] for x in runs) for k in runs[0]}
            resumed_ratio = statistics.median(x["resumed"] / x["full"] for x in runs)
            ckpt_ratio = statistics.median(x["ckpt"] / x["full"] for x in runs)
            per_ckpt_ms = statistics.median(
                1000 * (x["ckpt"] - x["full"]) / max(1, x["checkpoints"]) for x in runs)
            print(f"  {backend:8s} full {med['full']:.2f} s | with checkpoints {med['ckpt']:.2f} s "
                  f"({ckpt_ratio:.3f}x; {med['checkpoints']:.0f} checkpoints, "
                  f"{per_ckpt_ms:.0f} ms of build time each) | resumed {med['resumed']:.2f} s = "
                  f"{resumed_ratio:.2f}x of full (restored {med['restored'] / args.records:.0%} "
                  f"of the records; restore {med['restore_ms']:.0f} ms, the rest of the input "
                  f"{(med['write_ms'] - med['restore_ms'] - med['seal_ms']) / 1000:.2f} s, seals "
                  f"{med['seal_ms'] / 1000:.2f} s (full build: {med['full_seal_ms'] / 1000:.2f} s), "
                  f"publish {med['manifest_ms']:.0f} ms)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
