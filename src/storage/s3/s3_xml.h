// The XML bodies of the S3 REST API that the S3 store sends and reads:
// error documents, ListObjectsV2 pages, multipart upload and batch delete.
//
// Parsers ignore XML namespaces (some S3-compatible servers use a different
// one) and fail with a kStorage error naming what was expected when a body
// is not the document it should be.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shardyfusion/object_store.h"
#include "shardyfusion/status.h"

namespace shardyfusion::s3 {

struct S3ErrorBody {
  std::string code;     // e.g. "NoSuchKey", "SignatureDoesNotMatch"; empty if none
  std::string message;  // the server's text; empty if none
};

// The <Error> document of a failed request. An empty or non-XML body gives
// an empty code and message.
S3ErrorBody ParseS3Error(std::string_view body);

struct ListPage {
  std::vector<ObjectInfo> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_continuation_token;
};

// One ListObjectsV2 page. With `url_encoded` (the request asked for
// encoding-type=url), keys and prefixes are percent-decoded.
Result<ListPage> ParseListPage(std::string_view body, bool url_encoded);

// The UploadId of an InitiateMultipartUploadResult.
Result<std::string> ParseUploadId(std::string_view body);

struct CompletedPart {
  int number = 0;
  std::string etag;  // as the server returned it for the part, unquoted
};

std::string BuildCompleteMultipart(const std::vector<CompletedPart>& parts);

// The ETag (unquoted) of a CompleteMultipartUploadResult. A 200 response may
// still carry an <Error> document; that is returned as a kStorage error.
Result<std::string> ParseCompleteMultipart(std::string_view body);

// A DeleteObjects request body in quiet mode (only failures are reported).
std::string BuildDeleteObjects(const std::vector<std::string>& keys);

struct DeleteFailure {
  std::string key;
  std::string code;
  std::string message;
};

// The failures listed in a DeleteResult.
Result<std::vector<DeleteFailure>> ParseDeleteResult(std::string_view body);

// Removes one pair of surrounding double quotes, as ETags arrive quoted.
std::string Unquote(std::string_view etag);

// Percent-decodes `s` ('+' is left as is, as S3 encodes a space as %20).
std::string PercentDecode(std::string_view s);

}  // namespace shardyfusion::s3
