#include "storage/s3/s3_xml.h"

#include <gtest/gtest.h>

namespace shardyfusion::s3 {
namespace {

TEST(S3XmlTest, ErrorDocumentGivesCodeAndMessage) {
  S3ErrorBody e = ParseS3Error(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
      "<Message>The specified key does not exist.</Message><Key>a/b</Key></Error>");
  EXPECT_EQ(e.code, "NoSuchKey");
  EXPECT_EQ(e.message, "The specified key does not exist.");
  EXPECT_TRUE(ParseS3Error("").code.empty());
  EXPECT_TRUE(ParseS3Error("<html>proxy error</html>").code.empty());
}

TEST(S3XmlTest, ListPageDecodesKeysAndIgnoresTheNamespace) {
  // A namespace other than AWS's, as some compatible servers send.
  const char* body =
      "<ListBucketResult xmlns=\"http://doc.s3.amazonaws.com/2006-03-01/\">"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>tok/1</NextContinuationToken>"
      "<Contents><Key>dir/a%20b%2Bc</Key><Size>12</Size><ETag>&quot;abc&quot;</ETag></Contents>"
      "<Contents><Key>dir/%C3%A9</Key><Size>0</Size><ETag>\"d41d\"</ETag></Contents>"
      "<CommonPrefixes><Prefix>dir/sub%2F/</Prefix></CommonPrefixes>"
      "</ListBucketResult>";
  Result<ListPage> page = ParseListPage(body, /*url_encoded=*/true);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "dir/a b+c");
  EXPECT_EQ(page->objects[0].size, 12u);
  EXPECT_EQ(page->objects[0].etag, "abc");
  EXPECT_EQ(page->objects[1].key, "dir/\xc3\xa9");
  EXPECT_EQ(page->objects[1].etag, "d41d");
  EXPECT_EQ(page->common_prefixes, std::vector<std::string>{"dir/sub//"});
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "tok/1");

  Result<ListPage> raw = ParseListPage(
      "<ListBucketResult><IsTruncated>false</IsTruncated>"
      "<Contents><Key>a%20b</Key><Size>1</Size></Contents></ListBucketResult>",
      /*url_encoded=*/false);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->objects[0].key, "a%20b");
  EXPECT_FALSE(raw->truncated);
}

TEST(S3XmlTest, MalformedListPagesAreRetryableStorageErrors) {
  for (const char* body :
       {"not xml at all <", "<Error><Code>x</Code></Error>",
        "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"}) {
    Result<ListPage> page = ParseListPage(body, true);
    ASSERT_FALSE(page.ok()) << body;
    EXPECT_EQ(page.status().code(), ErrorCode::kStorage);
    EXPECT_NE(page.status().message().find("ListBucketResult"), std::string::npos);
  }
}

TEST(S3XmlTest, MultipartDocuments) {
  Result<std::string> id = ParseUploadId(
      "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
      "<UploadId>2~abc</UploadId></InitiateMultipartUploadResult>");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "2~abc");
  EXPECT_FALSE(ParseUploadId("<InitiateMultipartUploadResult/>").ok());

  EXPECT_EQ(BuildCompleteMultipart({{1, "e1"}, {2, "e2"}}),
            "<?xml version=\"1.0\"?><CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
            "<ETag>\"e1\"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>\"e2\"</ETag></Part>"
            "</CompleteMultipartUpload>");
  Result<std::string> etag = ParseCompleteMultipart(
      "<CompleteMultipartUploadResult><ETag>\"abc-2\"</ETag></CompleteMultipartUploadResult>");
  ASSERT_TRUE(etag.ok());
  EXPECT_EQ(*etag, "abc-2");
  // A 200 reply can still carry an error.
  Result<std::string> failed = ParseCompleteMultipart(
      "<Error><Code>InvalidPart</Code><Message>part 2 is missing</Message></Error>");
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("InvalidPart"), std::string::npos);
  EXPECT_FALSE(failed.status().retryable());
}

TEST(S3XmlTest, DeleteDocumentsEscapeKeysAndReportFailures) {
  const std::string body = BuildDeleteObjects({"a&b", "<c>"});
  EXPECT_EQ(body,
            "<?xml version=\"1.0\"?><Delete><Quiet>true</Quiet><Object><Key>a&amp;b</Key></Object>"
            "<Object><Key>&lt;c&gt;</Key></Object></Delete>");
  Result<std::vector<DeleteFailure>> none = ParseDeleteResult("<DeleteResult/>");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  Result<std::vector<DeleteFailure>> some = ParseDeleteResult(
      "<DeleteResult><Error><Key>k1</Key><Code>AccessDenied</Code><Message>no</Message></Error>"
      "</DeleteResult>");
  ASSERT_TRUE(some.ok());
  ASSERT_EQ(some->size(), 1u);
  EXPECT_EQ((*some)[0].key, "k1");
  EXPECT_EQ((*some)[0].code, "AccessDenied");
}

TEST(S3XmlTest, UnquoteAndPercentDecode) {
  EXPECT_EQ(Unquote("\"abc\""), "abc");
  EXPECT_EQ(Unquote("abc"), "abc");
  EXPECT_EQ(Unquote("\""), "\"");
  EXPECT_EQ(PercentDecode("a%2Fb%20c+d%zz%4"), "a/b c+d%zz%4");
}

}  // namespace
}  // namespace shardyfusion::s3
