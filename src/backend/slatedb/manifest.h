// SlateDB's metadata records, decoded into plain structs and encoded back:
// the database manifest (`manifest/<20-digit id>.manifest`: a u16
// big-endian format version, then a ManifestV1 or ManifestV2 FlatBuffer),
// the SsTableInfo that ends every SST, and the SST index. Also the object
// names of a database and ULIDs. docs/format/slatedb.md describes them.
//
// Decoding verifies the FlatBuffer before reading it, so a corrupt or
// hostile object is a kDbAdapter error naming `what`, never a crash. A V2
// manifest is resolved into the same structs as V1 (views applied);
// segment state (prefix-extractor databases) is reported, not resolved.
//
// Thread-safety: stateless functions; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shardyfusion/status.h"

namespace shardyfusion::slatedb {

// A 128-bit ULID: 48-bit millisecond time, then 80 random bits.
struct Ulid {
  uint64_t high = 0;
  uint64_t low = 0;
  bool operator==(const Ulid&) const = default;
};

// A fresh ULID for `unix_ms`.
Ulid NewUlid(uint64_t unix_ms);
// The 26-character Crockford base32 text (upper case).
std::string UlidText(const Ulid& id);
Result<Ulid> ParseUlid(std::string_view text);

// Object names inside a database root.
std::string ManifestName(uint64_t id);      // "manifest/00000000000000000001.manifest"
std::string WalName(uint64_t id);           // "wal/00000000000000000001.sst"
std::string CompactedName(const Ulid& id);  // "compacted/<ULID>.sst"
// The id of "<20 digits>.manifest" (or ".sst"), or nullopt for other names.
std::optional<uint64_t> ParseSequencedName(std::string_view file_name, std::string_view suffix);

enum class Compression : uint8_t { kNone = 0, kSnappy = 1, kZlib = 2, kLz4 = 3, kZstd = 4 };
enum class SstType : uint8_t { kCompacted = 0, kWal = 1 };
enum class FilterFormat : uint8_t { kLegacy = 0, kComposite = 1 };

struct SstInfo {
  std::string first_entry;
  std::optional<std::string> last_entry;
  uint64_t index_offset = 0;
  uint64_t index_len = 0;
  uint64_t filter_offset = 0;
  uint64_t filter_len = 0;
  uint64_t stats_offset = 0;
  uint64_t stats_len = 0;
  Compression compression = Compression::kNone;
  SstType sst_type = SstType::kCompacted;
  FilterFormat filter_format = FilterFormat::kLegacy;
};

struct KeyBound {
  enum Type : uint8_t { kUnknown = 0, kUnbounded = 1, kIncluded = 2, kExcluded = 3 };
  Type type = kUnbounded;
  std::string key;
};

struct KeyRange {
  KeyBound start;
  KeyBound end;
};

// One SST as a manifest lists it.
struct SstHandle {
  Ulid
      id;  // the object is compacted/<id>.sst (under an external db's path if it is one of its ids)
  SstInfo info;
  std::optional<KeyRange> visible_range;
  uint16_t format_version = 1;  // the block format: absent in the manifest means 1
};

struct SortedRunMeta {
  uint32_t id = 0;
  std::vector<SstHandle> ssts;  // key order, not overlapping
};

struct ExternalDbMeta {
  std::string path;
  std::vector<Ulid> sst_ids;
};

struct DbManifest {
  uint16_t version = 1;  // the envelope's format version (1 or 2)
  bool initialized = true;
  uint64_t writer_epoch = 0;
  uint64_t compactor_epoch = 0;
  uint64_t replay_after_wal_id = 0;
  uint64_t wal_id_last_seen = 0;
  int64_t last_l0_clock_tick = INT64_MIN;
  uint64_t last_l0_seq = 0;
  uint64_t recent_snapshot_min_seq = 0;
  std::vector<SstHandle> l0;             // newest first
  std::vector<SortedRunMeta> compacted;  // newest (highest id) first
  std::vector<ExternalDbMeta> external_dbs;
  size_t num_checkpoints = 0;        // decoded only
  bool has_segments = false;         // V2 prefix-extractor state (not resolved)
  std::string wal_object_store_uri;  // a separate WAL store (V1), "" = none
};

// `what` names the object in errors ("s3://b/db/manifest/...0007.manifest").
Result<DbManifest> DecodeManifest(std::string_view bytes, const std::string& what);
// A V1 manifest (what SlateDB 0.12 and 0.13 write): manifest_id 0, no
// checkpoints, the 13-byte empty sequence tracker, every SST's
// format_version written explicitly.
std::string EncodeManifestV1(const DbManifest& manifest);

Result<SstInfo> DecodeSstInfo(std::string_view bytes, const std::string& what);
std::string EncodeSstInfo(const SstInfo& info);

struct BlockMeta {
  uint64_t offset = 0;
  std::string first_key;
};
Result<std::vector<BlockMeta>> DecodeSstIndex(std::string_view bytes, const std::string& what);
std::string EncodeSstIndex(const std::vector<BlockMeta>& blocks);

}  // namespace shardyfusion::slatedb
