// get.mjs DIR KEYFILE
// Point gets through DbReaderBuilder for each base64 key in KEYFILE (one per
// line, blank lines ignored). Prints {"k": base64, "v": base64 | null} per key,
// in KEYFILE order. Like dump.mjs, it writes checkpoint manifests into DIR.
import fs from "node:fs";
import { DbReaderBuilder } from "@slatedb/uniffi";
import { openStore, b64, die, printJsonLines } from "./lib.mjs";

const [dir, keyFile] = process.argv.slice(2);
if (!keyFile) die("usage: get.mjs DIR KEYFILE");
const keys = fs.readFileSync(keyFile, "utf8").split("\n").map((l) => l.trim()).filter((l) => l);

const store = openStore(dir);
const builder = new DbReaderBuilder("", store);
const reader = await builder.build();
builder.dispose();

const out = [];
for (const k of keys) {
  const v = await reader.get(Buffer.from(k, "base64"));
  out.push({ k, v: v === undefined ? null : b64(v) });
}
printJsonLines(out);

await reader.shutdown();
reader.dispose();
store.dispose();
