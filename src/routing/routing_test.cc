#include "shardyfusion/routing.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shardyfusion/key.h"

namespace shardyfusion {
namespace {

// The shard the hash router over `num_dbs` shards gives `key`.
uint32_t HashShard(uint32_t num_dbs, const Key& key) {
  Result<std::optional<uint32_t>> shard = NewHashRouter(num_dbs)->Route(key, {}, nullptr);
  EXPECT_TRUE(shard.ok() && shard->has_value());
  return shard.ok() ? shard->value_or(UINT32_MAX) : UINT32_MAX;
}

// Golden vectors from the interop contract (xxh3_64, seed 0): key, digest,
// and the shard ids for num_dbs 2, 3, 4, 8, 10, 16, 100, 1000.
struct Golden {
  Key key;
  uint64_t digest;
  std::vector<uint32_t> mods;
};

const uint32_t kModuli[] = {2, 3, 4, 8, 10, 16, 100, 1000};

std::vector<Golden> GoldenVectors() {
  std::string seq17;
  for (int i = 0; i < 17; ++i) seq17.push_back(static_cast<char>(i));
  return {
      {Key::Int(0), 14374147212387527897ull, {1, 2, 1, 1, 7, 9, 97, 897}},
      {Key::Int(1), 3439722301264460078ull, {0, 2, 2, 6, 8, 14, 78, 78}},
      {Key::Int(2), 2343778756980564547ull, {1, 1, 3, 3, 7, 3, 47, 547}},
      {Key::Int(42), 15395265915043915720ull, {0, 1, 0, 0, 0, 8, 20, 720}},
      {Key::Int(-1), 5841669975847748627ull, {1, 2, 3, 3, 7, 3, 27, 627}},
      {Key::Int(255), 936843873771430885ull, {1, 1, 1, 5, 5, 5, 85, 885}},
      {Key::Int(256), 9809482499306282211ull, {1, 0, 3, 3, 1, 3, 11, 211}},
      {Key::Int(65536), 17681017739794326960ull, {0, 0, 0, 0, 0, 0, 60, 960}},
      {Key::Int(1000000), 3181700808144611680ull, {0, 1, 0, 0, 0, 0, 80, 680}},
      {Key::Int(2147483647), 5728208738430891762ull, {0, 0, 2, 2, 2, 2, 62, 762}},
      {Key::Int(4294967296), 17197929579947543131ull, {1, 1, 3, 3, 1, 11, 31, 131}},
      {Key::Int(INT64_MAX), 11687913294787043142ull, {0, 0, 2, 6, 2, 6, 42, 142}},
      {Key::Int(INT64_MIN), 9407778237848358495ull, {1, 0, 3, 7, 5, 15, 95, 495}},
      {Key::Str(""), 3244421341483603138ull, {0, 1, 2, 2, 8, 2, 38, 138}},
      {Key::Bytes(""), 3244421341483603138ull, {0, 1, 2, 2, 8, 2, 38, 138}},
      {Key::Str("a"), 16629034431890738719ull, {1, 1, 3, 7, 9, 15, 19, 719}},
      {Key::Str("hello"), 10760762337991515389ull, {1, 2, 1, 5, 9, 13, 89, 389}},
      {Key::Bytes("hello"), 10760762337991515389ull, {1, 2, 1, 5, 9, 13, 89, 389}},
      {Key::Str("user:42"), 11511735035886662826ull, {0, 0, 2, 2, 6, 10, 26, 826}},
      {Key::Str("caf\xc3\xa9"), 5513492080776525439ull, {1, 1, 3, 7, 9, 15, 39, 439}},
      {Key::Str("\xe6\x97\xa5\xe6\x9c\xac"), 3177284604324879296ull, {0, 2, 0, 0, 6, 0, 96, 296}},
      {Key::Bytes(std::string(1, '\0')), 14144645293874801883ull, {1, 0, 3, 3, 3, 11, 83, 883}},
      {Key::Bytes("\xff\xfe"), 6262474925740181382ull, {0, 0, 2, 6, 2, 6, 82, 382}},
      {Key::Bytes(std::string(8, '\0')), 14374147212387527897ull, {1, 2, 1, 1, 7, 9, 97, 897}},
      {Key::Bytes(seq17), 11453570474087510824ull, {0, 1, 0, 0, 4, 8, 24, 824}},
      {Key::Str(std::string(129, 'x')), 16499346395082139612ull, {0, 1, 0, 4, 2, 12, 12, 612}},
      {Key::Str(std::string(241, 'y')), 10892340829983728022ull, {0, 0, 2, 6, 2, 6, 22, 22}},
  };
}

TEST(RoutingTest, GoldenDigestsAndShards) {
  for (const Golden& g : GoldenVectors()) {
    SCOPED_TRACE(g.key.DebugString());
    EXPECT_EQ(ShardHash(g.key), g.digest);
    for (size_t i = 0; i < 8; ++i) {
      EXPECT_EQ(HashShard(kModuli[i], g.key), g.mods[i]) << "num_dbs=" << kModuli[i];
    }
  }
}

TEST(RoutingTest, RawDigestsCoverEveryXxh3CodePath) {
  std::string base;
  for (int rep = 0; rep < 5; ++rep)
    for (int i = 0; i < 256; ++i) base.push_back(static_cast<char>(i));
  const std::pair<size_t, uint64_t> cases[] = {
      {16, 9463720498221773019ull},  {128, 9639417669764826219ull}, {129, 17038879581898686042ull},
      {240, 3988562325861820517ull}, {241, 209643423615708418ull},  {1024, 12137474952470826274ull},
  };
  for (const auto& [n, digest] : cases) {
    EXPECT_EQ(Xxh3Digest(std::string_view(base).substr(0, n)), digest) << "n=" << n;
  }
}

TEST(RoutingTest, CrossChecksFromReferenceTests) {
  EXPECT_EQ(HashShard(3, Key::Int(4)), 0u);
  EXPECT_EQ(HashShard(3, Key::Int(9)), 0u);
  EXPECT_EQ(HashShard(3, Key::Int(2)), 1u);
  EXPECT_EQ(HashShard(3, Key::Int(15)), 1u);
  EXPECT_EQ(HashShard(3, Key::Int(1)), 2u);
  EXPECT_EQ(HashShard(3, Key::Int(10)), 2u);
  EXPECT_EQ(HashShard(2, Key::Int(1)), 0u);
  EXPECT_EQ(HashShard(2, Key::Int(6)), 1u);
  EXPECT_EQ(HashShard(2, Key::Int(0)), 1u);
}

TEST(RoutingTest, TheHashRouterIsTheHashSpec) {
  std::shared_ptr<const Router> router = NewHashRouter(5);
  EXPECT_EQ(router->num_dbs(), 5u);
  EXPECT_EQ(router->spec().strategy, ShardingSpec::Strategy::kHash);
  EXPECT_EQ(router->spec().hash_algorithm, "xxh3_64");
  EXPECT_FALSE(router->spec().cel_expr.has_value());
  EXPECT_EQ(router->routing_values(), nullptr);
  Result<std::vector<CelValue>> columns = router->ColumnValues({{"x", CelValue::Int(1)}});
  ASSERT_TRUE(columns.ok()) << "hash routing ignores the context";
  EXPECT_TRUE(columns->empty());
}

TEST(RoutingTest, SingleShardAlwaysZero) {
  std::shared_ptr<const Router> one = NewHashRouter(1);
  for (int64_t k = -50; k < 50; ++k) EXPECT_EQ(**one->Route(Key::Int(k), {}, nullptr), 0u);
}

TEST(RoutingTest, CanonicalBytesAreSignedLittleEndian) {
  std::string scratch;
  EXPECT_EQ(CanonicalBytes(Key::Int(-2), &scratch),
            std::string("\xfe\xff\xff\xff\xff\xff\xff\xff", 8));
  EXPECT_EQ(CanonicalBytes(Key::Int(256), &scratch),
            std::string("\x00\x01\x00\x00\x00\x00\x00\x00", 8));
  EXPECT_EQ(CanonicalBytes(Key::Str("abc"), &scratch), "abc");
}

TEST(KeyEncodingTest, EncodesEachEncoding) {
  std::string out;
  ASSERT_TRUE(EncodeKey(KeyEncoding::kU64BE, Key::Int(42), &out).ok());
  EXPECT_EQ(out, std::string("\0\0\0\0\0\0\0\x2a", 8));
  out.clear();
  ASSERT_TRUE(EncodeKey(KeyEncoding::kU32BE, Key::Int(42), &out).ok());
  EXPECT_EQ(out, std::string("\0\0\0\x2a", 4));
  out.clear();
  ASSERT_TRUE(EncodeKey(KeyEncoding::kU32BE, Key::Int(0xffffffffll), &out).ok());
  EXPECT_EQ(out, "\xff\xff\xff\xff");
  out.clear();
  ASSERT_TRUE(EncodeKey(KeyEncoding::kU64BE, Key::Int(INT64_MAX), &out).ok());
  EXPECT_EQ(out, std::string("\x7f\xff\xff\xff\xff\xff\xff\xff", 8));
  out.clear();
  ASSERT_TRUE(EncodeKey(KeyEncoding::kUtf8, Key::Str("caf\xc3\xa9"), &out).ok());
  EXPECT_EQ(out, "caf\xc3\xa9");
  out.clear();
  ASSERT_TRUE(EncodeKey(KeyEncoding::kRaw, Key::Bytes(std::string("\0\1", 2)), &out).ok());
  EXPECT_EQ(out, std::string("\0\1", 2));
  out.clear();
  ASSERT_TRUE(EncodeKey(KeyEncoding::kRaw, Key::Str("s"), &out).ok());
  EXPECT_EQ(out, "s");
}

TEST(KeyEncodingTest, RejectsOutOfDomainKeysNamingTheKey) {
  std::string out;
  Status st = EncodeKey(KeyEncoding::kU64BE, Key::Int(-1), &out);
  EXPECT_EQ(st.code(), ErrorCode::kConfigValidation);
  EXPECT_NE(st.message().find("-1"), std::string::npos) << st.message();
  st = EncodeKey(KeyEncoding::kU32BE, Key::Int(0x100000000ll), &out);
  EXPECT_EQ(st.code(), ErrorCode::kConfigValidation);
  EXPECT_NE(st.message().find("4294967296"), std::string::npos) << st.message();
  st = EncodeKey(KeyEncoding::kU64BE, Key::Str("abc"), &out);
  EXPECT_EQ(st.code(), ErrorCode::kConfigValidation);
  EXPECT_NE(st.message().find("\"abc\""), std::string::npos) << st.message();
  st = EncodeKey(KeyEncoding::kUtf8, Key::Int(7), &out);
  EXPECT_EQ(st.code(), ErrorCode::kConfigValidation);
  st = EncodeKey(KeyEncoding::kRaw, Key::Int(7), &out);
  EXPECT_EQ(st.code(), ErrorCode::kConfigValidation);
  EXPECT_TRUE(out.empty());
}

TEST(KeyEncodingTest, LookupEncoderPassesThroughExactWidthBytes) {
  std::string out;
  ASSERT_TRUE(EncodeLookupKey(KeyEncoding::kU64BE, Key::Bytes(std::string(8, 'a')), &out).ok());
  EXPECT_EQ(out, std::string(8, 'a'));
  out.clear();
  EXPECT_FALSE(EncodeLookupKey(KeyEncoding::kU64BE, Key::Bytes("abc"), &out).ok());
  ASSERT_TRUE(EncodeLookupKey(KeyEncoding::kU32BE, Key::Bytes("abcd"), &out).ok());
  EXPECT_EQ(out, "abcd");
}

TEST(KeyEncodingTest, NamesRoundTrip) {
  for (KeyEncoding e :
       {KeyEncoding::kU64BE, KeyEncoding::kU32BE, KeyEncoding::kUtf8, KeyEncoding::kRaw}) {
    EXPECT_EQ(ParseKeyEncoding(KeyEncodingName(e)), e);
  }
  EXPECT_FALSE(ParseKeyEncoding("u16be").has_value());
}

TEST(KeyTest, OrderingIsNumericAndBytewise) {
  EXPECT_LT(Key::Int(-5), Key::Int(3));
  EXPECT_LT(Key::Str("a"), Key::Str("b"));
  EXPECT_LT(Key::Bytes("\x01"), Key::Bytes("\xff"));
  EXPECT_LT(Key::Str("z"), Key::Str("\xc3\xa9"));  // code-point order == UTF-8 byte order
}

}  // namespace
}  // namespace shardyfusion
