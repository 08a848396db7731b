#!/usr/bin/python3
"""Independent checker of a shardyfusion snapshot on the local filesystem.

Run with Debian's /usr/bin/python3 (stdlib sqlite3 + json, and the Debian
`python3-xxhash` module). It re-derives everything from the bytes on disk
the way the reference implementation reads them, without using any of our
C++ code:

  check_snapshot.py <snapshot root dir> [--current-name _CURRENT]
                    [--slatedb-dump tools/slatedb-oracle/dump.mjs]

Checks (docs/format/current.md, manifest.md, layout.md):
  * _CURRENT bytes == json.dumps(obj, sort_keys=True, separators=(",", ":"));
    required fields, content type, timestamps, and the manifest_ref path.
  * the manifest: SQLite magic, exactly the two tables with the exact DDL,
    JSON columns in json.dumps(..., sort_keys=True) form, the reader
    validation rules, and the shard URL layout.
  * for every shard, SQLite (<db_url>/shard.db, read with sqlite3) or
    SlateDB (<db_url>/manifest/, scanned by real SlateDB through
    --slatedb-dump, tools/slatedb-oracle/dump.mjs, on a temporary copy):
    each key routes (xxh3_64 of its canonical bytes mod num_dbs) to that
    shard, the key count is consistent with row_count, and min/max keys
    match. A shard in neither format, or not in the format our
    custom.shard_backend names, fails the check.
  * CEL snapshots (docs/format/routing.md, "CEL routing"): the sharding
    object exactly as the reference's model validates it (key set, types,
    routing_values rules, num_dbs rule), our custom.cel_routing_values_type
    (bytes tokens), dense shards in direct mode, and each key's route where
    this checker can evaluate the expression without a CEL engine:
      - `shard_hash(key) % Nu` over cel_columns {"key": T}: xxh3_64 of the
        key's canonical bytes mod N is the shard id (direct mode);
      - a bare column name with routing_values: the column's value is the
        shard's token. For `key` in key-only mode the value is the key; for
        another column it is read from the stored value, which must then be
        the record as JSON (shardy build without --value-field; bytes
        columns hold base64 there).
    Other expressions are reported as "routing=unverified".

Exit 0 with a one-line summary if all is well; exit 1 with the reason.
"""

import argparse
import datetime
import json
import os
import base64
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

import xxhash
import yaml

BUILD_META_DDL = (
    "CREATE TABLE build_meta (run_id TEXT NOT NULL, created_at TEXT NOT NULL, "
    "num_dbs INTEGER NOT NULL, s3_prefix TEXT NOT NULL, key_col TEXT NOT NULL, "
    "sharding TEXT NOT NULL, db_path_template TEXT NOT NULL, shard_prefix TEXT NOT NULL, "
    "format_version INTEGER NOT NULL, key_encoding TEXT NOT NULL, "
    "custom TEXT NOT NULL DEFAULT '{}')"
)
SHARDS_DDL = (
    "CREATE TABLE shards (db_id INTEGER NOT NULL PRIMARY KEY, db_url TEXT, "
    "attempt INTEGER NOT NULL, row_count INTEGER NOT NULL, db_bytes INTEGER NOT NULL, "
    "min_key TEXT, max_key TEXT, checkpoint_id TEXT, writer_info TEXT NOT NULL DEFAULT '{}')"
)
SHARDING_KEYS = {"cel_columns", "cel_expr", "hash_algorithm", "routing_values", "strategy"}
CEL_TYPES = {"int", "uint", "double", "string", "bytes", "bool"}
ROUTING_VALUES_TYPE_KEY = "cel_routing_values_type"  # ours; the reference ignores it
SHARD_BACKEND_KEY = "shard_backend"  # ours; the reference ignores it
SHARD_HASH_MOD_RE = re.compile(r"^shard_hash\(key\) % (\d+)u$")
IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
KEY_ENCODINGS = {"u64be", "u32be", "utf8", "raw"}

DIR_TS = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z"
MANIFEST_DIR_RE = re.compile(r"^(" + DIR_TS + r")_run_id=([^/]+)/?$")
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z$")
SQLITE_MAGIC = b"SQLite format 3\x00"


class CheckFailed(Exception):
    pass


def require(condition, message):
    if not condition:
        raise CheckFailed(message)


def normalise(sql):
    return " ".join(sql.split())


def canonical(text, column):
    """The json.dumps(sort_keys=True) form of a JSON column, and its value."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise CheckFailed(f"{column} is not JSON: {exc}: {text!r}")
    require(
        json.dumps(value, sort_keys=True) == text,
        f"{column} is not in json.dumps(sort_keys=True) form: {text!r}",
    )
    return value


def url_to_path(url):
    if url.startswith("file://"):
        return url[len("file://"):]
    require("://" not in url, f"cannot map URL {url!r} to a local path")
    return url


def path_to_url(path):
    return "file://" + os.path.abspath(path)


def check_current(root, current_name):
    path = os.path.join(root, current_name)
    require(os.path.isfile(path), f"{path} does not exist")
    with open(path, "rb") as f:
        raw = f.read()
    try:
        pointer = json.loads(raw)
    except ValueError as exc:
        raise CheckFailed(f"{current_name} is not JSON: {exc}")
    require(isinstance(pointer, dict), f"{current_name} is not a JSON object")
    expected = json.dumps(pointer, sort_keys=True, separators=(",", ":")).encode("utf-8")
    require(raw == expected, f"{current_name} bytes differ from compact sorted JSON: {raw!r}")
    for field in ("manifest_ref", "manifest_content_type", "run_id", "updated_at"):
        require(isinstance(pointer.get(field), str), f"{current_name}.{field} missing or not a string")
    require(pointer.get("format_version") == 1, f"{current_name}.format_version is not 1")
    require(
        pointer["manifest_content_type"] == "application/x-sqlite3",
        f"{current_name}.manifest_content_type is {pointer['manifest_content_type']!r}",
    )
    require(ISO_RE.match(pointer["updated_at"]), f"bad updated_at {pointer['updated_at']!r}")

    prefix = path_to_url(root) + "/manifests/"
    ref = pointer["manifest_ref"]
    require(ref.startswith(prefix) and ref.endswith("/manifest"),
            f"manifest_ref {ref!r} is not {prefix}<dir>/manifest")
    match = MANIFEST_DIR_RE.match(ref[len(prefix):-len("/manifest")])
    require(match, f"manifest_ref directory does not match the layout: {ref!r}")
    require(match.group(2) == pointer["run_id"],
            f"run_id {pointer['run_id']!r} differs from the ref's {match.group(2)!r}")
    return pointer


def check_history(root):
    manifests = os.path.join(root, "manifests")
    # Hidden names are the file store's temp and lock files, not objects.
    dirs = sorted(n for n in os.listdir(manifests) if not n.startswith("."))
    for name in dirs:
        require(MANIFEST_DIR_RE.match(name), f"manifests/{name} does not match the layout")
        require(os.path.isfile(os.path.join(manifests, name, "manifest")),
                f"manifests/{name}/manifest is missing")
    return len(dirs)


def open_manifest(path):
    with open(path, "rb") as f:
        payload = f.read()
    require(payload[:16] == SQLITE_MAGIC, "manifest does not start with the SQLite magic")
    con = sqlite3.connect(":memory:")
    con.deserialize(payload)
    con.row_factory = sqlite3.Row
    return con


def check_schema(con):
    rows = con.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    names = [(r["type"], r["name"]) for r in rows]
    require(names == [("table", "build_meta"), ("table", "shards")],
            f"manifest schema objects are {names}, expected the two tables only")
    ddl = {r["name"]: normalise(r["sql"]) for r in rows}
    require(ddl["build_meta"] == BUILD_META_DDL, f"build_meta DDL differs: {ddl['build_meta']}")
    require(ddl["shards"] == SHARDS_DDL, f"shards DDL differs: {ddl['shards']}")


def check_routing_values(values, custom):
    """The reference model's rules; returns the typed tokens (bytes when our
    custom key says so, decoded with surrogateescape as manifest.md says)."""
    require(isinstance(values, list), "routing_values is not a list")
    for i, v in enumerate(values):
        require(v is not None, f"routing_values[{i}] is null")
        require(not isinstance(v, bool), f"routing_values[{i}] is a boolean")
        require(isinstance(v, (int, str)), f"routing_values[{i}] is not int or str")
        require(type(v) is type(values[0]), "routing_values do not share one type")
    require(len(set(values)) == len(values), "routing_values are not unique")
    kind = custom.get(ROUTING_VALUES_TYPE_KEY)
    if kind is None:
        return values
    require(kind == "bytes", f"custom.{ROUTING_VALUES_TYPE_KEY} is {kind!r}, not 'bytes'")
    require(all(isinstance(v, str) for v in values),
            f"custom.{ROUTING_VALUES_TYPE_KEY} says bytes but routing_values are not strings")
    return [v.encode("utf-8", "surrogateescape") for v in values]


def check_cel_sharding(sharding, meta, custom):
    require(isinstance(sharding["cel_expr"], str) and sharding["cel_expr"],
            "CEL sharding needs a non-empty cel_expr")
    columns = sharding["cel_columns"]
    require(isinstance(columns, dict) and columns, "CEL sharding needs non-empty cel_columns")
    for name, kind in columns.items():
        require(IDENT_RE.match(name), f"cel_columns name {name!r} is not a CEL identifier")
        require(kind in CEL_TYPES, f"cel_columns[{name!r}] has unknown type {kind!r}")
    if sharding["routing_values"] is None:
        require(ROUTING_VALUES_TYPE_KEY not in custom,
                f"custom.{ROUTING_VALUES_TYPE_KEY} without routing_values")
        meta["tokens"] = None
        return
    meta["tokens"] = check_routing_values(sharding["routing_values"], custom)
    require(meta["num_dbs"] == max(1, len(sharding["routing_values"])),
            "num_dbs != max(1, len(routing_values))")


def check_build_meta(con):
    rows = con.execute("SELECT * FROM build_meta").fetchall()
    require(len(rows) == 1, f"build_meta has {len(rows)} rows, expected 1")
    meta = dict(rows[0])
    for col in ("run_id", "created_at", "s3_prefix", "key_col", "sharding", "db_path_template",
                "shard_prefix", "key_encoding", "custom"):
        require(isinstance(meta[col], str), f"build_meta.{col} is not TEXT")
    for col in ("num_dbs", "format_version"):
        require(type(meta[col]) is int, f"build_meta.{col} is not INTEGER")
    require(ISO_RE.match(meta["created_at"]), f"bad created_at {meta['created_at']!r}")
    require(meta["num_dbs"] > 0, "num_dbs must be > 0")
    require(meta["format_version"] == 4, f"format_version is {meta['format_version']}")
    require(meta["key_encoding"] in KEY_ENCODINGS, f"bad key_encoding {meta['key_encoding']!r}")
    custom = canonical(meta["custom"], "build_meta.custom")
    require(isinstance(custom, dict), "custom is not a JSON object")
    # Our writer records the backend of its shards; check_shard_data holds
    # every shard to it.
    meta["shard_backend"] = custom.get(SHARD_BACKEND_KEY)
    require(meta["shard_backend"] in (None, "sqlite", "slatedb"),
            f"custom.{SHARD_BACKEND_KEY} is {meta['shard_backend']!r}, not 'sqlite' or 'slatedb'")

    sharding = canonical(meta["sharding"], "build_meta.sharding")
    require(isinstance(sharding, dict), "sharding is not a JSON object")
    require(set(sharding) == SHARDING_KEYS,
            f"sharding keys are {sorted(sharding)}, expected all of {sorted(SHARDING_KEYS)}")
    require(sharding["hash_algorithm"] == "xxh3_64", "hash_algorithm is not xxh3_64")
    strategy = sharding["strategy"]
    require(strategy in ("hash", "cel"), f"bad strategy {strategy!r}")
    if strategy == "hash":
        for key in ("cel_expr", "cel_columns", "routing_values"):
            require(sharding[key] is None, f"HASH sharding has non-null {key}")
    else:
        check_cel_sharding(sharding, meta, custom)
    meta["sharding"] = sharding
    return meta


def logical_key(value, column):
    """A min/max key as the bytes or int the shard stores it from."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise CheckFailed(f"{column} is neither an int nor a string")
    if isinstance(value, str):
        # Bytes keys are written decoded with surrogateescape (manifest.md).
        return value.encode("utf-8", "surrogateescape")
    return value


def decode_stored_key(raw, encoding):
    """(logical key, canonical hash bytes) of a key stored in a shard."""
    if encoding in ("u64be", "u32be"):
        width = 8 if encoding == "u64be" else 4
        require(len(raw) == width, f"{encoding} key of {len(raw)} bytes: {raw.hex()}")
        value = int.from_bytes(raw, "big")
        require(value < 2**63, f"u64be key {value} is outside the routable domain")
        return value, value.to_bytes(8, "little", signed=True)
    return raw, raw


def sqlite_shard_items(path):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [(bytes(r[0]), bytes(r[1])) for r in con.execute("SELECT k, v FROM kv ORDER BY k")]
    finally:
        con.close()


def slatedb_shard_items(db_dir, dump_script):
    """Every live key and value, as real SlateDB's full scan reports it."""
    require(dump_script, f"{db_dir} is a SlateDB shard; pass --slatedb-dump to check it")
    # Real SlateDB's reader writes checkpoint manifests: scan a copy.
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "db")
        shutil.copytree(db_dir, copy)
        out = subprocess.run(["node", dump_script, copy], capture_output=True, text=True)
    require(out.returncode == 0, f"real SlateDB could not scan {db_dir}: {out.stderr.strip()}")
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    return [(base64.b64decode(r["k"]), base64.b64decode(r["v"])) for r in rows]


def token_of(value):
    """A categorical token compared as the reference's dict lookup would, with
    text and bytes both as bytes (a snapshot's tokens share one type)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, str):
        return ("bytes", value.encode("utf-8", "surrogateescape"))
    return ("bytes", bytes(value))


def make_router(meta):
    """(logical key, hash bytes, stored value) -> db_id, or None when this
    checker cannot evaluate the snapshot's expression (see the docstring)."""
    sharding, num_dbs = meta["sharding"], meta["num_dbs"]
    if sharding["strategy"] == "hash":
        return lambda key, hashed, value: xxhash.xxh3_64_intdigest(hashed) % num_dbs
    expr, columns, tokens = sharding["cel_expr"], sharding["cel_columns"], meta["tokens"]
    key_only = set(columns) == {"key"}
    match = SHARD_HASH_MOD_RE.match(expr)
    if match and key_only and tokens is None:
        modulus = int(match.group(1))
        return lambda key, hashed, value: xxhash.xxh3_64_intdigest(hashed) % modulus
    if IDENT_RE.match(expr) and expr in columns and tokens is not None:
        index = {token_of(t): i for i, t in enumerate(tokens)}

        def route(key, hashed, value):
            if key_only:
                column = key
            else:
                try:
                    column = json.loads(value)[expr]
                except (ValueError, KeyError, TypeError):
                    raise CheckFailed(f"value of key {key!r} is not a record holding {expr!r}")
                if columns[expr] == "bytes":
                    column = base64.b64decode(column)
            routed = index.get(token_of(column))
            require(routed is not None, f"key {key!r}: column {expr} = {column!r} is no token")
            return routed

        return route
    return None


def check_shard_data(shard, meta, dump_script):
    db_dir = url_to_path(shard["db_url"])
    db_id = shard["db_id"]
    if os.path.isfile(os.path.join(db_dir, "shard.db")):
        backend = "sqlite"
        items = sqlite_shard_items(os.path.join(db_dir, "shard.db"))
    elif os.path.isdir(os.path.join(db_dir, "manifest")):
        backend = "slatedb"
        items = slatedb_shard_items(db_dir, dump_script)
    else:
        raise CheckFailed(f"shard {db_id} at {db_dir} holds neither shard.db nor manifest/")
    require(meta["shard_backend"] in (None, backend),
            f"shard {db_id} is a {backend} shard but custom.{SHARD_BACKEND_KEY} is "
            f"{meta['shard_backend']!r}")
    require(items, f"shard {db_id} is listed but holds no keys")
    require(len(items) <= shard["row_count"],
            f"shard {db_id} holds {len(items)} keys but row_count is {shard['row_count']}")
    router = meta["router"]
    logical = []
    for raw, stored in items:
        value, hashed = decode_stored_key(raw, meta["key_encoding"])
        if router is not None:
            routed = router(value, hashed, stored)
            require(routed == db_id,
                    f"key {raw.hex()} is in shard {db_id} but routes to {routed}")
        logical.append(value)
    for column, expected in (("min_key", min(logical)), ("max_key", max(logical))):
        if shard[column] is not None:
            stored = logical_key(json.loads(shard[column]), f"shards.{column}")
            require(stored == expected,
                    f"shard {db_id} {column} is {stored!r} but its keys give {expected!r}")
    return len(items)


def check_shards(con, meta, dump_script):
    rows = [dict(r) for r in con.execute("SELECT * FROM shards ORDER BY db_id")]
    num_dbs = meta["num_dbs"]
    require(len(rows) <= num_dbs, f"{len(rows)} shards for num_dbs {num_dbs}")
    # s3_prefix is the root "exactly as configured": a local path is fine.
    prefix = meta["s3_prefix"].rstrip("/")
    if "://" not in prefix:
        prefix = path_to_url(prefix)
    meta["router"] = make_router(meta)
    sharding = meta["sharding"]
    if sharding["strategy"] == "cel" and sharding["routing_values"] is None:
        # Direct mode: num_dbs = max id + 1 with every id used.
        require([r["db_id"] for r in rows] == list(range(num_dbs)),
                f"CEL direct mode needs dense shards 0..{num_dbs - 1}, "
                f"got {[r['db_id'] for r in rows]}")
    checked = keys = 0
    for shard in rows:
        db_id = shard["db_id"]
        for col in ("db_id", "attempt", "row_count", "db_bytes"):
            require(type(shard[col]) is int and shard[col] >= 0, f"shard {db_id}: bad {col}")
        require(db_id < num_dbs, f"db_id {db_id} >= num_dbs {num_dbs}")
        info = canonical(shard["writer_info"], f"shards[{db_id}].writer_info")
        require(isinstance(info, dict), f"shard {db_id} writer_info is not an object")
        for col in ("min_key", "max_key"):
            if shard[col] is not None:
                canonical(shard[col], f"shards[{db_id}].{col}")
        require(shard["row_count"] > 0, f"empty shard {db_id} is listed (empty shards are omitted)")
        url = shard["db_url"]
        require(isinstance(url, str), f"shard {db_id} has no db_url")
        db_path = meta["db_path_template"].format(db_id=db_id)
        expected = f"{prefix}/{meta['shard_prefix']}/run_id={meta['run_id']}/{db_path}/attempt="
        require(url.startswith(expected) and re.fullmatch(r"\d{2,}", url[len(expected):]),
                f"shard {db_id} db_url {url!r} is not {expected}NN")
        keys += check_shard_data(shard, meta, dump_script)
        checked += 1
    return rows, checked, keys


RUN_RECORD_KEYS = {
    "format_version", "run_id", "writer_type", "status", "started_at", "updated_at",
    "lease_expires_at", "s3_prefix", "shard_prefix", "db_path_template", "manifest_ref",
    "error_type", "error_message",
}


def check_run_records(root, pointer):
    """The run record of the published run, read as the reference's RunRecord
    (yaml.safe_load of runs/<ts>_run_id=<id>_<uuid>/run.yaml)."""
    runs = os.path.join(root, "runs")
    if not os.path.isdir(runs):
        return 0
    found = 0
    pattern = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z_run_id=(.+)_[0-9a-f]{32}$")
    for name in sorted(os.listdir(runs)):
        m = pattern.match(name)
        require(m, f"run record directory {name!r} does not match <ts>_run_id=<id>_<uuid32>")
        with open(os.path.join(runs, name, "run.yaml"), encoding="utf-8") as f:
            record = yaml.safe_load(f)
        require(set(record) == RUN_RECORD_KEYS, f"run record keys {sorted(record)}")
        require(record["format_version"] == 1, "run record format_version must be 1")
        require(record["run_id"] == m.group(1), "run record run_id differs from its directory")
        require(record["status"] in ("running", "succeeded", "failed"), "run record status")
        for k in ("started_at", "updated_at", "lease_expires_at"):
            datetime.datetime.fromisoformat(record[k].replace("Z", "+00:00"))
        if record["run_id"] == pointer["run_id"]:
            require(record["status"] == "succeeded", "the published run's record is not succeeded")
            require(record["manifest_ref"] == pointer["manifest_ref"],
                    "the published run's record names another manifest")
            require(record["error_type"] is None, "a succeeded run record carries an error")
            found += 1
    require(found == 1, f"{found} run records for the published run (want 1)")
    return found


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", help="snapshot root directory")
    parser.add_argument("--current-name", default="_CURRENT")
    parser.add_argument("--slatedb-dump", help="tools/slatedb-oracle/dump.mjs (real SlateDB)")
    args = parser.parse_args(argv)
    root = os.path.abspath(args.root)
    try:
        pointer = check_current(root, args.current_name)
        history = check_history(root)
        run_records = check_run_records(root, pointer)
        con = open_manifest(url_to_path(pointer["manifest_ref"]))
        try:
            check_schema(con)
            meta = check_build_meta(con)
            require(meta["run_id"] == pointer["run_id"], "build_meta.run_id differs from _CURRENT")
            shards, checked, keys = check_shards(con, meta, args.slatedb_dump)
        finally:
            con.close()
    except CheckFailed as exc:
        print(f"FAIL {root}: {exc}")
        return 1
    print(
        f"OK {root}: run_id={meta['run_id']} num_dbs={meta['num_dbs']} "
        f"shards={len(shards)} shards_checked={checked} keys_routed={keys} "
        f"rows={sum(s['row_count'] for s in shards)} manifests={history} run_records={run_records} "
        f"routing={meta['sharding']['strategy'] if meta['router'] else 'unverified'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
