#include <gtest/gtest.h>

#include "shardyfusion/manifest.h"

namespace shardyfusion {
namespace {

TEST(CurrentPointerTest, ExactBytesOfTheSpecExample) {
  CurrentPointer p;
  p.manifest_ref = "s3://bucket/prefix/manifests/2026-11-24T21:32:52.267871Z_run_id=r1/manifest";
  p.run_id = "r1";
  p.updated_at = "2026-11-24T21:32:52.267973Z";
  EXPECT_EQ(SerializeCurrentPointer(p),
            "{\"format_version\":1,\"manifest_content_type\":\"application/x-sqlite3\","
            "\"manifest_ref\":\"s3://bucket/prefix/manifests/2026-11-24T21:32:52.267871Z_run_id="
            "r1/manifest\",\"run_id\":\"r1\",\"updated_at\":\"2026-11-24T21:32:52.267973Z\"}");
}

TEST(CurrentPointerTest, NonAsciiIsEscapedLikePython) {
  CurrentPointer p;
  p.manifest_ref = "file:///tmp/caf\xc3\xa9/manifest";
  p.run_id = "\xe6\x97\xa5";
  p.updated_at = "2026-01-02T03:04:05Z";
  // python3: json.dumps({...}, sort_keys=True, separators=(",", ":"))
  EXPECT_EQ(SerializeCurrentPointer(p),
            "{\"format_version\":1,\"manifest_content_type\":\"application/x-sqlite3\","
            "\"manifest_ref\":\"file:///tmp/caf\\u00e9/manifest\",\"run_id\":\"\\u65e5\","
            "\"updated_at\":\"2026-01-02T03:04:05Z\"}");
}

TEST(CurrentPointerTest, ParsesWhatItWrites) {
  CurrentPointer p;
  p.manifest_ref = "memory://x/root/manifests/d/manifest";
  p.run_id = "\xe6\x97\xa5";
  p.updated_at = "2026-01-02T03:04:05Z";
  Result<CurrentPointer> back = ParseCurrentPointer(SerializeCurrentPointer(p));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->manifest_ref, p.manifest_ref);
  EXPECT_EQ(back->manifest_content_type, "application/x-sqlite3");
  EXPECT_EQ(back->run_id, p.run_id);
  EXPECT_EQ(back->updated_at, p.updated_at);
  EXPECT_EQ(back->format_version, 1);
}

TEST(CurrentPointerTest, FormatVersionIsOptionalAndExtraKeysAreIgnored) {
  Result<CurrentPointer> p = ParseCurrentPointer(
      "{\"manifest_ref\": \"r\", \"manifest_content_type\": \"t\", \"run_id\": \"i\", "
      "\"updated_at\": \"u\", \"future\": [1]}");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->format_version, 1);
  p = ParseCurrentPointer(
      "{\"format_version\": 7, \"manifest_ref\": \"r\", \"manifest_content_type\": \"t\", "
      "\"run_id\": \"i\", \"updated_at\": \"u\"}");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->format_version, 7);
}

TEST(CurrentPointerTest, RejectsMissingOrMistypedFields) {
  const std::string full =
      "\"manifest_ref\": \"r\", \"manifest_content_type\": \"t\", \"run_id\": \"i\", "
      "\"updated_at\": \"u\"";
  for (const char* field : {"manifest_ref", "manifest_content_type", "run_id", "updated_at"}) {
    std::string text = "{" + full + "}";
    const std::string needle = std::string("\"") + field + "\"";
    text.replace(text.find(needle), needle.size(), "\"renamed\"");
    Result<CurrentPointer> p = ParseCurrentPointer(text);
    ASSERT_FALSE(p.ok()) << field;
    EXPECT_EQ(p.status().code(), ErrorCode::kManifestParse);
    EXPECT_EQ(p.status().message(),
              std::string("CURRENT pointer validation failed: missing field '") + field + "'");
  }
  for (const std::string& bad :
       {std::string("{") + full + ", \"format_version\": \"1\"}", std::string("[]"),
        std::string("not json"), std::string(""),
        std::string("{\"manifest_ref\": 1, \"manifest_content_type\": \"t\", \"run_id\": \"i\", "
                    "\"updated_at\": \"u\"}")}) {
    Result<CurrentPointer> p = ParseCurrentPointer(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), ErrorCode::kManifestParse);
    EXPECT_EQ(p.status().message().rfind("CURRENT pointer validation failed: ", 0), 0u);
  }
}

}  // namespace
}  // namespace shardyfusion
