#include "storage/s3/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace shardyfusion::s3 {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

using Digest = std::array<unsigned char, 32>;

// OpenSSL's one-shot digests fail only when it cannot allocate. No request
// can be signed then, and SignV4 has no error path to report it through.
[[noreturn]] void CryptoFailure(const char* what) {
  std::fprintf(stderr, "shardyfusion: OpenSSL %s failed; cannot sign S3 requests\n", what);
  std::abort();
}

std::string_view AsView(const Digest& d) {
  return std::string_view(reinterpret_cast<const char*>(d.data()), d.size());
}

std::string LowerHex(const unsigned char* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 0xf];
  }
  return out;
}

Digest Sha256(std::string_view data) {
  Digest out;
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != out.size()) {
    CryptoFailure("SHA-256");
  }
  return out;
}

Digest HmacSha256(std::string_view key, std::string_view data) {
  Digest out;
  unsigned int len = 0;
  // A null key pointer means "reuse the previous key" to HMAC_Init; never
  // pass one, even for an empty key.
  const void* key_bytes = key.empty() ? "" : key.data();
  if (HMAC(EVP_sha256(), key_bytes, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
           &len) == nullptr ||
      len != out.size()) {
    CryptoFailure("HMAC-SHA256");
  }
  return out;
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// SigV4's "trimall": no leading or trailing blanks, inner runs of blanks
// collapsed to one space. Servers canonicalise the received value the same
// way, so the bytes on the wire need not be trimmed.
std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out += ' ';
      pending_space = false;
    }
    out += c;
  }
  return out;
}

bool IsSignerHeader(std::string_view lower_name) {
  return lower_name == "host" || lower_name == "x-amz-date" ||
         lower_name == "x-amz-content-sha256" || lower_name == "x-amz-security-token";
}

std::string CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) {
    encoded.emplace_back(UriEncode(name, /*encode_slash=*/true),
                         UriEncode(value, /*encode_slash=*/true));
  }
  // Sorting the pairs, not the joined "name=value" strings: '=' sorts after
  // '-', '.' and digits, so "a-b=1" would wrongly precede "a=1".
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

struct CanonicalHeaders {
  std::string block;         // "name:value\n" per header, sorted by name
  std::string signed_names;  // "name;name;..."
};

CanonicalHeaders CanonicaliseHeaders(std::vector<std::pair<std::string, std::string>> headers) {
  // Stable, so repeated names keep the caller's order when their values are
  // joined.
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  CanonicalHeaders out;
  for (size_t i = 0; i < headers.size(); ++i) {
    const bool repeat = i > 0 && headers[i].first == headers[i - 1].first;
    if (repeat) {
      out.block.back() = ',';  // replaces the previous value's '\n'
    } else {
      if (!out.signed_names.empty()) out.signed_names += ';';
      out.signed_names += headers[i].first;
      out.block += headers[i].first;
      out.block += ':';
    }
    out.block += headers[i].second;
    out.block += '\n';
  }
  return out;
}

// The SigV4 key chain. The secret is held only in `seed` and the
// intermediate keys, which are wiped before returning.
Digest SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                  std::string_view service) {
  std::string seed = "AWS4";
  seed += secret;
  Digest k_date = HmacSha256(seed, date);
  OPENSSL_cleanse(seed.data(), seed.size());
  Digest k_region = HmacSha256(AsView(k_date), region);
  Digest k_service = HmacSha256(AsView(k_region), service);
  Digest k_signing = HmacSha256(AsView(k_service), "aws4_request");
  OPENSSL_cleanse(k_date.data(), k_date.size());
  OPENSSL_cleanse(k_region.data(), k_region.size());
  OPENSSL_cleanse(k_service.data(), k_service.size());
  return k_signing;
}

}  // namespace

std::string UriEncode(std::string_view s, bool encode_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (c == '/' && !encode_slash)) {
      out += ch;
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 0xf];
    }
  }
  return out;
}

std::string HexSha256(std::string_view data) {
  const Digest d = Sha256(data);
  return LowerHex(d.data(), d.size());
}

std::string HexHmacSha256(std::string_view key, std::string_view data) {
  const Digest d = HmacSha256(key, data);
  return LowerHex(d.data(), d.size());
}

std::string Base64Md5(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr) != 1 || len != 16) {
    CryptoFailure("MD5");
  }
  unsigned char b64[32];  // 4 * ceil(16 / 3) = 24 characters and a NUL
  const int n = EVP_EncodeBlock(b64, md, static_cast<int>(len));
  return std::string(reinterpret_cast<const char*>(b64), static_cast<size_t>(n));
}

std::string AmzDate(std::chrono::system_clock::time_point t) {
  const std::time_t secs =
      std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return std::string(buf, n);
}

SigV4Result SignV4(const SigV4Request& request, const SigV4Credentials& credentials,
                   std::string_view region, std::string_view service,
                   std::chrono::system_clock::time_point now) {
  SigV4Result result;
  const std::string amz_date = AmzDate(now);
  const std::string_view date = std::string_view(amz_date).substr(0, 8);

  result.encoded_path = request.path.empty() ? "/" : UriEncode(request.path, false);
  result.encoded_query = CanonicalQuery(request.query);

  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(request.headers.size() + 4);
  for (const auto& [name, value] : request.headers) {
    std::string lower = AsciiLower(name);
    if (IsSignerHeader(lower)) continue;
    headers.emplace_back(std::move(lower), CanonicalHeaderValue(value));
  }
  headers.emplace_back("host", CanonicalHeaderValue(request.host));
  headers.emplace_back("x-amz-content-sha256", request.payload_sha256);
  headers.emplace_back("x-amz-date", amz_date);
  if (!credentials.session_token.empty()) {
    headers.emplace_back("x-amz-security-token", credentials.session_token);
  }
  const CanonicalHeaders canonical = CanonicaliseHeaders(std::move(headers));

  result.canonical_request = request.method + '\n' + result.encoded_path + '\n' +
                             result.encoded_query + '\n' + canonical.block + '\n' +
                             canonical.signed_names + '\n' + request.payload_sha256;

  std::string scope(date);
  scope += '/';
  scope += region;
  scope += '/';
  scope += service;
  scope += "/aws4_request";
  result.string_to_sign = std::string(kAlgorithm) + '\n' + amz_date + '\n' + scope + '\n' +
                          HexSha256(result.canonical_request);

  Digest key = SigningKey(credentials.secret_access_key, date, region, service);
  const std::string signature = HexHmacSha256(AsView(key), result.string_to_sign);
  OPENSSL_cleanse(key.data(), key.size());

  result.headers.emplace_back("x-amz-date", amz_date);
  result.headers.emplace_back("x-amz-content-sha256", request.payload_sha256);
  if (!credentials.session_token.empty()) {
    result.headers.emplace_back("x-amz-security-token", credentials.session_token);
  }
  result.headers.emplace_back(
      "Authorization", std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + '/' +
                           scope + ",SignedHeaders=" + canonical.signed_names +
                           ",Signature=" + signature);
  return result;
}

}  // namespace shardyfusion::s3
