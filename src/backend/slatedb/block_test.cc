#include "backend/slatedb/block.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "backend/slatedb/coding.h"

namespace shardyfusion::slatedb {
namespace {

// A row as BlockBuilder stores it: kRowHas* bits follow the timestamps and a
// tombstone's value is dropped.
Row Stored(Row row) {
  row.flags &= kRowTombstone | kRowMergeOperand;
  if (row.expire_ts) row.flags |= kRowHasExpireTs;
  if (row.create_ts) row.flags |= kRowHasCreateTs;
  if (row.flags & kRowTombstone) row.value.clear();
  return row;
}

// Splits rows into blocks as an SST writer would.
std::vector<std::string> BuildBlocks(const std::vector<Row>& rows,
                                     size_t block_size = kDefaultBlockSize) {
  std::vector<std::string> blocks;
  BlockBuilder builder(block_size);
  for (const Row& row : rows) {
    if (!builder.Add(row)) {
      blocks.push_back(builder.Finish());
      EXPECT_TRUE(builder.Add(row)) << "an empty block takes any row";
    }
  }
  if (!builder.empty()) blocks.push_back(builder.Finish());
  return blocks;
}

std::vector<Row> ReadBlocks(const std::vector<std::string>& blocks) {
  std::vector<Row> rows;
  for (const std::string& block : blocks) {
    auto reader = BlockReader::Open(block, 2);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return rows;
    auto block_rows = reader->ReadAll();
    EXPECT_TRUE(block_rows.ok()) << block_rows.status().ToString();
    if (!block_rows.ok()) return rows;
    rows.insert(rows.end(), block_rows->begin(), block_rows->end());
  }
  return rows;
}

std::vector<Row> MixedRows() {
  std::vector<Row> rows;
  const std::string long_prefix(300, 'p');
  for (int i = 0; i < 200; ++i) {
    Row row;
    row.key = (i % 3 == 0 ? long_prefix : std::string("k")) + fmt::format("{:05d}", i);
    row.seq = 1000 - i;
    row.value = fmt::format("value-{}-", i) + std::string(i % 60, 'x');
    if (i % 7 == 0) row.value.clear();  // empty, not a tombstone
    if (i % 11 == 0) row.flags = kRowTombstone;
    if (i % 13 == 0) row.flags = kRowMergeOperand;
    if (i % 5 == 0) row.create_ts = 1700000000000 + i;
    if (i % 9 == 0) row.expire_ts = -i;  // any i64 round-trips
    rows.push_back(Stored(row));
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.key < b.key; });
  return rows;
}

TEST(SlateDbBlock, RoundTripMixedRows) {
  const std::vector<Row> rows = MixedRows();
  const std::vector<std::string> blocks = BuildBlocks(rows);
  EXPECT_GE(blocks.size(), 3u);
  for (const std::string& block : blocks) EXPECT_LE(block.size(), kDefaultBlockSize);
  EXPECT_EQ(ReadBlocks(blocks), rows);
}

TEST(SlateDbBlock, TombstoneValueIsNotStored) {
  BlockBuilder with_value, without;
  ASSERT_TRUE(with_value.Add("k", 1, kRowTombstone, "ignored"));
  ASSERT_TRUE(without.Add("k", 1, kRowTombstone, ""));
  EXPECT_EQ(with_value.Finish(), without.Finish());
}

// Bytes written out by hand from spec section 3.2.
TEST(SlateDbBlock, ExactV2Bytes) {
  BlockBuilder builder;
  ASSERT_TRUE(builder.Add("apple", 1, 0, "x"));
  ASSERT_TRUE(builder.Add("apricot", 2, kRowTombstone, "", std::nullopt, 5));
  const std::string expected = std::string(
      "\x00\x05\x01"
      "apple"
      "x"
      "\x00\x00\x00\x00\x00\x00\x00\x01"
      "\x00"
      "\x02\x05\x00"
      "ricot"
      "\x00\x00\x00\x00\x00\x00\x00\x02"
      "\x05"
      "\x00\x00\x00\x00\x00\x00\x00\x05"
      "\x00\x00"
      "\x00\x01",
      3 + 5 + 1 + 9 + 3 + 5 + 9 + 8 + 2 + 2);
  EXPECT_EQ(builder.Finish(), expected);
  EXPECT_TRUE(builder.empty()) << "Finish resets the builder";
}

TEST(SlateDbBlock, RestartEverySixteenRows) {
  BlockBuilder builder(65536);
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(builder.Add(fmt::format("key{:03d}", i), 1, 0, "v"));
  const std::string block = builder.Finish();
  auto reader = BlockReader::Open(block, 2);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(reader->num_offsets(), 3u);  // rows 0, 16 and 32
  auto rows = reader->ReadAll();
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 40u);
}

TEST(SlateDbBlock, EstimateMatchesFinishedSize) {
  std::mt19937 rng(3);
  BlockBuilder builder(65536);
  std::string key = "a";
  for (int i = 0; i < 300; ++i) {
    key += static_cast<char>('a' + rng() % 26);
    if (rng() % 3 == 0) key.resize(1 + rng() % key.size());
    key += "z";  // stays ascending for prefix compression
    const std::string value(rng() % 200, 'v');
    const bool expire = rng() % 2, create = rng() % 2;
    const size_t estimate = builder.EstimateSizeAfter(key, 0, value, expire, create);
    if (!builder.Add(key, 1, 0, value, expire ? std::optional<int64_t>(1) : std::nullopt,
                     create ? std::optional<int64_t>(2) : std::nullopt)) {
      break;
    }
    ASSERT_EQ(builder.CurrentSize(), estimate) << i;
  }
  const size_t size = builder.CurrentSize();
  EXPECT_EQ(builder.Finish().size(), size);
}

// Finds a value length that makes the next row end the block at exactly
// `target` bytes.
size_t ValueLengthFor(const BlockBuilder& builder, std::string_view key, size_t target) {
  for (size_t len = 0; len < target; ++len) {
    if (builder.EstimateSizeAfter(key, 0, std::string(len, 'v'), false, false) == target) {
      return len;
    }
  }
  ADD_FAILURE() << "no value length reaches " << target;
  return 0;
}

TEST(SlateDbBlock, AcceptanceRuleAtTheBlockSizeBoundary) {
  BlockBuilder builder;
  ASSERT_TRUE(builder.Add("a", 1, 0, "first"));
  // First row: 3 varint bytes + key 1 + value 5 + seq/flags 9 = 18, + one
  // restart offset + count = 22.
  EXPECT_EQ(builder.CurrentSize(), 22u);
  // The second row shares "" with "a": header 1+1+2, key 1, seq/flags 9.
  const size_t exact = ValueLengthFor(builder, "b", kDefaultBlockSize);
  EXPECT_EQ(exact, 4096u - 22 - 4 - 1 - 9);

  BlockBuilder too_big = builder;
  EXPECT_FALSE(too_big.WouldFit("b", 0, std::string(exact + 1, 'v'), false, false));
  EXPECT_FALSE(too_big.Add("b", 1, 0, std::string(exact + 1, 'v')));
  EXPECT_EQ(too_big.CurrentSize(), 22u) << "a refused row leaves the block unchanged";
  EXPECT_EQ(too_big.num_rows(), 1u);

  EXPECT_TRUE(builder.WouldFit("b", 0, std::string(exact, 'v'), false, false));
  ASSERT_TRUE(builder.Add("b", 1, 0, std::string(exact, 'v')));
  EXPECT_EQ(builder.Finish().size(), kDefaultBlockSize);
}

TEST(SlateDbBlock, RestartOffsetCountsTowardTheRule) {
  BlockBuilder builder;
  for (int i = 0; i < 16; ++i) ASSERT_TRUE(builder.Add(fmt::format("k{:02d}", i), 1, 0, "v"));
  // Row 16 opens a restart, so it costs 2 bytes more than its encoding.
  const std::string key = "k16";
  const size_t exact = ValueLengthFor(builder, key, kDefaultBlockSize);
  const size_t row_bytes = 1 + 1 + 2 + key.size() + exact + 9;
  EXPECT_EQ(builder.CurrentSize() + row_bytes + 2, kDefaultBlockSize);
  BlockBuilder over = builder;
  EXPECT_FALSE(over.Add(key, 1, 0, std::string(exact + 1, 'v')));
  ASSERT_TRUE(builder.Add(key, 1, 0, std::string(exact, 'v')));
  EXPECT_EQ(builder.Finish().size(), kDefaultBlockSize);
}

TEST(SlateDbBlock, LargeValueMakesAOneRowBlock) {
  std::vector<Row> rows;
  rows.push_back(Stored({"a", 3, 0, "small", {}, {}}));
  rows.push_back(Stored({"b", 2, 0, std::string(10000, 'x'), {}, 42}));
  rows.push_back(Stored({"c", 1, 0, "small", {}, {}}));
  const std::vector<std::string> blocks = BuildBlocks(rows);
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_GT(blocks[1].size(), kDefaultBlockSize);
  auto reader = BlockReader::Open(blocks[1], 2);
  ASSERT_TRUE(reader.ok());
  auto middle = reader->ReadAll();
  ASSERT_TRUE(middle.ok());
  ASSERT_EQ(middle->size(), 1u);
  EXPECT_EQ((*middle)[0], rows[1]);
  EXPECT_EQ(ReadBlocks(blocks), rows);
}

TEST(SlateDbBlock, SeekOnEveryKeyAndBetweenKeys) {
  BlockBuilder builder(65536);
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) keys.push_back(fmt::format("key{:04d}", i * 2));
  for (const auto& key : keys) ASSERT_TRUE(builder.Add(key, 1, 0, "v" + key));
  const std::string block = builder.Finish();
  auto reader = BlockReader::Open(block, 2);
  ASSERT_TRUE(reader.ok());
  BlockIterator it = reader->NewIterator();
  for (size_t i = 0; i < keys.size(); ++i) {
    it.Seek(keys[i]);
    ASSERT_TRUE(it.Valid()) << keys[i];
    EXPECT_EQ(it.key(), keys[i]);
    EXPECT_EQ(it.value(), "v" + keys[i]);
    // An odd number sorts between two stored keys.
    it.Seek(fmt::format("key{:04d}", i * 2 + 1));
    if (i + 1 < keys.size()) {
      ASSERT_TRUE(it.Valid());
      EXPECT_EQ(it.key(), keys[i + 1]);
    } else {
      EXPECT_FALSE(it.Valid());
      EXPECT_TRUE(it.status().ok());
    }
  }
  it.Seek("");
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), keys[0]);
  it.Seek("zzz");
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().ok());
  // Seek then iterate to the end visits the rest in order.
  it.Seek(keys[50]);
  size_t n = 0;
  for (; it.Valid(); it.Next()) EXPECT_EQ(it.key(), keys[50 + n++]);
  EXPECT_EQ(n, 50u);
}

TEST(SlateDbBlock, SeekFindsNewestVersionAcrossARestart) {
  BlockBuilder builder(65536);
  for (int i = 0; i < 14; ++i) ASSERT_TRUE(builder.Add(fmt::format("a{:02d}", i), 1, 0, "x"));
  // Rows 14..19 are versions of one key; row 16 is a restart.
  for (uint64_t seq = 6; seq >= 1; --seq) ASSERT_TRUE(builder.Add("dup", seq, 0, "x"));
  ASSERT_TRUE(builder.Add("zed", 1, 0, "x"));
  const std::string block = builder.Finish();
  auto reader = BlockReader::Open(block, 2);
  ASSERT_TRUE(reader.ok());
  BlockIterator it = reader->NewIterator();
  it.Seek("dup");
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), "dup");
  EXPECT_EQ(it.seq(), 6u);
}

// A V1 block, written out by hand: keys compressed against the first key,
// value after the timestamps, an offset for every row.
std::string HandBuiltV1Block() {
  std::string data;
  std::vector<uint16_t> offsets;
  auto row = [&](uint16_t prefix, std::string_view suffix, uint64_t seq, uint8_t flags,
                 std::optional<int64_t> create_ts, std::string_view value) {
    offsets.push_back(static_cast<uint16_t>(data.size()));
    PutU16(&data, prefix);
    PutU16(&data, static_cast<uint16_t>(suffix.size()));
    data.append(suffix);
    PutU64(&data, seq);
    data.push_back(static_cast<char>(flags));
    if (create_ts) PutI64(&data, *create_ts);
    if (!(flags & kRowTombstone)) {
      PutU32(&data, static_cast<uint32_t>(value.size()));
      data.append(value);
    }
  };
  row(0, "abc", 3, 0, std::nullopt, "v1");
  row(2, "d", 2, kRowTombstone, std::nullopt, "");
  row(2, "dx", 1, kRowHasCreateTs, 77, "");
  row(0, "b", 9, 0, std::nullopt, "last");
  for (uint16_t o : offsets) PutU16(&data, o);
  PutU16(&data, static_cast<uint16_t>(offsets.size()));
  return data;
}

TEST(SlateDbBlock, DecodesV1Blocks) {
  const std::string block = HandBuiltV1Block();
  auto reader = BlockReader::Open(block, 1);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto rows = reader->ReadAll();
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  const std::vector<Row> expected = {
      {"abc", 3, 0, "v1", {}, {}},
      {"abd", 2, kRowTombstone, "", {}, {}},
      {"abdx", 1, kRowHasCreateTs, "", {}, 77},
      {"b", 9, 0, "last", {}, {}},
  };
  EXPECT_EQ(*rows, expected);

  BlockIterator it = reader->NewIterator();
  for (const Row& row : expected) {
    it.Seek(row.key);
    ASSERT_TRUE(it.Valid());
    EXPECT_EQ(it.row(), row);
  }
  it.Seek("abcc");
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), "abd");
  it.Seek("c");
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().ok());
}

TEST(SlateDbBlock, RejectsBadFlags) {
  auto block_with_flags = [](uint8_t flags) {
    std::string b;
    PutVarint32(&b, 0);
    PutVarint32(&b, 1);
    PutVarint32(&b, 0);
    b += "k";
    PutU64(&b, 1);
    b.push_back(static_cast<char>(flags));
    PutU16(&b, 0);
    PutU16(&b, 1);
    return b;
  };
  for (uint8_t flags : {uint8_t{0x10}, uint8_t{0x80}, uint8_t{0x09}}) {
    const std::string block = block_with_flags(flags);
    auto reader = BlockReader::Open(block, 2);
    ASSERT_TRUE(reader.ok());
    auto rows = reader->ReadAll();
    ASSERT_FALSE(rows.ok()) << int{flags};
    EXPECT_EQ(rows.status().code(), ErrorCode::kDbAdapter);
    EXPECT_NE(rows.status().message().find(fmt::format("bad flags 0x{:02x}", flags)),
              std::string::npos)
        << rows.status().message();
  }
  EXPECT_TRUE(CheckRowFlags(0x0f & ~kRowMergeOperand).ok());
  EXPECT_TRUE(CheckRowFlags(kRowMergeOperand | kRowHasCreateTs).ok());
}

TEST(SlateDbBlock, RejectsBadTrailers) {
  EXPECT_FALSE(BlockReader::Open("", 2).ok());
  EXPECT_FALSE(BlockReader::Open(std::string_view("\x00", 1), 2).ok());
  EXPECT_FALSE(BlockReader::Open(std::string_view("\x00\x00", 2), 2).ok()) << "no rows";
  EXPECT_FALSE(BlockReader::Open(std::string_view("\x00\x05", 2), 2).ok()) << "count too big";
  BlockBuilder builder;
  ASSERT_TRUE(builder.Add("k", 1, 0, "v"));
  const std::string block = builder.Finish();
  auto bad_version = BlockReader::Open(block, 3);
  ASSERT_FALSE(bad_version.ok());
  EXPECT_NE(bad_version.status().message().find("format version 3"), std::string::npos);
}

// Every result of decoding damaged bytes is an error or rows the builder
// really wrote; decoding never reads out of bounds (run under ASan).
TEST(SlateDbBlock, EveryTruncationIsAnErrorOrAPrefix) {
  std::vector<Row> rows = MixedRows();
  rows.resize(40);
  BlockBuilder builder(65536);
  for (const Row& row : rows) ASSERT_TRUE(builder.Add(row));
  const std::string block = builder.Finish();
  size_t errors = 0;
  for (size_t len = 0; len < block.size(); ++len) {
    const std::string cut = block.substr(0, len);  // own allocation: ASan sees overreads
    auto reader = BlockReader::Open(cut, 2);
    if (!reader.ok()) {
      EXPECT_EQ(reader.status().code(), ErrorCode::kDbAdapter);
      ++errors;
      continue;
    }
    auto got = reader->ReadAll();
    if (!got.ok()) {
      EXPECT_EQ(got.status().code(), ErrorCode::kDbAdapter);
      ++errors;
      continue;
    }
    ASSERT_LE(got->size(), rows.size()) << len;
    for (size_t i = 0; i < got->size(); ++i) ASSERT_EQ((*got)[i], rows[i]) << len;
    BlockIterator it = reader->NewIterator();
    it.Seek(rows[20].key);
  }
  EXPECT_GT(errors, block.size() / 2);
}

TEST(SlateDbBlock, DamagedBytesNeverCrash) {
  std::vector<Row> rows = MixedRows();
  rows.resize(40);
  BlockBuilder builder(65536);
  for (const Row& row : rows) ASSERT_TRUE(builder.Add(row));
  const std::string v2 = builder.Finish();
  const std::string v1 = HandBuiltV1Block();
  for (const auto& [original, version] : {std::pair{v2, 2}, std::pair{v1, 1}}) {
    for (size_t pos = 0; pos < original.size(); ++pos) {
      for (uint8_t x : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
        std::string damaged = original;
        damaged[pos] = static_cast<char>(damaged[pos] ^ x);
        auto reader = BlockReader::Open(damaged, version);
        if (!reader.ok()) continue;
        (void)reader->ReadAll();
        BlockIterator it = reader->NewIterator();
        for (const Row& row : rows) {
          it.Seek(row.key);
          if (it.Valid()) (void)it.row();
        }
      }
    }
    for (size_t len = 0; len < original.size(); ++len) {
      const std::string cut = original.substr(0, len);
      auto reader = BlockReader::Open(cut, version);
      if (!reader.ok()) continue;
      (void)reader->ReadAll();
      BlockIterator it = reader->NewIterator();
      it.Seek("abd");
    }
  }
}

}  // namespace
}  // namespace shardyfusion::slatedb
