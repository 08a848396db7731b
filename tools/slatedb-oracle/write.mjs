// write.mjs DIR SCENARIO
// Writes a fresh SlateDB database into DIR with real SlateDB, shaped the way
// SCENARIO says. Key/value content is deterministic (fixed keys, seeded PRNG);
// only timestamps, ULIDs and checkpoint ids differ between runs.
// Prints to stdout the base64 keys (one per line) that must be ABSENT from the
// result: deleted keys and never-written neighbours of real keys.
//
// Scenarios:
//   wal-only      shardyfusion on 0.12: WriteBatch puts, flush Wal, shutdown;
//                 all data stays in wal/ (l0=[]), later batches overwrite keys.
//   l0            the same, 1000 keys, then flush MemTable: one L0 with a bloom
//                 (1000 = min_filter_keys, the default bloom threshold).
//   compacted     random puts and deletes, small SSTs, compaction into a
//                 sorted run, newer L0s on top, then WAL-only trailing writes.
//   codec-lz4 | codec-zstd | codec-snappy | codec-zlib
//                 one L0 SST (with bloom) written with that compression codec.
//   large-values  values > 4 KiB (one of 66,000 B), keys with long shared
//                 prefixes and keys that extend other keys; WAL disabled, so the
//                 database is just one L0 SST and its manifests.
import fs from "node:fs";
import { DbBuilder, Settings, WriteBatch } from "@slatedb/uniffi";
import { openStore, prng, b64, die } from "./lib.mjs";
import { latestManifest } from "./manifest.mjs";

const [dir, scenario] = process.argv.slice(2);
const SCENARIOS = ["wal-only", "l0", "compacted", "codec-lz4", "codec-zstd", "codec-snappy", "codec-zlib", "large-values"];
if (!dir || !SCENARIOS.includes(scenario)) die(`usage: write.mjs DIR (${SCENARIOS.join("|")})`);
if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) die(`${dir} is not empty; write.mjs only creates new databases`);

const pad = (n, width) => String(n).padStart(width, "0");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The intended final state, used only to list absent keys.
const model = new Map();
const written = new Set();

async function open(settings) {
  const store = openStore(dir, { create: true });
  const builder = new DbBuilder("", store);
  if (settings) {
    const s = Settings.default();
    for (const [k, v] of Object.entries(settings)) s.set(k, JSON.stringify(v));
    builder.with_settings(s);
  }
  const db = await builder.build();
  builder.dispose();
  return { db, store };
}

// One WriteBatch per call, like shardyfusion's batch_size chunks. A batch gets
// a single seq, so ops on the same key inside one batch must not repeat.
async function writeBatch(db, ops, options) {
  const wb = new WriteBatch();
  for (const [key, value] of ops) {
    const k = Buffer.from(key);
    written.add(key);
    if (value === null) { wb.delete(k); model.delete(key); }
    else { wb.put(k, Buffer.from(value)); model.set(key, value); }
  }
  if (options) await db.write_with_options(wb, options);
  else await db.write(wb);
  wb.dispose();
}

async function close({ db, store }, flushType) {
  await db.flush_with_options({ flush_type: flushType });
  await db.shutdown();
  db.dispose();
  store.dispose();
}

// shardyfusion-style content: "key%08d" -> short random text; every 499th
// value is empty (a legal value distinct from a missing key).
async function shardyfusionStyle(n, batchSize, flushType) {
  const rnd = prng(12345);
  const h = await open(null);
  const value = (i, tag) => (i % 499 === 0 ? "" : `${tag}-${i}-` + rnd.text(rnd.below(9)));
  for (let start = 0; start < n; start += batchSize) {
    const ops = [];
    for (let i = start; i < Math.min(n, start + batchSize); i++) ops.push([`key${pad(i, 8)}`, value(i, "v1")]);
    await writeBatch(h.db, ops);
  }
  // A later batch rewrites every 7th key of the first batch: the newest seq must win.
  const ops = [];
  for (let i = 0; i < batchSize; i += 7) ops.push([`key${pad(i, 8)}`, value(i + 1, "v2")]);
  await writeBatch(h.db, ops);
  await close(h, flushType);
  return [`key${pad(n, 8)}`, `key${pad(n + 1000, 8)}`, "key", "kez", "a", `key${pad(15, 7)}`, `key${pad(15, 8)}0`, "\u00ff"];
}

async function waitForEmptyL0() {
  for (let waited = 0; ; waited += 100) {
    const m = latestManifest(dir);
    if (m.l0.length === 0) return;
    if (waited > 60000) die(`no compaction after 60 s: l0=${m.l0.length} runs=${m.compacted.length}`);
    await sleep(100);
  }
}

async function compacted() {
  const rnd = prng(7);
  const h = await open({
    l0_sst_size_bytes: 65536,
    min_filter_keys: 100, // so the small sorted-run SSTs carry a bloom filter too
    "compactor_options.poll_interval": "100ms",
    "compactor_options.max_sst_size": 16384, // several SSTs in the sorted run
  });
  const round = async (r) => {
    const byKey = new Map(); // one op per key per batch
    for (let i = 0; i < 300; i++) {
      const key = `key${pad(rnd.below(1200), 6)}`;
      byKey.set(key, rnd.below(8) === 0 ? null : `r${r}-` + rnd.text(rnd.below(12)));
    }
    await writeBatch(h.db, [...byKey]);
    await h.db.flush_with_options({ flush_type: "MemTable" });
  };
  // Two groups of 4 L0s. The size-tiered compactor merges 4 L0s at a time, so
  // waiting for l0 to empty after each group gives two sorted runs every time
  // (flushing 8 in a row let it sometimes take 5 and leave 3).
  for (let r = 0; r < 8; r++) {
    await round(r);
    if (r % 4 === 3) await waitForEmptyL0();
  }
  for (let r = 8; r < 10; r++) await round(r); // two L0s above the sorted run
  // Trailing writes that stay in the WAL only: overwrite and delete keys that
  // live in the sorted run / L0s.
  const live = [...model.keys()].sort();
  const trailing = [];
  for (let i = 0; i < 20; i++) trailing.push([live[i * 37], `wal-only-${i}`]);
  for (let i = 0; i < 20; i++) trailing.push([live[i * 37 + 11], null]);
  await writeBatch(h.db, trailing);
  await close(h, "Wal");
  const deleted = [...written].filter((k) => !model.has(k)).sort();
  return [...deleted, "key001200", "key", "key0000000"];
}

async function codec(name) {
  const rnd = prng(99);
  // min_filter_keys lowered so a small fixture still has a (compressed) bloom.
  const h = await open({ compression_codec: name, min_filter_keys: 100 });
  const ops = [];
  for (let i = 0; i < 400; i++) ops.push([`key${pad(i, 6)}`, `value-${i}-` + "abc".repeat(10) + rnd.text(rnd.below(16))]);
  await writeBatch(h.db, ops);
  await close(h, "MemTable");
  return ["key000400", "key", "key0005", "zzz"];
}

async function largeValues() {
  const rnd = prng(4242);
  const h = await open({ wal_enabled: false });
  const prefix = "tenants/acme-corporation/regions/eu-west-1/buckets/primary-shard-storage/objects/";
  const ops = [];
  for (let i = 0; i < 10; i++) {
    const base = `${prefix}item-${pad(i, 4)}`;
    ops.push([base, rnd.text(4097 + rnd.below(1500))]);
    // A key that extends another key: block separators must handle prefixes.
    ops.push([`${base}/metadata`, rnd.text(4097 + rnd.below(1500))]);
  }
  ops.push([`${prefix}huge`, rnd.text(66000)]); // one block larger than 64 KiB
  ops.push([`${prefix}small`, "tiny"]);
  // Without a WAL, only a memtable flush makes writes durable.
  await writeBatch(h.db, ops, { await_durable: false });
  await close(h, "MemTable");
  return [`${prefix}item-0010`, `${prefix}item-0003/meta`, `${prefix}item-000`, prefix, `${prefix}hug`];
}

let absent;
if (scenario === "wal-only") absent = await shardyfusionStyle(3000, 1000, "Wal");
else if (scenario === "l0") absent = await shardyfusionStyle(1000, 250, "MemTable");
else if (scenario === "compacted") absent = await compacted();
else if (scenario === "large-values") absent = await largeValues();
else absent = await codec({ lz4: "Lz4", zstd: "Zstd", snappy: "Snappy", zlib: "Zlib" }[scenario.slice(6)]);

for (const k of absent) if (model.has(k)) die(`internal: absent key ${k} is live`);
process.stdout.write(absent.map((k) => b64(Buffer.from(k, "latin1")) + "\n").join(""));
