// Where the sections of a SlateDB SST lie, found by decoding its footer,
// SsTableInfo and index without checking any CRC; and a copy of an SST with
// every CRC recomputed. The fuzz targets use the second so that mutated SSTs
// get past the checksums into the block, index and filter decoders; the seed
// corpus uses the first to cut real SSTs into sections.
//
// Both accept any bytes (they run on fuzz inputs): whatever cannot be
// located is left out.
//
// Thread-safety: stateless functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/slatedb/compression.h"
#include "backend/slatedb/manifest.h"

namespace shardyfusion::slatedb::fuzz {

// A stored section: `size` body bytes at `offset`, then its 4-byte CRC.
struct SstSection {
  size_t offset = 0;
  size_t size = 0;
};

struct SstLayout {
  uint16_t format_version = 0;  // the footer's
  CompressionCodec codec = CompressionCodec::kNone;
  SstInfo info;
  SstSection info_section;
  std::optional<SstSection> index;
  std::optional<SstSection> filter;
  std::vector<SstSection> blocks;  // empty unless the index decodes
};

// The layout of `sst`, or nullopt if its footer or SsTableInfo does not
// decode.
std::optional<SstLayout> LocateSstSections(std::string_view sst);

// The body of `section` in `sst`, decompressed with `codec`, or nullopt.
std::optional<std::string> SectionContents(std::string_view sst, const SstSection& section,
                                           CompressionCodec codec);

// `sst` with the CRC of every located section rewritten to match its body.
std::string WithRepairedChecksums(std::string_view sst);

}  // namespace shardyfusion::slatedb::fuzz
