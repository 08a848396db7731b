// dump.mjs DIR
// Prints every live key/value of the database as JSON lines
// {"k": base64, "v": base64}, sorted by key bytes, using a full scan through
// DbReaderBuilder (the reader shardyfusion uses: latest manifest, WAL replay).
//
// Beware: DbReader writes checkpoint manifests into DIR (spec 1.3). Run it on
// a copy when DIR must stay byte-identical.
import { DbReaderBuilder } from "@slatedb/uniffi";
import { openStore, b64, printJsonLines } from "./lib.mjs";

const store = openStore(process.argv[2]);
const builder = new DbReaderBuilder("", store);
const reader = await builder.build();
builder.dispose();

const unbounded = { start: undefined, start_inclusive: true, end: undefined, end_inclusive: false };
const it = await reader.scan(unbounded);
const rows = [];
for (let kv = await it.next(); kv; kv = await it.next()) {
  rows.push({ key: Buffer.from(kv.key), value: Buffer.from(kv.value) });
}
it.dispose();
// The scan is already ordered; sorting again makes the output contract
// independent of that.
rows.sort((a, b) => Buffer.compare(a.key, b.key));
printJsonLines(rows.map((r) => ({ k: b64(r.key), v: b64(r.value) })));

await reader.shutdown();
reader.dispose();
store.dispose();
