// manifest.mjs DIR
// A tiny read-only decoder for SlateDB V1 manifests and SST footers (spec
// sections 2 and 3), written for this tool. Prints one JSON object describing
// the latest manifest, the SSTs it references and the files on disk, so the
// fixture README can state facts ("l0=[] replay_after_wal_id=0 wal 1..5").
// Also imported by write.mjs to wait for compaction.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

// FlatBuffers table accessor: little-endian, slot i at vtable offset 4 + 2i.
class Table {
  constructor(buf, pos) {
    this.buf = buf;
    this.pos = pos;
    this.vt = pos - buf.readInt32LE(pos);
    this.vtLen = buf.readUInt16LE(this.vt);
  }
  field(slot) {
    const o = 4 + 2 * slot;
    return o < this.vtLen ? this.buf.readUInt16LE(this.vt + o) : 0;
  }
  u64(slot, dflt = 0n) {
    const o = this.field(slot);
    return o ? this.buf.readBigUInt64LE(this.pos + o) : dflt;
  }
  i64(slot, dflt = 0n) {
    const o = this.field(slot);
    return o ? this.buf.readBigInt64LE(this.pos + o) : dflt;
  }
  u32(slot) { const o = this.field(slot); return o ? this.buf.readUInt32LE(this.pos + o) : 0; }
  u16(slot, dflt = 0) { const o = this.field(slot); return o ? this.buf.readUInt16LE(this.pos + o) : dflt; }
  u8(slot) { const o = this.field(slot); return o ? this.buf.readUInt8(this.pos + o) : 0; }
  ref(slot) {
    const o = this.field(slot);
    if (!o) return null;
    const at = this.pos + o;
    return at + this.buf.readUInt32LE(at);
  }
  table(slot) { const r = this.ref(slot); return r === null ? null : new Table(this.buf, r); }
  bytes(slot) {
    const r = this.ref(slot);
    return r === null ? null : this.buf.subarray(r + 4, r + 4 + this.buf.readUInt32LE(r));
  }
  tables(slot) {
    const r = this.ref(slot);
    if (r === null) return [];
    const out = [];
    for (let i = 0, n = this.buf.readUInt32LE(r); i < n; i++) {
      const at = r + 4 + 4 * i;
      out.push(new Table(this.buf, at + this.buf.readUInt32LE(at)));
    }
    return out;
  }
}
const root = (buf) => new Table(buf, buf.readUInt32LE(0));

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
function ulid(t) {
  let v = (t.u64(0) << 64n) | t.u64(1);
  let s = "";
  for (let i = 0; i < 26; i++) { s = CROCKFORD[Number(v & 31n)] + s; v >>= 5n; }
  return s;
}
const CODECS = ["None", "Snappy", "Zlib", "Lz4", "Zstd"];
const text = (b) => (b === null ? null : /^[\x20-\x7e]*$/.test(b.toString("latin1")) ? b.toString("latin1") : "0x" + b.toString("hex"));

function sstInfo(t) {
  return {
    first_entry: text(t.bytes(0)), last_entry: text(t.bytes(7)),
    index_offset: Number(t.u64(1)), index_len: Number(t.u64(2)), filter_offset: Number(t.u64(3)), filter_len: Number(t.u64(4)),
    compression: CODECS[t.u8(5)], sst_type: t.u8(6) === 1 ? "Wal" : "Compacted",
    stats_len: Number(t.u64(9)), filter_format: t.u8(10),
  };
}

// Footer: [SsTableInfo fb][u32 BE crc][u64 BE info offset][u16 BE version].
function readSstFooter(file) {
  const data = fs.readFileSync(file);
  if (data.length <= 10) return { bytes: data.length, empty: true };
  const infoOff = Number(data.readBigUInt64BE(data.length - 10));
  const version = data.readUInt16BE(data.length - 2);
  const fb = data.subarray(infoOff, data.length - 14);
  const crcOk = zlib.crc32 ? zlib.crc32(fb) === data.readUInt32BE(data.length - 14) : undefined;
  const info = sstInfo(root(fb));
  const out = { bytes: data.length, footer_version: version, info_crc_ok: crcOk, ...info };
  // Block count and bloom probes are only readable without decompression.
  if (info.compression === "None") {
    const idx = data.subarray(info.index_offset, info.index_offset + info.index_len - 4);
    out.blocks = root(idx).tables(0).length;
    if (info.filter_len > 0) out.filter_probes = data.readUInt16BE(info.filter_offset);
  }
  return out;
}

function sstEntry(t, dbDir) {
  const id = ulid(t.table(0));
  const file = path.join(dbDir, "compacted", id + ".sst");
  return {
    id, format_version: t.u16(3, null), manifest_info: sstInfo(t.table(1)),
    visible_range: t.table(2) ? "set" : null,
    footer: fs.existsSync(file) ? readSstFooter(file) : "missing",
  };
}

const ids = (dir, ext) =>
  fs.existsSync(dir)
    ? fs.readdirSync(dir).filter((f) => f.endsWith(ext)).map((f) => f.slice(0, -ext.length)).sort()
    : [];

export function latestManifest(dbDir) {
  const numeric = ids(path.join(dbDir, "manifest"), ".manifest").filter((s) => /^\d+$/.test(s));
  if (numeric.length === 0) return null;
  const latest = numeric.map(BigInt).reduce((a, b) => (b > a ? b : a));
  const name = String(latest).padStart(20, "0") + ".manifest";
  const data = fs.readFileSync(path.join(dbDir, "manifest", name));
  const version = data.readUInt16BE(0);
  if (version !== 1) return { manifest_id: Number(latest), version, note: "only V1 is decoded" };
  const m = root(data.subarray(2));
  return {
    manifest_id: Number(latest), version,
    writer_epoch: Number(m.u64(3)), compactor_epoch: Number(m.u64(4)),
    replay_after_wal_id: Number(m.u64(5)), wal_id_last_seen: Number(m.u64(6)),
    last_l0_seq: Number(m.u64(12)), recent_snapshot_min_seq: Number(m.u64(14)),
    last_l0_clock_tick_is_min: m.i64(10) === -(2n ** 63n),
    l0_last_compacted: m.table(7) ? ulid(m.table(7)) : null,
    l0: m.tables(8).map((t) => sstEntry(t, dbDir)),
    compacted: m.tables(9).map((sr) => ({ id: sr.u32(0), ssts: sr.tables(1).map((t) => sstEntry(t, dbDir)) })),
    // Checkpoint{id, manifest_id, expire_time_s (0 = never), create_time_s, ...}
    checkpoints: m.tables(11).map((c) => ({
      manifest_id: Number(c.u64(1)), lifetime_s: c.u32(2) ? c.u32(2) - c.u32(3) : null,
    })),
  };
}

export function describe(dbDir) {
  const walIds = ids(path.join(dbDir, "wal"), ".sst").map(Number);
  const walSizes = Object.fromEntries(
    walIds.map((id) => [id, fs.statSync(path.join(dbDir, "wal", String(id).padStart(20, "0") + ".sst")).size]));
  return {
    manifest: latestManifest(dbDir),
    files: {
      manifest_ids: ids(path.join(dbDir, "manifest"), ".manifest").map(Number),
      wal_sizes: walSizes,
      compacted: ids(path.join(dbDir, "compacted"), ".sst"),
      compactions_ids: ids(path.join(dbDir, "compactions"), ".compactions").map(Number),
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (!dir || !fs.existsSync(path.join(dir, "manifest"))) {
    process.stderr.write("usage: manifest.mjs DIR (a SlateDB database root)\n");
    process.exit(1);
  }
  console.log(JSON.stringify(describe(path.resolve(dir)), null, 1));
}
