#!/usr/bin/env bash
# pip install of the checkout, as README.md gives it: a virtualenv over
# Debian's /usr/bin/python3 (--system-site-packages: Debian's setuptools and
# wheel), offline, --no-build-isolation. SHARDY_CMAKE_BUILD_DIR=BUILD_DIR, so
# the _native module of that (configured) build is reused, not compiled again.
# From another directory, without PYTHONPATH, the installed package writes a
# snapshot and reads it back; python/tests is not installed; pip uninstall
# removes the package.
# usage: pip_install.sh BUILD_DIR   (e.g. build/release)
set -euo pipefail
BUILD_DIR=$(realpath "$1")
SOURCE_DIR=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
unset PYTHONPATH

/usr/bin/python3 -m venv --system-site-packages "$WORK/venv"
PY="$WORK/venv/bin/python"
SHARDY_CMAKE_BUILD_DIR="$BUILD_DIR" "$PY" -m pip install --no-build-isolation --no-index \
  --no-cache-dir --disable-pip-version-check "$SOURCE_DIR"

cd "$WORK"
"$PY" - "$WORK" "$SOURCE_DIR" "$BUILD_DIR" <<'PY'
import os, sys, sysconfig
work, source_dir, build_dir = (os.path.realpath(p) + os.sep for p in sys.argv[1:])
import shardyfusion, shardyfusion._native
from shardyfusion import HashShardedWriteConfig, PythonRecordInput, ShardedReader
from shardyfusion import WriterOutputConfig
from shardyfusion.writer.python import write_hash_sharded

site = os.path.realpath(sysconfig.get_paths()["purelib"]) + os.sep
assert site.startswith(work), f"site-packages {site} is not the virtualenv's"
for mod in (shardyfusion, shardyfusion._native):
    path = os.path.realpath(mod.__file__)
    assert path.startswith(site), f"{mod.__name__} from {path}, not from {site}"
    assert not path.startswith(source_dir) and not path.startswith(build_dir), path
assert not os.path.exists(os.path.join(site, "tests")), "python/tests was installed"
assert os.path.isfile(os.path.join(site, "shardyfusion", "py.typed")), "py.typed was not installed"

prefix = work + "snap"
config = HashShardedWriteConfig(num_dbs=2, s3_prefix=prefix,
                                output=WriterOutputConfig(local_root=work + "staging"))
result = write_hash_sharded(range(1000), config,
                            PythonRecordInput(key_fn=lambda r: r, value_fn=lambda r: b"v%d" % r))
assert result.stats.rows_written == 1000, result.stats
with ShardedReader(s3_prefix=prefix, local_root=work + "cache") as reader:
    assert reader.snapshot_info().num_dbs == 2
    assert reader.get(42) == b"v42", reader.get(42)
    assert reader.get(1000) is None
print(f"pip_install: shardyfusion {shardyfusion.__file__}: wrote and read a snapshot")
PY

"$PY" -m pip uninstall -y --disable-pip-version-check shardyfusion
if "$PY" -c 'import shardyfusion' 2>/dev/null; then
  echo "pip_install: shardyfusion still importable after pip uninstall" >&2
  exit 1
fi
echo "pip_install: ok"
