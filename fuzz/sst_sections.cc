#include "fuzz/sst_sections.h"

#include "backend/slatedb/coding.h"

namespace shardyfusion::slatedb::fuzz {

namespace {

constexpr size_t kFooterBytes = 10;
constexpr size_t kCrcBytes = 4;
// Decompressing inside the harness should stay cheap.
constexpr size_t kMaxSectionOutput = size_t{16} << 20;

// The section of `len` stored bytes at `offset` if it fits before `end`.
std::optional<SstSection> StoredSection(uint64_t offset, uint64_t len, uint64_t end) {
  if (len < kCrcBytes || offset > end || len > end - offset) return std::nullopt;
  return SstSection{static_cast<size_t>(offset), static_cast<size_t>(len - kCrcBytes)};
}

}  // namespace

std::optional<SstLayout> LocateSstSections(std::string_view sst) {
  if (sst.size() <= kFooterBytes) return std::nullopt;
  const size_t footer = sst.size() - kFooterBytes;
  SstLayout layout;
  layout.format_version = DecodeU16(sst.data() + footer + 8);
  const uint64_t info_offset = DecodeU64(sst.data() + footer);
  std::optional<SstSection> info =
      StoredSection(info_offset, info_offset <= footer ? footer - info_offset : 0, footer);
  if (!info) return std::nullopt;
  layout.info_section = *info;
  Result<SstInfo> decoded = DecodeSstInfo(sst.substr(info->offset, info->size), "fuzz SST");
  if (!decoded.ok()) return std::nullopt;
  layout.info = std::move(decoded).value();
  Result<CompressionCodec> codec =
      CompressionCodecFromByte(static_cast<int>(layout.info.compression));
  if (codec.ok()) layout.codec = *codec;

  const SstInfo& i = layout.info;
  layout.index = StoredSection(i.index_offset, i.index_len, info_offset);
  layout.filter = StoredSection(i.filter_offset, i.filter_len, info_offset);
  if (!codec.ok() || !layout.index) return layout;
  std::optional<std::string> index = SectionContents(sst, *layout.index, layout.codec);
  if (!index) return layout;
  Result<std::vector<BlockMeta>> blocks = DecodeSstIndex(*index, "fuzz index");
  if (!blocks.ok()) return layout;
  for (size_t b = 0; b < blocks->size(); ++b) {
    const uint64_t start = (*blocks)[b].offset;
    const uint64_t end = b + 1 < blocks->size() ? (*blocks)[b + 1].offset : i.filter_offset;
    if (start >= end) continue;
    if (std::optional<SstSection> s = StoredSection(start, end - start, info_offset)) {
      layout.blocks.push_back(*s);
    }
  }
  return layout;
}

std::optional<std::string> SectionContents(std::string_view sst, const SstSection& section,
                                           CompressionCodec codec) {
  if (section.offset > sst.size() || section.size > sst.size() - section.offset) {
    return std::nullopt;
  }
  Result<std::string> out =
      Decompress(codec, sst.substr(section.offset, section.size), kMaxSectionOutput);
  if (!out.ok()) return std::nullopt;
  return std::move(out).value();
}

std::string WithRepairedChecksums(std::string_view sst) {
  std::string out(sst);
  std::optional<SstLayout> layout = LocateSstSections(sst);
  if (!layout) return out;
  auto repair = [&out](const SstSection& s) {
    if (s.offset > out.size() || s.size + kCrcBytes > out.size() - s.offset) return;
    std::string crc;
    PutU32(&crc, Crc32(std::string_view(out).substr(s.offset, s.size)));
    out.replace(s.offset + s.size, kCrcBytes, crc);
  };
  // Sections of a corrupt SST may overlap; the info goes last because it
  // decides where everything else is.
  for (const SstSection& b : layout->blocks) repair(b);
  if (layout->filter) repair(*layout->filter);
  if (layout->index) repair(*layout->index);
  repair(layout->info_section);
  return out;
}

}  // namespace shardyfusion::slatedb::fuzz
