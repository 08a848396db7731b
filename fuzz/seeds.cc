#include "fuzz/seeds.h"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include "backend/slatedb/block.h"
#include "backend/slatedb/bloom.h"
#include "backend/slatedb/coding.h"
#include "backend/slatedb/compression.h"
#include "backend/slatedb/manifest.h"
#include "backend/slatedb/manifest_fb.h"
#include "backend/slatedb/slatedb_generated.h"
#include "fuzz/db_input.h"
#include "fuzz/sst_sections.h"

namespace shardyfusion::slatedb::fuzz {

namespace {

namespace fs = std::filesystem;

constexpr CompressionCodec kAllCodecs[] = {CompressionCodec::kNone, CompressionCodec::kSnappy,
                                           CompressionCodec::kZlib, CompressionCodec::kLz4,
                                           CompressionCodec::kZstd};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The files of `dir` ending in `suffix`, in name order.
std::vector<fs::path> FilesIn(const fs::path& dir, std::string_view suffix) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().filename().string().ends_with(suffix)) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// One fixture database, read whole.
struct FixtureDb {
  std::vector<std::string> manifests;                 // by id
  std::vector<std::pair<uint64_t, std::string>> wal;  // by id
  std::map<std::string, std::string> compacted;       // ULID text -> bytes
  std::optional<DbManifest> latest;
};

std::vector<FixtureDb> LoadFixtures(const std::string& fixtures_dir) {
  std::vector<fs::path> scenarios;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fixtures_dir, ec)) {
    if (fs::is_directory(e.path() / "db")) scenarios.push_back(e.path() / "db");
  }
  std::sort(scenarios.begin(), scenarios.end());
  std::vector<FixtureDb> out;
  for (const fs::path& db : scenarios) {
    FixtureDb f;
    // Zero-padded ids: name order is id order.
    for (const fs::path& p : FilesIn(db / "manifest", ".manifest")) {
      f.manifests.push_back(ReadFile(p));
    }
    for (const fs::path& p : FilesIn(db / "wal", ".sst")) {
      std::optional<uint64_t> id = ParseSequencedName(p.filename().string(), ".sst");
      if (id) f.wal.emplace_back(*id, ReadFile(p));
    }
    for (const fs::path& p : FilesIn(db / "compacted", ".sst")) {
      f.compacted[p.stem().string()] = ReadFile(p);
    }
    if (!f.manifests.empty()) {
      Result<DbManifest> m = DecodeManifest(f.manifests.back(), db.string());
      if (m.ok()) f.latest = std::move(m).value();
    }
    out.push_back(std::move(f));
  }
  return out;
}

// Every SST of every fixture, WAL ones first.
std::vector<std::string> AllSsts(const std::vector<FixtureDb>& dbs) {
  std::vector<std::string> out;
  for (const FixtureDb& db : dbs) {
    for (const auto& [id, bytes] : db.wal) out.push_back(bytes);
  }
  for (const FixtureDb& db : dbs) {
    for (const auto& [name, bytes] : db.compacted) out.push_back(bytes);
  }
  return out;
}

std::vector<Row> BlockRows(std::string_view block, int format_version) {
  Result<BlockReader> reader = BlockReader::Open(block, format_version);
  if (!reader.ok()) return {};
  Result<std::vector<Row>> rows = reader->ReadAll();
  return rows.ok() ? std::move(rows).value() : std::vector<Row>();
}

// The decompressed data blocks of `sst` with their rows.
std::vector<std::string> SstBlocks(std::string_view sst, const SstLayout& layout) {
  std::vector<std::string> out;
  for (const SstSection& s : layout.blocks) {
    std::optional<std::string> block = SectionContents(sst, s, layout.codec);
    if (block) out.push_back(std::move(*block));
  }
  return out;
}

// A V1 block (keys prefix-compressed against the first key, an offset per
// row, the value after the timestamps), as SlateDB before 0.9 wrote them.
std::string EncodeV1Block(const std::vector<Row>& rows) {
  std::string data;
  std::vector<uint16_t> offsets;
  const std::string& first = rows.front().key;
  for (const Row& r : rows) {
    if (data.size() > 60000 || r.key.size() > 65535) break;
    size_t prefix = 0;
    while (prefix < first.size() && prefix < r.key.size() && first[prefix] == r.key[prefix]) {
      ++prefix;
    }
    if (offsets.empty()) prefix = 0;
    offsets.push_back(static_cast<uint16_t>(data.size()));
    PutU16(&data, static_cast<uint16_t>(prefix));
    PutU16(&data, static_cast<uint16_t>(r.key.size() - prefix));
    data.append(r.key, prefix);
    PutU64(&data, r.seq);
    data.push_back(static_cast<char>(r.flags));
    if (r.expire_ts) PutI64(&data, *r.expire_ts);
    if (r.create_ts) PutI64(&data, *r.create_ts);
    if (!(r.flags & kRowTombstone)) {
      PutU32(&data, static_cast<uint32_t>(r.value.size()));
      data.append(r.value);
    }
  }
  for (uint16_t o : offsets) PutU16(&data, o);
  PutU16(&data, static_cast<uint16_t>(offsets.size()));
  return data;
}

// A V2 block with every kind of row.
std::string MixedV2Block() {
  BlockBuilder b;
  b.Add("a", 9, 0, "value-a");
  b.Add("a", 8, kRowTombstone, "");
  b.Add("ab", 7, 0, "", 100, std::nullopt);
  b.Add("abc", 6, 0, "v", std::nullopt, -5);
  b.Add("abd", 5, kRowMergeOperand, "m", 1, 2);
  for (int i = 0; i < 20; ++i) b.Add("key" + std::to_string(100 + i), 4, 0, "x");
  return b.Finish();
}

// The Composite filter section around `legacy`, with a prefix bloom first.
std::string CompositeFilter(std::string_view legacy) {
  std::string out;
  PutU16(&out, 2);
  for (auto [name, data] : {std::pair<std::string_view, std::string_view>{"_pf", "\x00\x01\xff"},
                            std::pair<std::string_view, std::string_view>{"_bf", legacy}}) {
    PutU16(&out, static_cast<uint16_t>(name.size()));
    out.append(name);
    PutU64(&out, data.size());
    out.append(data);
  }
  return out;
}

std::string Stored(CompressionCodec codec, std::string_view body) {
  Result<std::string> out = Compress(codec, body);
  std::string stored = out.ok() ? std::move(out).value() : std::string(body);
  PutU32(&stored, Crc32(stored));
  return stored;
}

// An SST of `blocks` (rows each) in the layout SlateDB writes.
std::string AssembleSst(std::vector<std::vector<Row>> blocks, CompressionCodec codec,
                        uint16_t format_version, FilterFormat filter_format) {
  std::erase_if(blocks, [](const std::vector<Row>& rows) { return rows.empty(); });
  if (blocks.empty()) return std::string();
  std::string sst;
  std::vector<BlockMeta> index;
  BloomBuilder bloom;
  for (const std::vector<Row>& rows : blocks) {
    std::string block;
    if (format_version == 1) {
      block = EncodeV1Block(rows);
    } else {
      BlockBuilder b(65536);
      for (const Row& r : rows) b.Add(r);
      block = b.Finish();
    }
    for (const Row& r : rows) bloom.AddKey(r.key);
    index.push_back(BlockMeta{sst.size(), rows.front().key});
    sst += Stored(codec, block);
  }
  SstInfo info;
  info.first_entry = blocks.front().front().key;
  info.last_entry = blocks.back().back().key;
  info.compression = static_cast<Compression>(codec);
  info.filter_format = filter_format;
  info.filter_offset = sst.size();
  std::string filter = bloom.Finish();
  if (filter_format == FilterFormat::kComposite) filter = CompositeFilter(filter);
  sst += Stored(codec, filter);
  info.filter_len = sst.size() - info.filter_offset;
  info.index_offset = sst.size();
  sst += Stored(codec, EncodeSstIndex(index));
  info.index_len = sst.size() - info.index_offset;
  info.stats_offset = sst.size();
  const uint64_t info_offset = sst.size();
  std::string info_bytes = EncodeSstInfo(info);
  PutU32(&info_bytes, Crc32(info_bytes));
  sst += info_bytes;
  PutU64(&sst, info_offset);
  PutU16(&sst, format_version);
  return sst;
}

// SSTs the fixtures lack, rebuilt from the rows of `sst`: V1 blocks, a
// Composite filter, and each codec.
std::vector<std::string> RebuiltSsts(std::string_view sst) {
  std::optional<SstLayout> layout = LocateSstSections(sst);
  if (!layout) return {};
  std::vector<std::vector<Row>> blocks;
  for (const std::string& block : SstBlocks(sst, *layout)) {
    blocks.push_back(BlockRows(block, layout->format_version));
  }
  std::vector<std::string> out;
  out.push_back(AssembleSst(blocks, CompressionCodec::kNone, 1, FilterFormat::kLegacy));
  out.push_back(AssembleSst(blocks, CompressionCodec::kNone, 2, FilterFormat::kComposite));
  for (CompressionCodec codec : kAllCodecs) {
    if (codec != layout->codec) {
      out.push_back(AssembleSst(blocks, codec, 2, FilterFormat::kLegacy));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// V2 manifests, which no fixture has: the same state, as SST list + views.

struct V2Extras {
  bool external_db = false;
  bool segment = false;
  bool narrow_views = false;  // give every view a visible range
};

std::string EncodeManifestV2(const DbManifest& m, const V2Extras& extras) {
  flatbuffers::FlatBufferBuilder b(1024);
  std::map<std::pair<uint64_t, uint64_t>, const SstHandle*> unique;
  for (const SstHandle& h : m.l0) unique[{h.id.high, h.id.low}] = &h;
  for (const SortedRunMeta& run : m.compacted) {
    for (const SstHandle& h : run.ssts) unique[{h.id.high, h.id.low}] = &h;
  }
  std::vector<flatbuffers::Offset<fb::CompactedSsTableV2>> ssts;
  for (const auto& [id, h] : unique) {
    auto fid = ToFb(b, h->id);
    auto info = ToFb(b, h->info);
    ssts.push_back(fb::CreateCompactedSsTableV2(b, fid, info, h->format_version));
  }
  uint64_t next_view = 1;
  auto view = [&](const SstHandle& h) {
    auto vid = fb::CreateUlid(b, 0, next_view++);
    auto sid = ToFb(b, h.id);
    flatbuffers::Offset<fb::BytesRange> range = 0;
    if (h.visible_range) {
      range = ToFb(b, *h.visible_range);
    } else if (extras.narrow_views) {
      KeyRange r{{KeyBound::kIncluded, h.info.first_entry}, {KeyBound::kExcluded, "key5"}};
      range = ToFb(b, r);
    }
    return fb::CreateCompactedSsTableView(b, vid, sid, range);
  };
  std::vector<flatbuffers::Offset<fb::CompactedSsTableView>> l0;
  for (const SstHandle& h : m.l0) l0.push_back(view(h));
  std::vector<flatbuffers::Offset<fb::SortedRunV2>> runs;
  for (const SortedRunMeta& run : m.compacted) {
    std::vector<flatbuffers::Offset<fb::CompactedSsTableView>> views;
    for (const SstHandle& h : run.ssts) views.push_back(view(h));
    auto v = b.CreateVector(views);
    runs.push_back(fb::CreateSortedRunV2(b, run.id, v));
  }
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::ExternalDb>>> external = 0;
  if (extras.external_db && !unique.empty()) {
    auto path = b.CreateString("other/db/");
    auto source = fb::CreateUuid(b, 1, 2);
    std::vector<flatbuffers::Offset<fb::Ulid>> ids = {ToFb(b, unique.begin()->second->id)};
    auto id_vec = b.CreateVector(ids);
    std::vector<flatbuffers::Offset<fb::ExternalDb>> dbs = {
        fb::CreateExternalDb(b, path, source, 0, id_vec)};
    external = b.CreateVector(dbs);
  }
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Segment>>> segments = 0;
  if (extras.segment) {
    auto prefix = ToFbBytes(b, "key");
    auto seg_l0 = b.CreateVector(std::vector<flatbuffers::Offset<fb::CompactedSsTableView>>());
    auto seg_runs = b.CreateVector(std::vector<flatbuffers::Offset<fb::SortedRunV2>>());
    std::vector<flatbuffers::Offset<fb::Segment>> segs = {
        fb::CreateSegment(b, prefix, 0, seg_l0, seg_runs)};
    segments = b.CreateVector(segs);
  }
  auto ssts_vec = b.CreateVector(ssts);
  auto l0_vec = b.CreateVector(l0);
  auto runs_vec = b.CreateVector(runs);
  auto checkpoints = b.CreateVector(std::vector<flatbuffers::Offset<fb::Checkpoint>>());
  auto root = fb::CreateManifestV2(b, /*manifest_id=*/7, external, m.initialized, m.writer_epoch,
                                   m.compactor_epoch, m.replay_after_wal_id, m.wal_id_last_seen,
                                   /*last_compacted_l0_sst_view_id=*/0, ssts_vec, l0_vec, runs_vec,
                                   m.last_l0_clock_tick, checkpoints, m.last_l0_seq,
                                   m.recent_snapshot_min_seq, /*sequence_tracker=*/0, segments);
  b.Finish(root);
  std::string out;
  PutU16(&out, 2);
  out.append(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
  return out;
}

// ---------------------------------------------------------------------------
// Per target.

std::vector<std::string> ManifestSeeds(const std::vector<FixtureDb>& dbs) {
  std::vector<std::string> out = {std::string(), std::string("\x00\x01", 2),
                                  std::string("\x00\x03\x00\x00", 4)};
  for (const FixtureDb& db : dbs) {
    out.insert(out.end(), db.manifests.begin(), db.manifests.end());
    if (!db.latest) continue;
    out.push_back(EncodeManifestV2(*db.latest, {}));
    out.push_back(EncodeManifestV2(*db.latest, {true, true, true}));
  }
  DbManifest ranged;
  SstHandle h;
  h.id = Ulid{1, 2};
  h.info.first_entry = "a";
  h.info.last_entry = "z";
  h.visible_range = KeyRange{{KeyBound::kExcluded, "a"}, {KeyBound::kUnbounded, ""}};
  h.format_version = 2;
  ranged.l0.push_back(h);
  ranged.compacted.push_back(SortedRunMeta{3, {h}});
  out.push_back(EncodeManifestV1(ranged));
  return out;
}

std::vector<std::string> SstInfoSeeds(const std::vector<FixtureDb>& dbs) {
  std::set<std::string> unique;
  for (const std::string& sst : AllSsts(dbs)) {
    std::optional<SstLayout> layout = LocateSstSections(sst);
    if (layout) {
      unique.insert(sst.substr(layout->info_section.offset, layout->info_section.size));
    }
  }
  std::vector<std::string> out(unique.begin(), unique.end());
  SstInfo full;
  full.first_entry = "first";
  full.last_entry = "";
  full.index_offset = UINT64_MAX;
  full.compression = Compression::kZstd;
  full.sst_type = SstType::kWal;
  full.filter_format = FilterFormat::kComposite;
  out.push_back(EncodeSstInfo(SstInfo()));
  out.push_back(EncodeSstInfo(full));
  return out;
}

std::vector<std::string> SstIndexSeeds(const std::vector<FixtureDb>& dbs) {
  std::set<std::string> unique;
  for (const std::string& sst : AllSsts(dbs)) {
    std::optional<SstLayout> layout = LocateSstSections(sst);
    if (!layout || !layout->index) continue;
    std::optional<std::string> index = SectionContents(sst, *layout->index, layout->codec);
    if (index) unique.insert(std::move(*index));
  }
  std::vector<std::string> out(unique.begin(), unique.end());
  out.push_back(EncodeSstIndex({}));
  out.push_back(EncodeSstIndex({{0, ""}, {100, "b"}, {99, std::string(300, 'k')}}));
  return out;
}

// Block inputs are a selector byte (low bit set: V1, clear: V2), then the
// block; see fuzz_block.cc.
std::vector<std::string> BlockSeeds(const std::vector<FixtureDb>& dbs) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  size_t v1_made = 0;
  for (const std::string& sst : AllSsts(dbs)) {
    std::optional<SstLayout> layout = LocateSstSections(sst);
    if (!layout) continue;
    const std::vector<std::string> blocks = SstBlocks(sst, *layout);
    // The first and the last block of each SST are enough variety.
    for (size_t i : {size_t{0}, blocks.size() - 1}) {
      if (i >= blocks.size() || !seen.insert(blocks[i]).second) continue;
      out.push_back((layout->format_version == 1 ? '\x01' : '\x00') + blocks[i]);
      if (v1_made < 16) {
        std::vector<Row> rows = BlockRows(blocks[i], layout->format_version);
        if (!rows.empty()) {
          out.push_back('\x01' + EncodeV1Block(rows));
          ++v1_made;
        }
      }
    }
  }
  out.push_back('\x00' + MixedV2Block());
  std::vector<Row> mixed = BlockRows(MixedV2Block(), 2);
  if (!mixed.empty()) out.push_back('\x01' + EncodeV1Block(mixed));
  return out;
}

std::vector<std::string> BloomSeeds(const std::vector<FixtureDb>& dbs) {
  std::set<std::string> unique;
  for (const std::string& sst : AllSsts(dbs)) {
    std::optional<SstLayout> layout = LocateSstSections(sst);
    if (!layout || !layout->filter) continue;
    std::optional<std::string> filter = SectionContents(sst, *layout->filter, layout->codec);
    if (filter) unique.insert(std::move(*filter));
  }
  std::vector<std::string> out(unique.begin(), unique.end());
  BloomBuilder builder;
  out.push_back(builder.Finish());  // no keys
  for (int i = 0; i < 50; ++i) builder.AddKey("key" + std::to_string(i));
  const std::string small = builder.Finish();
  out.push_back(small);
  out.push_back(CompositeFilter(small));
  if (!unique.empty()) out.push_back(CompositeFilter(*unique.begin()));
  return out;
}

// Compression inputs are a codec byte (taken mod 5), then the stored bytes.
std::vector<std::string> CompressionSeeds(const std::vector<FixtureDb>& dbs) {
  std::vector<std::string> out;
  for (const std::string& sst : AllSsts(dbs)) {
    std::optional<SstLayout> layout = LocateSstSections(sst);
    if (!layout || layout->codec == CompressionCodec::kNone) continue;
    std::vector<SstSection> sections(
        layout->blocks.begin(),
        layout->blocks.begin() + std::min<size_t>(1, layout->blocks.size()));
    if (layout->index) sections.push_back(*layout->index);
    if (layout->filter) sections.push_back(*layout->filter);
    for (const SstSection& s : sections) {
      out.push_back(static_cast<char>(layout->codec) + sst.substr(s.offset, s.size));
    }
  }
  std::string sample;
  for (int i = 0; i < 200; ++i) sample += "key" + std::to_string(i * 7919 % 1000) + "=value;";
  for (CompressionCodec codec : kAllCodecs) {
    for (std::string_view plain : {std::string_view(), std::string_view(sample)}) {
      Result<std::string> packed = Compress(codec, plain);
      if (packed.ok()) out.push_back(static_cast<char>(codec) + *packed);
    }
  }
  return out;
}

std::vector<std::string> SstSeeds(const std::vector<FixtureDb>& dbs) {
  std::vector<std::string> out = AllSsts(dbs);
  // Rebuild the L0 SSTs of the small scenarios into the layouts no fixture has.
  size_t rebuilt = 0;
  for (const FixtureDb& db : dbs) {
    if (!db.latest || db.latest->l0.empty() || rebuilt == 2) continue;
    auto it = db.compacted.find(UlidText(db.latest->l0.front().id));
    if (it == db.compacted.end() || it->second.size() > 40000) continue;
    for (std::string& sst : RebuiltSsts(it->second)) {
      if (!sst.empty()) out.push_back(std::move(sst));
    }
    ++rebuilt;
  }
  return out;
}

std::vector<std::string> DbSeeds(const std::vector<FixtureDb>& dbs) {
  std::vector<std::string> out;
  for (const FixtureDb& db : dbs) {
    if (!db.latest) continue;
    const DbManifest& m = *db.latest;
    std::optional<Ulid> id;
    if (!m.l0.empty()) {
      id = m.l0.front().id;
    } else if (!m.compacted.empty() && !m.compacted.front().ssts.empty()) {
      id = m.compacted.front().ssts.front().id;
    }
    std::string_view sst;
    if (id) {
      auto it = db.compacted.find(UlidText(*id));
      if (it != db.compacted.end()) sst = it->second;
    }
    std::string_view wal;
    for (const auto& [wal_id, bytes] : db.wal) {
      if (wal_id > m.replay_after_wal_id) {
        wal = bytes;
        break;
      }
    }
    out.push_back(EncodeDbFuzzInput({db.manifests.back(), sst, wal}));
    const std::string v2 = EncodeManifestV2(m, {false, false, true});
    out.push_back(EncodeDbFuzzInput({v2, sst, wal}));
  }
  return out;
}

}  // namespace

const std::vector<std::string>& FuzzTargetNames() {
  static const std::vector<std::string> kNames = {"manifest", "sst_info",    "sst_index", "block",
                                                  "bloom",    "compression", "sst",       "db",
                                                  "cel",      "records"};
  return kNames;
}

namespace {

// fuzz_records' inputs: a format byte (0 JSONL, 1 CSV, 2 TSV), then text.
std::vector<std::string> RecordSeeds() {
  const std::string bom = "\xEF\xBB\xBF";
  return {
      std::string("\0", 1) +
          "{\"id\":1,\"name\":\"a\",\"tags\":[1,2,{\"x\":null}]}\n\n"
          "{\"id\":-2,\"ok\":true,\"s\":\"\\u00e9\\\"[\"}\r\n{\"id\":3.5}",
      std::string("\0", 1) + bom + "{\"id\":1}\n[1]\n",
      std::string("\0", 1) + "{\"a\":[[[[[[[[[[]]]]]]]]]]}\n{\"id\":2}",
      "\1id,name,note\n1,\"a, b\",\"multi\nline \"\"quoted\"\"\"\r\n2,c,\n",
      "\1" + bom + "id,name\n1,x\n3\n",
      "\1id,id\n1,2\n",
      "\2id\tname\n1\ta\n2\tb\tc\n",
      "\2" + bom + "k\tv\n\n\xff\xfe\tv\n",
  };
}

}  // namespace

std::vector<std::string> FuzzSeeds(std::string_view target, const std::string& fixtures_dir) {
  if (target == "cel") return CelSeeds();
  if (target == "records") return RecordSeeds();
  const std::vector<FixtureDb> dbs = LoadFixtures(fixtures_dir);
  if (target == "manifest") return ManifestSeeds(dbs);
  if (target == "sst_info") return SstInfoSeeds(dbs);
  if (target == "sst_index") return SstIndexSeeds(dbs);
  if (target == "block") return BlockSeeds(dbs);
  if (target == "bloom") return BloomSeeds(dbs);
  if (target == "compression") return CompressionSeeds(dbs);
  if (target == "sst") return SstSeeds(dbs);
  if (target == "db") return DbSeeds(dbs);
  return {};
}

}  // namespace shardyfusion::slatedb::fuzz
