"""The engine runs with the GIL released.

With a huge switch interval the interpreter never preempts the main thread,
so a second thread that always waits for the GIL (sleep(0) gives it up and
asks for it again) can only run while the main thread's C++ call has let it
go. Holding the GIL through a call leaves its count unchanged, but for at
most one step: a wait for the GIL that began under the old interval may still
force one switch on a loaded machine. A call that lets the GIL go lets the
thread run thousands of steps.
"""

from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager

from shardyfusion import HashShardedWriteConfig, PythonRecordInput, ShardedReader
from shardyfusion.writer.python import write_hash_sharded


@contextmanager
def waiting_thread():
    count = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            count[0] += 1
            time.sleep(0)

    old = sys.getswitchinterval()
    thread = threading.Thread(target=spin)
    thread.start()
    time.sleep(0.05)  # it is running and waiting for the GIL
    sys.setswitchinterval(100.0)
    # A wait for the GIL begun under the old interval would still force one
    # switch when it times out; let it go now, so later waits use the new one.
    time.sleep(0.05)
    try:
        yield count
    finally:
        sys.setswitchinterval(old)
        stop.set()
        thread.join()


def test_writes_and_lookups_release_the_gil(store, local_root):
    prefix = str(store / "gil")
    keys = list(range(20_000))
    with waiting_thread() as count:
        before = count[0]
        write_hash_sharded(
            keys,
            HashShardedWriteConfig(num_dbs=4, s3_prefix=prefix),
            PythonRecordInput(key_fn=int, value_fn=lambda k: b"%d" % k),
        )
        during_write = count[0] - before
    assert during_write > 1

    with ShardedReader(s3_prefix=prefix, local_root=local_root) as reader:
        with waiting_thread() as count:
            before = count[0]
            for _ in range(10):
                got = reader.multi_get(keys)
            during_lookups = count[0] - before
        assert got[19_999] == b"19999"
    assert during_lookups > 1


def test_the_probe_sees_a_call_that_holds_the_gil():
    with waiting_thread() as count:
        before = count[0]
        sorted(range(3_000_000), key=None, reverse=True)  # C code that never lets the GIL go
        assert count[0] - before <= 1
