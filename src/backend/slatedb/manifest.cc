#include "backend/slatedb/manifest.h"

#include <flatbuffers/flatbuffers.h>

#include <cstddef>
#include <cstdio>
#include <map>
#include <random>

#include "backend/slatedb/coding.h"
#include "backend/slatedb/manifest_fb.h"
#include "backend/slatedb/slatedb_generated.h"
#include "core/status_internal.h"

namespace shardyfusion::slatedb {

namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
// The empty RFC-0012 sequence tracker: version 1, then two zero u32 counts.
constexpr uint8_t kEmptySequenceTracker[13] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

Status Corrupt(const std::string& what, const std::string& why) {
  return Status(ErrorCode::kDbAdapter, "corrupt SlateDB " + what + ": " + why);
}

// FlatBuffers reads scalars in place, so the bytes must be suitably aligned
// (a manifest's body starts 2 bytes into its object). A std::string's own
// buffer is aligned by the allocator.
std::string_view Aligned(std::string_view bytes, std::string* storage) {
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(uint64_t) == 0) return bytes;
  storage->assign(bytes);
  return *storage;
}

// SlateDB raises the verifier's table limit: one index table per block.
flatbuffers::Verifier MakeVerifier(std::string_view bytes) {
  return flatbuffers::Verifier(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                               /*max_depth=*/64, /*max_tables=*/1000000000);
}

std::string Bytes(const flatbuffers::Vector<uint8_t>* v) {
  if (v == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(v->data()), v->size());
}

Ulid FromFb(const fb::Ulid* u) { return u ? Ulid{u->high(), u->low()} : Ulid{}; }

SstInfo FromFb(const fb::SsTableInfo& i) {
  SstInfo out;
  out.first_entry = Bytes(i.first_entry());
  if (i.last_entry() != nullptr) out.last_entry = Bytes(i.last_entry());
  out.index_offset = i.index_offset();
  out.index_len = i.index_len();
  out.filter_offset = i.filter_offset();
  out.filter_len = i.filter_len();
  out.stats_offset = i.stats_offset();
  out.stats_len = i.stats_len();
  out.compression = static_cast<Compression>(i.compression_format());
  out.sst_type = static_cast<SstType>(i.sst_type());
  out.filter_format = static_cast<FilterFormat>(i.filter_format());
  return out;
}

std::optional<KeyRange> FromFb(const fb::BytesRange* r) {
  if (r == nullptr) return std::nullopt;
  auto bound = [](const fb::BytesBound* b) {
    KeyBound out;
    out.type = static_cast<KeyBound::Type>(b->bound_type());
    out.key = Bytes(b->key());
    return out;
  };
  return KeyRange{bound(r->start_bound()), bound(r->end_bound())};
}

SstHandle FromFb(const fb::CompactedSsTable& t) {
  SstHandle h;
  h.id = FromFb(t.id());
  h.info = FromFb(*t.info());
  h.visible_range = FromFb(t.visible_range());
  h.format_version = t.format_version().has_value() ? *t.format_version() : 1;
  return h;
}

template <typename Fb>
void DecodeCommon(const Fb& m, DbManifest* out) {
  out->initialized = m.initialized();
  out->writer_epoch = m.writer_epoch();
  out->compactor_epoch = m.compactor_epoch();
  out->replay_after_wal_id = m.replay_after_wal_id();
  out->wal_id_last_seen = m.wal_id_last_seen();
  out->last_l0_clock_tick = m.last_l0_clock_tick();
  out->last_l0_seq = m.last_l0_seq();
  out->recent_snapshot_min_seq = m.recent_snapshot_min_seq();
  out->num_checkpoints = m.checkpoints() ? m.checkpoints()->size() : 0;
  if (m.external_dbs() != nullptr) {
    for (const fb::ExternalDb* e : *m.external_dbs()) {
      ExternalDbMeta db;
      db.path = e->path()->str();
      for (const fb::Ulid* id : *e->sst_ids()) db.sst_ids.push_back(FromFb(id));
      out->external_dbs.push_back(std::move(db));
    }
  }
}

Result<DbManifest> DecodeV1(std::string_view unaligned, const std::string& what) {
  std::string storage;
  const std::string_view body = Aligned(unaligned, &storage);
  flatbuffers::Verifier verifier = MakeVerifier(body);
  if (!verifier.VerifyBuffer<fb::ManifestV1>(nullptr)) {
    return Corrupt(what, "the ManifestV1 FlatBuffer does not verify");
  }
  const fb::ManifestV1& m = *flatbuffers::GetRoot<fb::ManifestV1>(body.data());
  DbManifest out;
  out.version = 1;
  DecodeCommon(m, &out);
  if (m.wal_object_store_uri() != nullptr)
    out.wal_object_store_uri = m.wal_object_store_uri()->str();
  for (const fb::CompactedSsTable* t : *m.l0()) out.l0.push_back(FromFb(*t));
  for (const fb::SortedRun* run : *m.compacted()) {
    SortedRunMeta sr;
    sr.id = run->id();
    for (const fb::CompactedSsTable* t : *run->ssts()) sr.ssts.push_back(FromFb(*t));
    out.compacted.push_back(std::move(sr));
  }
  return out;
}

Result<DbManifest> DecodeV2(std::string_view unaligned, const std::string& what) {
  std::string storage;
  const std::string_view body = Aligned(unaligned, &storage);
  flatbuffers::Verifier verifier = MakeVerifier(body);
  if (!verifier.VerifyBuffer<fb::ManifestV2>(nullptr)) {
    return Corrupt(what, "the ManifestV2 FlatBuffer does not verify");
  }
  const fb::ManifestV2& m = *flatbuffers::GetRoot<fb::ManifestV2>(body.data());
  DbManifest out;
  out.version = 2;
  DecodeCommon(m, &out);
  out.has_segments = m.segments() != nullptr && m.segments()->size() > 0;
  // Views name SSTs by id; the SSTs themselves are listed once.
  std::map<std::pair<uint64_t, uint64_t>, const fb::CompactedSsTableV2*> ssts;
  for (const fb::CompactedSsTableV2* t : *m.ssts()) ssts[{t->id()->high(), t->id()->low()}] = t;
  auto resolve = [&](const fb::CompactedSsTableView& view) -> Result<SstHandle> {
    auto it = ssts.find({view.sst_id()->high(), view.sst_id()->low()});
    if (it == ssts.end()) {
      return Corrupt(what, "a view names SST " + UlidText(FromFb(view.sst_id())) +
                               " that the manifest does not list");
    }
    SstHandle h;
    h.id = FromFb(view.sst_id());
    h.info = FromFb(*it->second->info());
    h.visible_range = FromFb(view.visible_range());
    h.format_version = it->second->format_version().value_or(1);
    return h;
  };
  for (const fb::CompactedSsTableView* v : *m.l0()) {
    SHARDY_ASSIGN_OR_RETURN(SstHandle h, resolve(*v));
    out.l0.push_back(std::move(h));
  }
  for (const fb::SortedRunV2* run : *m.compacted()) {
    SortedRunMeta sr;
    sr.id = run->id();
    for (const fb::CompactedSsTableView* v : *run->ssts()) {
      SHARDY_ASSIGN_OR_RETURN(SstHandle h, resolve(*v));
      sr.ssts.push_back(std::move(h));
    }
    out.compacted.push_back(std::move(sr));
  }
  return out;
}

}  // namespace

flatbuffers::Offset<fb::Ulid> ToFb(flatbuffers::FlatBufferBuilder& b, const Ulid& u) {
  return fb::CreateUlid(b, u.high, u.low);
}

flatbuffers::Offset<flatbuffers::Vector<uint8_t>> ToFbBytes(flatbuffers::FlatBufferBuilder& b,
                                                            std::string_view s) {
  return b.CreateVector(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

flatbuffers::Offset<fb::SsTableInfo> ToFb(flatbuffers::FlatBufferBuilder& b, const SstInfo& i) {
  auto first = ToFbBytes(b, i.first_entry);
  flatbuffers::Offset<flatbuffers::Vector<uint8_t>> last = 0;
  if (i.last_entry) last = ToFbBytes(b, *i.last_entry);
  return fb::CreateSsTableInfo(b, first, i.index_offset, i.index_len, i.filter_offset, i.filter_len,
                               static_cast<fb::CompressionFormat>(i.compression),
                               static_cast<fb::SstType>(i.sst_type), last, i.stats_offset,
                               i.stats_len, static_cast<fb::FilterFormat>(i.filter_format));
}

flatbuffers::Offset<fb::BytesRange> ToFb(flatbuffers::FlatBufferBuilder& b, const KeyRange& r) {
  auto bound = [&b](const KeyBound& k) {
    flatbuffers::Offset<flatbuffers::Vector<uint8_t>> key = 0;
    if (k.type != KeyBound::kUnbounded) key = ToFbBytes(b, k.key);
    return fb::CreateBytesBound(b, key, static_cast<fb::BoundType>(k.type));
  };
  auto start = bound(r.start);
  auto end = bound(r.end);
  return fb::CreateBytesRange(b, start, end);
}

flatbuffers::Offset<fb::CompactedSsTable> ToFb(flatbuffers::FlatBufferBuilder& b,
                                               const SstHandle& h) {
  auto id = ToFb(b, h.id);
  auto info = ToFb(b, h.info);
  flatbuffers::Offset<fb::BytesRange> range = 0;
  if (h.visible_range) range = ToFb(b, *h.visible_range);
  return fb::CreateCompactedSsTable(b, id, info, range, h.format_version);
}

Ulid NewUlid(uint64_t unix_ms) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  const uint64_t r1 = rng();
  const uint64_t r2 = rng();
  // 48 bits of time, then 80 random bits (16 in high, 64 in low).
  return Ulid{(unix_ms << 16) | (r1 & 0xffff), r2};
}

std::string UlidText(const Ulid& id) {
  // 26 base32 digits of 5 bits cover 130 bits; the top two are zero.
  std::string out(26, '0');
  for (int i = 25; i >= 0; --i) {
    const int shift = (25 - i) * 5;
    uint64_t bits;
    if (shift >= 64) {
      bits = id.high >> (shift - 64);
    } else if (shift > 59) {
      bits = (id.low >> shift) | (id.high << (64 - shift));
    } else {
      bits = id.low >> shift;
    }
    out[i] = kCrockford[bits & 31];
  }
  return out;
}

Result<Ulid> ParseUlid(std::string_view text) {
  if (text.size() != 26 || text[0] > '7') {
    return Status(ErrorCode::kDbAdapter, "'" + std::string(text) + "' is not a ULID");
  }
  Ulid u;
  for (char c : text) {
    const char* p = std::char_traits<char>::find(kCrockford, 32, c);
    if (p == nullptr)
      return Status(ErrorCode::kDbAdapter, "'" + std::string(text) + "' is not a ULID");
    const uint64_t d = static_cast<uint64_t>(p - kCrockford);
    u.high = (u.high << 5) | (u.low >> 59);
    u.low = (u.low << 5) | d;
  }
  return u;
}

namespace {
// "<dir>/<id as 20 digits><suffix>", the names of sequenced objects.
std::string SequencedName(const char* dir, uint64_t id, const char* suffix) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s/%020llu%s", dir, static_cast<unsigned long long>(id), suffix);
  return buf;
}
}  // namespace

std::string ManifestName(uint64_t id) { return SequencedName("manifest", id, ".manifest"); }

std::string WalName(uint64_t id) { return SequencedName("wal", id, ".sst"); }

std::string CompactedName(const Ulid& id) { return "compacted/" + UlidText(id) + ".sst"; }

std::optional<uint64_t> ParseSequencedName(std::string_view name, std::string_view suffix) {
  if (name.size() != 20 + suffix.size() || !name.ends_with(suffix)) return std::nullopt;
  uint64_t id = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    const uint64_t d = static_cast<uint64_t>(name[i] - '0');
    if (id > (UINT64_MAX - d) / 10) return std::nullopt;
    id = id * 10 + d;
  }
  return id;
}

Result<DbManifest> DecodeManifest(std::string_view bytes, const std::string& what) {
  std::string_view in = bytes;
  uint16_t version = 0;
  if (!GetU16(&in, &version)) return Corrupt(what, "shorter than its 2-byte version");
  if (version == 1) return DecodeV1(in, what);
  if (version == 2) return DecodeV2(in, what);
  return Corrupt(what, "unknown manifest format version " + std::to_string(version) +
                           " (this reader knows 1 and 2)");
}

std::string EncodeManifestV1(const DbManifest& m) {
  flatbuffers::FlatBufferBuilder b(1024);
  std::vector<flatbuffers::Offset<fb::CompactedSsTable>> l0;
  for (const SstHandle& h : m.l0) l0.push_back(ToFb(b, h));
  std::vector<flatbuffers::Offset<fb::SortedRun>> runs;
  for (const SortedRunMeta& sr : m.compacted) {
    std::vector<flatbuffers::Offset<fb::CompactedSsTable>> ssts;
    for (const SstHandle& h : sr.ssts) ssts.push_back(ToFb(b, h));
    auto v = b.CreateVector(ssts);
    runs.push_back(fb::CreateSortedRun(b, sr.id, v));
  }
  auto l0_vec = b.CreateVector(l0);
  auto runs_vec = b.CreateVector(runs);
  auto checkpoints = b.CreateVector(std::vector<flatbuffers::Offset<fb::Checkpoint>>());
  auto tracker = b.CreateVector(kEmptySequenceTracker, sizeof(kEmptySequenceTracker));
  auto root = fb::CreateManifestV1(b, /*manifest_id=*/0, /*external_dbs=*/0, m.initialized,
                                   m.writer_epoch, m.compactor_epoch, m.replay_after_wal_id,
                                   m.wal_id_last_seen, /*l0_last_compacted=*/0, l0_vec, runs_vec,
                                   m.last_l0_clock_tick, checkpoints, m.last_l0_seq,
                                   /*wal_object_store_uri=*/0, m.recent_snapshot_min_seq, tracker);
  b.Finish(root);
  std::string out;
  PutU16(&out, 1);
  out.append(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
  return out;
}

Result<SstInfo> DecodeSstInfo(std::string_view unaligned, const std::string& what) {
  std::string storage;
  const std::string_view bytes = Aligned(unaligned, &storage);
  flatbuffers::Verifier verifier = MakeVerifier(bytes);
  if (!verifier.VerifyBuffer<fb::SsTableInfo>(nullptr)) {
    return Corrupt(what, "the SsTableInfo FlatBuffer does not verify");
  }
  return FromFb(*flatbuffers::GetRoot<fb::SsTableInfo>(bytes.data()));
}

std::string EncodeSstInfo(const SstInfo& info) {
  flatbuffers::FlatBufferBuilder b(256);
  b.Finish(ToFb(b, info));
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

Result<std::vector<BlockMeta>> DecodeSstIndex(std::string_view unaligned, const std::string& what) {
  std::string storage;
  const std::string_view bytes = Aligned(unaligned, &storage);
  flatbuffers::Verifier verifier = MakeVerifier(bytes);
  if (!verifier.VerifyBuffer<fb::SsTableIndex>(nullptr)) {
    return Corrupt(what, "the SST index FlatBuffer does not verify");
  }
  const fb::SsTableIndex& index = *flatbuffers::GetRoot<fb::SsTableIndex>(bytes.data());
  std::vector<BlockMeta> out;
  out.reserve(index.block_meta()->size());
  for (const fb::BlockMeta* m : *index.block_meta()) {
    out.push_back(BlockMeta{m->offset(), Bytes(m->first_key())});
  }
  return out;
}

std::string EncodeSstIndex(const std::vector<BlockMeta>& blocks) {
  flatbuffers::FlatBufferBuilder b(64 + blocks.size() * 48);
  std::vector<flatbuffers::Offset<fb::BlockMeta>> metas;
  metas.reserve(blocks.size());
  for (const BlockMeta& m : blocks) {
    auto key = ToFbBytes(b, m.first_key);
    metas.push_back(fb::CreateBlockMeta(b, m.offset, key));
  }
  auto v = b.CreateVector(metas);
  b.Finish(fb::CreateSsTableIndex(b, v));
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

}  // namespace shardyfusion::slatedb
