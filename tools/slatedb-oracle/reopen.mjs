// reopen.mjs DIR
// Proves real SlateDB can continue the database: opens DIR as a writer
// (DbBuilder: fences the previous writer, bumps the epoch), counts the live
// keys, puts one new key, flushes the memtable to an L0 SST and shuts down.
// Then a fresh DbReader must see the new key and every old one.
// Prints one JSON line; exits 1 if the read-back disagrees.
import { DbBuilder, DbReaderBuilder } from "@slatedb/uniffi";
import { openStore, die } from "./lib.mjs";

const PROBE_KEY = Buffer.from("zz-reopen-probe");
const PROBE_VALUE = Buffer.from("written-by-reopen.mjs");
const unbounded = { start: undefined, start_inclusive: true, end: undefined, end_inclusive: false };

async function countKeys(handle) {
  const it = await handle.scan(unbounded);
  let n = 0;
  while (await it.next()) n++;
  it.dispose();
  return n;
}

const store = openStore(process.argv[2]);
const builder = new DbBuilder("", store);
const db = await builder.build();
builder.dispose();
const before = await countKeys(db);
const hadProbe = (await db.get(PROBE_KEY)) !== undefined;
await db.put(PROBE_KEY, PROBE_VALUE);
await db.flush_with_options({ flush_type: "MemTable" });
await db.shutdown();
db.dispose();

const rb = new DbReaderBuilder("", store);
const reader = await rb.build();
rb.dispose();
const got = await reader.get(PROBE_KEY);
const after = await countKeys(reader);
await reader.shutdown();
reader.dispose();
store.dispose();

const expectedAfter = before + (hadProbe ? 0 : 1);
const ok = got !== undefined && Buffer.compare(Buffer.from(got), PROBE_VALUE) === 0 && after === expectedAfter;
console.log(JSON.stringify({ ok, keys_before: before, keys_after: after }));
if (!ok) die(`reopen check failed: probe=${got && Buffer.from(got)} keys ${before} -> ${after}`);
