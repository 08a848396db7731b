#include "storage/s3/s3_xml.h"

#include <pugixml.hpp>
#include <sstream>

namespace shardyfusion::s3 {

namespace {

Status BadBody(std::string_view expected, std::string_view why) {
  return Status(
      ErrorCode::kStorage,
      "S3 returned a malformed " + std::string(expected) + " document: " + std::string(why), true);
}

bool Load(pugi::xml_document* doc, std::string_view body) {
  return doc->load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
}

std::string Text(const pugi::xml_node& parent, const char* child) {
  return parent.child(child).text().as_string();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Serialize(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  return out.str();
}

}  // namespace

std::string Unquote(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = HexValue(s[i + 1]);
      const int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

S3ErrorBody ParseS3Error(std::string_view body) {
  S3ErrorBody out;
  pugi::xml_document doc;
  if (body.empty() || !Load(&doc, body)) return out;
  pugi::xml_node error = doc.child("Error");
  if (!error) return out;
  out.code = Text(error, "Code");
  out.message = Text(error, "Message");
  return out;
}

Result<ListPage> ParseListPage(std::string_view body, bool url_encoded) {
  pugi::xml_document doc;
  if (!Load(&doc, body)) return BadBody("ListBucketResult", "not XML");
  pugi::xml_node root = doc.child("ListBucketResult");
  if (!root) return BadBody("ListBucketResult", "no <ListBucketResult> element");
  auto decode = [url_encoded](std::string s) { return url_encoded ? PercentDecode(s) : s; };
  ListPage page;
  for (pugi::xml_node c : root.children("Contents")) {
    ObjectInfo info;
    info.key = decode(Text(c, "Key"));
    info.size = c.child("Size").text().as_ullong();
    info.etag = Unquote(Text(c, "ETag"));
    page.objects.push_back(std::move(info));
  }
  for (pugi::xml_node p : root.children("CommonPrefixes")) {
    page.common_prefixes.push_back(decode(Text(p, "Prefix")));
  }
  page.truncated = std::string_view(root.child("IsTruncated").text().as_string()) == "true";
  page.next_continuation_token = Text(root, "NextContinuationToken");
  if (page.truncated && page.next_continuation_token.empty()) {
    return BadBody("ListBucketResult", "a truncated page without a NextContinuationToken");
  }
  return page;
}

Result<std::string> ParseUploadId(std::string_view body) {
  pugi::xml_document doc;
  if (!Load(&doc, body)) return BadBody("InitiateMultipartUploadResult", "not XML");
  std::string id = Text(doc.child("InitiateMultipartUploadResult"), "UploadId");
  if (id.empty()) return BadBody("InitiateMultipartUploadResult", "no UploadId");
  return id;
}

std::string BuildCompleteMultipart(const std::vector<CompletedPart>& parts) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("CompleteMultipartUpload");
  for (const CompletedPart& p : parts) {
    pugi::xml_node part = root.append_child("Part");
    part.append_child("PartNumber").text().set(p.number);
    part.append_child("ETag").text().set(("\"" + p.etag + "\"").c_str());
  }
  return Serialize(doc);
}

Result<std::string> ParseCompleteMultipart(std::string_view body) {
  pugi::xml_document doc;
  if (!Load(&doc, body)) return BadBody("CompleteMultipartUploadResult", "not XML");
  if (pugi::xml_node error = doc.child("Error")) {
    const std::string code = Text(error, "Code");
    return Status(ErrorCode::kStorage,
                  "completing the multipart upload failed: " + code + ": " + Text(error, "Message"),
                  code == "InternalError" || code == "SlowDown");
  }
  pugi::xml_node result = doc.child("CompleteMultipartUploadResult");
  if (!result) return BadBody("CompleteMultipartUploadResult", "no result element");
  return Unquote(Text(result, "ETag"));
}

std::string BuildDeleteObjects(const std::vector<std::string>& keys) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("Delete");
  root.append_child("Quiet").text().set("true");
  for (const std::string& key : keys) {
    root.append_child("Object").append_child("Key").text().set(key.c_str());
  }
  return Serialize(doc);
}

Result<std::vector<DeleteFailure>> ParseDeleteResult(std::string_view body) {
  pugi::xml_document doc;
  if (!Load(&doc, body)) return BadBody("DeleteResult", "not XML");
  pugi::xml_node root = doc.child("DeleteResult");
  if (!root) return BadBody("DeleteResult", "no <DeleteResult> element");
  std::vector<DeleteFailure> failures;
  for (pugi::xml_node e : root.children("Error")) {
    failures.push_back(DeleteFailure{Text(e, "Key"), Text(e, "Code"), Text(e, "Message")});
  }
  return failures;
}

}  // namespace shardyfusion::s3
