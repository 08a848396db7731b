// AWS Signature Version 4 for S3 requests sent with the Authorization header
// and a single-chunk payload (signed hash or UNSIGNED-PAYLOAD), on OpenSSL
// libcrypto.
//
// We sign requests ourselves rather than through libcurl's CURLOPT_AWS_SIGV4:
// libcurl 7.88 neither adds x-amz-content-sha256 nor sorts the query, so a
// caller would have to pre-canonicalise half the request anyway. SignV4
// returns the encoded path and query to put on the wire verbatim, so what is
// signed is exactly what is sent.
//
// S3 differs from other services in two ways that SignV4 follows: the path is
// encoded once (never double-encoded) and never normalised ("a//b", "." and
// ".." are kept), and '/' in the path is never encoded (servers reject a key
// whose '/' arrives as %2F).
//
// The secret key appears only in the HMAC input; it is never copied into a
// result field, and the derived keys are wiped after use.
//
// Thread-safety: every function here is pure (no shared state); all may be
// called concurrently.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shardyfusion::s3 {

struct SigV4Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty = none
};

struct SigV4Request {
  std::string method;  // "GET", "PUT", "HEAD", "POST", "DELETE"
  // The Host header exactly as it will be sent: "127.0.0.1:7480",
  // "bucket.s3.us-east-1.amazonaws.com".
  std::string host;
  // The request path, NOT encoded: "/bucket/dir/a b+c.txt". Every byte except
  // the RFC 3986 unreserved set (A-Z a-z 0-9 - . _ ~) and '/' is
  // percent-encoded once, uppercase hex. An empty path signs as "/".
  std::string path;
  // Raw (unencoded) query parameters in any order; a bare flag such as
  // "uploads" or "delete" has value "". Names and values are encoded like the
  // path except that '/' is encoded too (prefix=a/b is sent as prefix=a%2Fb).
  std::vector<std::pair<std::string, std::string>> query;
  // Extra headers to sign, any case and order (Range, If-None-Match, If-Match,
  // Content-MD5, Content-Type, x-amz-*). Names are lowercased; values are
  // trimmed and inner runs of spaces and tabs become one space. A name given
  // twice signs as one header whose values are joined by ',' in the order
  // given, so send it the same way (or once, pre-joined).
  // REQUIRES: no host, x-amz-date, x-amz-content-sha256 or
  // x-amz-security-token: the signer adds those (if passed anyway, they are
  // ignored and the signer's values are used).
  std::vector<std::pair<std::string, std::string>> headers;
  // Lowercase hex SHA-256 of the body, or "UNSIGNED-PAYLOAD".
  std::string payload_sha256;
};

struct SigV4Result {
  // Headers the caller must add to the request, as (name, value) pairs, in
  // this order: x-amz-date, x-amz-content-sha256, x-amz-security-token (only
  // with a session token), Authorization.
  std::vector<std::pair<std::string, std::string>> headers;
  // The canonical URI; use it verbatim in the request line.
  std::string encoded_path;
  // The canonical query string (sorted, encoded); use it verbatim after '?'.
  // Empty when there are no parameters (then send no '?').
  std::string encoded_query;
  // For tests and debugging; neither contains the secret key.
  std::string canonical_request;
  std::string string_to_sign;
};

// Signs `request` for `region` (e.g. "us-east-1") and `service` ("s3") at
// time `now` (truncated to the second, UTC). The Authorization value has the
// form "AWS4-HMAC-SHA256 Credential=<id>/<scope>,SignedHeaders=...,
// Signature=...", as in AWS's published S3 examples.
SigV4Result SignV4(const SigV4Request& request, const SigV4Credentials& credentials,
                   std::string_view region, std::string_view service,
                   std::chrono::system_clock::time_point now);

// Percent-encodes every byte outside A-Z a-z 0-9 - . _ ~ as %XX (uppercase
// hex); '/' is kept unless `encode_slash`.
std::string UriEncode(std::string_view s, bool encode_slash);

// Lowercase hex SHA-256 of `data`.
std::string HexSha256(std::string_view data);

// Lowercase hex HMAC-SHA256 of `data` under `key`.
std::string HexHmacSha256(std::string_view key, std::string_view data);

// Base64 of the MD5 of `data`: the value of a Content-MD5 header.
std::string Base64Md5(std::string_view data);

// "20130524T000000Z": `t` in UTC, truncated to the second.
std::string AmzDate(std::chrono::system_clock::time_point t);

}  // namespace shardyfusion::s3
