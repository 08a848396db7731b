// Helpers shared by the oracle scripts: opening a local directory as a
// SlateDB object store, a reproducible PRNG, and base64 / JSON-lines output.
//
// Every script treats DIR as the database root: SlateDB is given
// ObjectStore.resolve("file://<abs DIR>") and path "", the same shape as
// shardyfusion's DbBuilder("", ObjectStore.resolve(db_url)).
import fs from "node:fs";
import path from "node:path";
import { ObjectStore } from "@slatedb/uniffi";

export function die(message) {
  process.stderr.write(`slatedb-oracle: ${message}\n`);
  process.exit(1);
}

// The file:// object store needs an absolute path; a relative one would be
// read as a URL host.
export function openStore(dir, { create = false } = {}) {
  if (!dir) die("missing database directory argument");
  const abs = path.resolve(dir);
  if (create) fs.mkdirSync(abs, { recursive: true });
  else if (!fs.existsSync(path.join(abs, "manifest"))) {
    die(`${abs} has no manifest/ directory: not a SlateDB database`);
  }
  return ObjectStore.resolve("file://" + abs);
}

// xorshift32: tiny, deterministic across Node versions, good enough for test
// data. Seed must be non-zero.
export function prng(seed) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
  next.below = (n) => next() % n;
  // Printable bytes so a hexdump of a fixture stays readable.
  next.text = (len) => {
    const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    let out = "";
    for (let i = 0; i < len; i++) out += alphabet[next() % alphabet.length];
    return out;
  };
  return next;
}

export const b64 = (bytes) => Buffer.from(bytes).toString("base64");

export function printJsonLines(rows) {
  process.stdout.write(rows.map((r) => JSON.stringify(r) + "\n").join(""));
}
