#include "storage/s3/s3_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

#include "core/log.h"
#include "core/status_internal.h"
#include "storage/local_file.h"
#include "storage/s3/s3_xml.h"
#include "storage/s3/sigv4.h"

namespace shardyfusion::s3 {

namespace {

constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr size_t kMaxDeleteBatch = 1000;  // the DeleteObjects limit
constexpr uint64_t kMaxParts = 10000;

// Throttling, server trouble and timeouts: a later attempt may succeed.
bool StatusRetryable(long status, const std::string& code) {
  if (status == 429 || status == 500 || status == 502 || status == 503 || status == 504 ||
      status == 408) {
    return true;
  }
  if (status == 400 && code == "RequestTimeout") return true;
  // A concurrent conditional write on the same key (AWS): retrying resolves it.
  if (status == 409 && code == "ConditionalRequestConflict") return true;
  return false;
}

std::string Hint(long status, const std::string& code) {
  if (status == 403 || code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId") {
    return " (check the access key, the secret key and the region)";
  }
  if (code == "NoSuchBucket") return " (the bucket does not exist)";
  if (status == 301 || code == "PermanentRedirect") {
    return " (the bucket is in another region or needs another endpoint)";
  }
  return "";
}

}  // namespace

namespace {
// A 404 for the object itself, as opposed to one for a missing bucket.
bool IsMissingObject(const HttpResponse& r) {
  return r.status == 404 && ParseS3Error(r.body).code != "NoSuchBucket";
}
}  // namespace

bool IsValidBucketName(const std::string& b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) {
      return false;
    }
  }
  return true;
}

constexpr uint64_t kMinPartBytes = uint64_t{5} << 20;

// One S3 request, before signing.
struct S3Store::Call {
  std::string method;
  std::string key;  // "" = the bucket itself
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;
  std::string body_file;
  uint64_t body_offset = 0;
  uint64_t body_length = 0;
  std::string payload_sha256 = kEmptySha256;
  int response_fd = -1;  // 2xx bodies go here (rewound before each attempt)
  std::string what;      // "GET s3://bucket/key", for messages
};

Result<S3Endpoint> ResolveEndpoint(const std::string& bucket, const S3ConnectionOptions& options) {
  S3Endpoint ep;
  ep.region = options.region.empty() ? "us-east-1" : options.region;
  std::string url = options.endpoint_url;
  const bool custom = !url.empty();
  if (!custom) url = "https://s3." + ep.region + ".amazonaws.com";
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return Status(ErrorCode::kConfigValidation,
                  "S3 endpoint_url '" + url + "' must start with http:// or https://");
  }
  ep.scheme = url.substr(0, scheme_end);
  if (ep.scheme != "http" && ep.scheme != "https") {
    return Status(ErrorCode::kConfigValidation,
                  "S3 endpoint_url '" + url + "' must start with http:// or https://");
  }
  std::string rest = url.substr(scheme_end + 3);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty() || rest.find('/') != std::string::npos) {
    return Status(ErrorCode::kConfigValidation,
                  "S3 endpoint_url '" + url + "' must be scheme://host[:port] with no path");
  }
  ep.host = rest;
  if (options.addressing_style == "path") {
    ep.path_style = true;
  } else if (options.addressing_style == "virtual") {
    ep.path_style = false;
  } else if (options.addressing_style.empty() || options.addressing_style == "auto") {
    // Virtual-hosted names cannot hold dots under TLS, and custom endpoints
    // (Ceph, MinIO, Garage) rarely resolve bucket subdomains.
    ep.path_style = custom || bucket.find('.') != std::string::npos;
  } else {
    return Status(ErrorCode::kConfigValidation, "S3 addressing_style '" + options.addressing_style +
                                                    "' is invalid; use path or virtual");
  }
  return ep;
}

std::chrono::milliseconds RetryBackoff(int retry, double unit) {
  int64_t cap = 200;
  for (int i = 1; i < retry && cap < 4000; ++i) cap *= 2;
  cap = std::min<int64_t>(cap, 4000);
  return std::chrono::milliseconds(cap / 2 +
                                   static_cast<int64_t>(unit * static_cast<double>(cap / 2)));
}

S3Store::S3Store(std::string bucket, S3Config config, S3Endpoint endpoint)
    : bucket_(std::move(bucket)),
      config_(std::move(config)),
      endpoint_(std::move(endpoint)),
      http_(HttpOptions{config_.options.connect_timeout_seconds,
                        config_.options.read_timeout_seconds, config_.options.verify_ssl,
                        config_.options.ca_bundle}) {}

S3Store::~S3Store() = default;

std::string S3Store::Url(std::string_view key) const {
  return "s3://" + bucket_ + "/" + std::string(key);
}

Result<HttpResponse> S3Store::Execute(const Call& call, int* attempts) {
  const double start = clock_->NowSeconds();
  const S3ConnectionOptions& o = config_.options;
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const bool anonymous = config_.credentials.access_key_id.empty();
  SigV4Credentials creds{config_.credentials.access_key_id, config_.credentials.secret_access_key,
                         config_.credentials.session_token};
  for (int attempt = 1;; ++attempt) {
    if (attempts) *attempts = attempt;
    SigV4Request sreq;
    sreq.method = call.method;
    sreq.host = endpoint_.path_style ? endpoint_.host : bucket_ + "." + endpoint_.host;
    sreq.path = endpoint_.path_style ? "/" + bucket_ + "/" + call.key : "/" + call.key;
    if (endpoint_.path_style && call.key.empty()) sreq.path = "/" + bucket_;
    sreq.query = call.query;
    sreq.headers = call.headers;
    sreq.payload_sha256 = call.payload_sha256;
    // The real time, not clock_'s: a server refuses a request signed more
    // than 15 minutes off its own clock.
    SigV4Result signed_request =
        SignV4(sreq, creds, endpoint_.region, "s3", std::chrono::system_clock::now());

    HttpRequest req;
    req.method = call.method;
    req.url = endpoint_.scheme + "://" + sreq.host + signed_request.encoded_path;
    if (!signed_request.encoded_query.empty()) req.url += "?" + signed_request.encoded_query;
    req.headers = call.headers;
    if (!anonymous) {
      for (auto& h : signed_request.headers) req.headers.push_back(h);
    }
    req.body = call.body;
    req.body_file = call.body_file;
    req.body_offset = call.body_offset;
    req.body_length = call.body_length;
    if (call.response_fd >= 0) {
      // A retried download starts over.
      if (::ftruncate(call.response_fd, 0) != 0 || ::lseek(call.response_fd, 0, SEEK_SET) != 0) {
        return Status(ErrorCode::kStorage,
                      call.what + ": cannot reset the download file: " + std::strerror(errno));
      }
      req.response_fd = call.response_fd;
    }

    Result<HttpResponse> r = http_.Send(req, call.what);
    Status failure;
    if (!r.ok()) {
      failure = r.status();
    } else {
      const std::string code = ParseS3Error(r->body).code;
      if (!StatusRetryable(r->status, code)) return r;
      failure = ErrorFor(call, *r);
    }
    if (!failure.retryable()) return failure;
    const double elapsed = clock_->NowSeconds() - start;
    const std::chrono::milliseconds wait = RetryBackoff(attempt, unit(rng));
    if (attempt >= o.max_attempts ||
        elapsed + std::chrono::duration<double>(wait).count() > o.max_retry_seconds) {
      return failure.annotate("gave up after " + std::to_string(attempt) + " attempt" +
                              (attempt == 1 ? "" : "s"));
    }
    Log(LogLevel::kDebug, call.what + ": attempt " + std::to_string(attempt) +
                              " failed, retrying in " + std::to_string(wait.count()) +
                              " ms: " + failure.message());
    clock_->SleepFor(std::chrono::duration<double>(wait).count());
  }
}

Status S3Store::ErrorFor(const Call& call, const HttpResponse& response) const {
  const S3ErrorBody e = ParseS3Error(response.body);
  std::string msg = call.what + ": HTTP " + std::to_string(response.status);
  if (!e.code.empty()) msg += " " + e.code;
  if (!e.message.empty()) msg += ": " + e.message;
  msg += Hint(response.status, e.code);
  if (response.status == 412) return Status(ErrorCode::kPreconditionFailed, msg);
  return Status(ErrorCode::kStorage, msg, StatusRetryable(response.status, e.code));
}

Result<std::string> S3Store::PutSingle(const Call& call) {
  int attempts = 0;
  Result<HttpResponse> r = Execute(call, &attempts);
  if (!r.ok()) return r.status();
  if (r->status == 200) return Unquote(r->header("etag"));
  Status err = ErrorFor(call, *r);
  if (r->status == 412 && attempts > 1) {
    // The caller, who knows what it wrote, can tell the two cases apart.
    return Status(ErrorCode::kPreconditionFailed,
                  err.message() + " (an earlier attempt of this request may have taken effect)");
  }
  return err;
}

Result<std::string> S3Store::Put(std::string_view key, std::string_view data,
                                 const PutOptions& options) {
  Call call;
  call.method = "PUT";
  call.key = std::string(key);
  call.what = "PUT " + Url(key);
  call.body = data;
  call.payload_sha256 = HexSha256(data);
  call.headers.emplace_back("Content-Type", options.content_type);
  call.headers.emplace_back("Content-MD5", Base64Md5(data));
  if (options.condition == PutCondition::kIfAbsent) call.headers.emplace_back("If-None-Match", "*");
  if (options.condition == PutCondition::kIfMatch) {
    // Unquoted: Ceph RGW compares the raw header value with its ETag.
    call.headers.emplace_back("If-Match", Unquote(options.if_match));
  }
  return PutSingle(call);
}

Result<std::string> S3Store::PutFile(std::string_view key, const std::string& path,
                                     const PutOptions& options) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return Status(ErrorCode::kStorage,
                  "PUT " + Url(key) + ": cannot read " + path + ": " + std::strerror(errno));
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size >= config_.options.multipart_threshold_bytes &&
      options.condition == PutCondition::kNone) {
    return PutMultipart(key, path, size, options);
  }
  Call call;
  call.method = "PUT";
  call.key = std::string(key);
  call.what = "PUT " + Url(key);
  call.body_file = path;
  call.body_length = size;
  call.payload_sha256 = "UNSIGNED-PAYLOAD";
  call.headers.emplace_back("Content-Type", options.content_type);
  if (options.condition == PutCondition::kIfAbsent) call.headers.emplace_back("If-None-Match", "*");
  if (options.condition == PutCondition::kIfMatch) {
    call.headers.emplace_back("If-Match", Unquote(options.if_match));
  }
  return PutSingle(call);
}

struct S3Store::Multipart {
  std::string key;
  std::string url;
  std::string path;  // the local file
  uint64_t size = 0;
  uint64_t part_bytes = 0;
  uint64_t num_parts = 0;
  std::string upload_id;
};

Result<std::string> S3Store::PutMultipart(std::string_view key, const std::string& path,
                                          uint64_t size, const PutOptions& options) {
  Multipart upload;
  upload.key = std::string(key);
  upload.url = Url(key);
  upload.path = path;
  upload.size = size;
  upload.part_bytes = config_.options.multipart_part_bytes;
  // S3 allows at most 10,000 parts: grow the parts of a huge file.
  if ((size + upload.part_bytes - 1) / upload.part_bytes > kMaxParts)
    upload.part_bytes = (size + kMaxParts - 1) / kMaxParts;
  upload.num_parts = std::max<uint64_t>(1, (size + upload.part_bytes - 1) / upload.part_bytes);

  Call init;
  init.method = "POST";
  init.key = upload.key;
  init.query = {{"uploads", ""}};
  init.headers.emplace_back("Content-Type", options.content_type);
  init.what = "POST " + upload.url + " (start multipart upload)";
  SHARDY_ASSIGN_OR_RETURN(HttpResponse started, Execute(init));
  if (started.status != 200) return ErrorFor(init, started);
  SHARDY_ASSIGN_OR_RETURN(upload.upload_id, ParseUploadId(started.body));

  std::vector<std::string> etags;
  if (Status st = UploadParts(upload, &etags); !st.ok()) {
    AbortMultipart(upload);
    return st;
  }
  return CompleteMultipart(upload, etags);
}

// Uploads every part, max_parts_in_flight at once; the first failure stops
// the others from starting new parts and is returned.
Status S3Store::UploadParts(const Multipart& upload, std::vector<std::string>* etags) {
  etags->assign(upload.num_parts, "");
  std::atomic<uint64_t> next{0};
  std::mutex mu;
  Status failure;
  auto upload_parts = [&] {
    for (uint64_t i = next++; i < upload.num_parts; i = next++) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (!failure.ok()) return;
      }
      Call part;
      part.method = "PUT";
      part.key = upload.key;
      part.query = {{"partNumber", std::to_string(i + 1)}, {"uploadId", upload.upload_id}};
      part.body_file = upload.path;
      part.body_offset = i * upload.part_bytes;
      part.body_length = std::min(upload.part_bytes, upload.size - i * upload.part_bytes);
      part.payload_sha256 = "UNSIGNED-PAYLOAD";
      part.what = "PUT " + upload.url + " (part " + std::to_string(i + 1) + " of " +
                  std::to_string(upload.num_parts) + ")";
      Result<HttpResponse> r = Execute(part);
      Status st = !r.ok() ? r.status() : (r->status == 200 ? Status::OK() : ErrorFor(part, *r));
      if (st.ok() && r->header("etag").empty()) {
        st = Status(ErrorCode::kStorage, part.what + ": the reply carried no ETag", true);
      }
      std::lock_guard<std::mutex> lock(mu);
      if (!st.ok()) {
        if (failure.ok()) failure = st;
        return;
      }
      (*etags)[i] = Unquote(r->header("etag"));
    }
  };
  const size_t threads = std::min<uint64_t>(
      upload.num_parts, static_cast<uint64_t>(config_.options.max_parts_in_flight));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(upload_parts);
  upload_parts();
  for (std::thread& t : pool) t.join();
  return failure;
}

// Completes the upload; returns the object's ETag. A failure aborts it.
Result<std::string> S3Store::CompleteMultipart(const Multipart& upload,
                                               const std::vector<std::string>& etags) {
  std::vector<CompletedPart> parts;
  for (size_t i = 0; i < etags.size(); ++i) {
    parts.push_back(CompletedPart{static_cast<int>(i + 1), etags[i]});
  }
  const std::string body = BuildCompleteMultipart(parts);
  Call complete;
  complete.method = "POST";
  complete.key = upload.key;
  complete.query = {{"uploadId", upload.upload_id}};
  complete.body = body;
  complete.payload_sha256 = HexSha256(body);
  complete.headers.emplace_back("Content-Type", "application/xml");
  complete.what = "POST " + upload.url + " (complete multipart upload)";
  Result<HttpResponse> done = Execute(complete);
  Status st =
      !done.ok() ? done.status() : (done->status == 200 ? Status::OK() : ErrorFor(complete, *done));
  if (!st.ok()) {
    AbortMultipart(upload);
    return st;
  }
  Result<std::string> etag = ParseCompleteMultipart(done->body);
  if (!etag.ok()) {
    AbortMultipart(upload);
    return etag.status().annotate(complete.what);
  }
  if (!etag->empty()) return etag;
  // Ceph RGW leaves the result's ETag empty (it sends it as a header).
  if (std::string header = Unquote(done->header("etag")); !header.empty()) return header;
  SHARDY_ASSIGN_OR_RETURN(std::optional<ObjectInfo> info, Head(upload.key));
  if (!info)
    return Status(ErrorCode::kStorage, complete.what + ": the object is missing after completion",
                  true);
  return info->etag;
}

// Best effort: parts of an upload that is never completed or aborted cost
// storage until a lifecycle rule reclaims them.
void S3Store::AbortMultipart(const Multipart& upload) {
  Call abort;
  abort.method = "DELETE";
  abort.key = upload.key;
  abort.query = {{"uploadId", upload.upload_id}};
  abort.what = "DELETE " + upload.url + " (abort multipart upload)";
  Result<HttpResponse> r = Execute(abort);
  if (!r.ok() || (r->status != 204 && r->status != 200 && r->status != 404)) {
    Log(LogLevel::kWarning, "could not abort multipart upload of " + upload.url +
                                "; a bucket lifecycle rule can reclaim its parts");
  }
}

Result<std::optional<std::string>> S3Store::GetWithRange(std::string_view key,
                                                         const std::string& range) {
  Call call;
  call.method = "GET";
  call.key = std::string(key);
  call.what = "GET " + Url(key) + (range.empty() ? "" : " (" + range + ")");
  if (!range.empty()) call.headers.emplace_back("Range", range);
  SHARDY_ASSIGN_OR_RETURN(HttpResponse r, Execute(call));
  if (r.status == 200 || r.status == 206) return std::optional<std::string>(std::move(r.body));
  if (IsMissingObject(r)) {
    return std::optional<std::string>();
  }
  if (r.status == 416) return std::optional<std::string>(std::string());  // exists; range past end
  return ErrorFor(call, r);
}

Result<std::optional<std::string>> S3Store::Get(std::string_view key) {
  return GetWithRange(key, "");
}

Result<std::optional<std::string>> S3Store::GetRange(std::string_view key, uint64_t offset,
                                                     uint64_t length) {
  if (length == 0) {
    SHARDY_ASSIGN_OR_RETURN(std::optional<ObjectInfo> info, Head(key));
    if (!info) return std::optional<std::string>();
    return std::optional<std::string>(std::string());
  }
  std::string range = "bytes=" + std::to_string(offset) + "-";
  if (length <= UINT64_MAX - offset) range += std::to_string(offset + length - 1);
  SHARDY_ASSIGN_OR_RETURN(std::optional<std::string> got, GetWithRange(key, range));
  if (got && got->size() > length) {
    // The server ignored the range and sent the whole object.
    *got = offset < got->size() ? got->substr(offset, length) : std::string();
  }
  return got;
}

Result<std::optional<std::string>> S3Store::GetSuffix(std::string_view key, uint64_t length) {
  if (length == 0) return GetRange(key, 0, 0);
  SHARDY_ASSIGN_OR_RETURN(std::optional<std::string> got,
                          GetWithRange(key, "bytes=-" + std::to_string(length)));
  if (got && got->size() > length) *got = got->substr(got->size() - length);
  return got;
}

Result<bool> S3Store::GetToFile(std::string_view key, const std::string& path) {
  // Downloaded into a PendingFile beside the destination: the file at `path`
  // is either what it was or the whole object, never a partial download.
  // Not fsynced: a caller that needs the download durable uses
  // DownloadToFile (local_file.h).
  const std::string what = "GET " + Url(key);
  PendingFileOptions file_options;
  file_options.mode = 0644;
  file_options.sync_file = false;
  Result<PendingFile> pending = PendingFile::Create(path, file_options);
  if (!pending.ok()) return pending.status().annotate(what);
  Call call;
  call.method = "GET";
  call.key = std::string(key);
  call.what = what;
  call.response_fd = pending->fd();
  SHARDY_ASSIGN_OR_RETURN(HttpResponse r, Execute(call));
  if (IsMissingObject(r)) return false;
  if (r.status != 200) return ErrorFor(call, r);
  Status committed = pending->Commit();
  if (!committed.ok()) return committed.annotate(what);
  return true;
}

Result<std::optional<ObjectInfo>> S3Store::Head(std::string_view key) {
  Call call;
  call.method = "HEAD";
  call.key = std::string(key);
  call.what = "HEAD " + Url(key);
  SHARDY_ASSIGN_OR_RETURN(HttpResponse r, Execute(call));
  if (r.status == 404) return std::optional<ObjectInfo>();
  if (r.status != 200) return ErrorFor(call, r);
  ObjectInfo info;
  info.key = std::string(key);
  info.size = std::strtoull(r.header("content-length").c_str(), nullptr, 10);
  info.etag = Unquote(r.header("etag"));
  return std::optional<ObjectInfo>(std::move(info));
}

Result<ListResult> S3Store::List(std::string_view prefix, std::string_view delimiter) {
  ListResult out;
  std::string token;
  for (;;) {
    Call call;
    call.method = "GET";
    call.query = {{"list-type", "2"}, {"prefix", std::string(prefix)}, {"encoding-type", "url"}};
    if (!delimiter.empty()) call.query.emplace_back("delimiter", std::string(delimiter));
    if (!token.empty()) call.query.emplace_back("continuation-token", token);
    call.what = "LIST " + Url(prefix);
    SHARDY_ASSIGN_OR_RETURN(HttpResponse r, Execute(call));
    if (r.status != 200) return ErrorFor(call, r);
    Result<ListPage> page = ParseListPage(r.body, /*url_encoded=*/true);
    if (!page.ok()) return page.status().annotate(call.what);
    for (ObjectInfo& o : page->objects) out.objects.push_back(std::move(o));
    for (std::string& p : page->common_prefixes) out.common_prefixes.push_back(std::move(p));
    if (!page->truncated) break;
    token = page->next_continuation_token;
  }
  return out;
}

Status S3Store::Delete(const std::vector<std::string>& keys) {
  for (size_t start = 0; start < keys.size(); start += kMaxDeleteBatch) {
    const size_t stop = std::min(keys.size(), start + kMaxDeleteBatch);
    const std::vector<std::string> batch(keys.begin() + static_cast<std::ptrdiff_t>(start),
                                         keys.begin() + static_cast<std::ptrdiff_t>(stop));
    const std::string body = BuildDeleteObjects(batch);
    Call call;
    call.method = "POST";
    call.query = {{"delete", ""}};
    call.body = body;
    call.payload_sha256 = HexSha256(body);
    call.headers.emplace_back("Content-Type", "application/xml");
    call.headers.emplace_back("Content-MD5", Base64Md5(body));
    call.what = "DELETE " + std::to_string(batch.size()) + " objects from s3://" + bucket_ +
                " (first " + batch.front() + ")";
    SHARDY_ASSIGN_OR_RETURN(HttpResponse r, Execute(call));
    if (r.status != 200) return ErrorFor(call, r);
    Result<std::vector<DeleteFailure>> failures = ParseDeleteResult(r.body);
    if (!failures.ok()) return failures.status().annotate(call.what);
    if (!failures->empty()) {
      const DeleteFailure& f = failures->front();
      return Status(ErrorCode::kStorage,
                    "DELETE " + Url(f.key) + ": " + f.code + ": " + f.message + " (" +
                        std::to_string(failures->size()) + " of " + std::to_string(batch.size()) +
                        " objects failed)",
                    f.code == "InternalError" || f.code == "SlowDown");
    }
  }
  return Status::OK();
}

}  // namespace shardyfusion::s3

namespace shardyfusion {

Result<std::shared_ptr<ObjectStore>> NewS3Store(const std::string& bucket, const S3Config& config) {
  if (!s3::IsValidBucketName(bucket)) {
    return Status(ErrorCode::kConfigValidation,
                  "S3 bucket name '" + bucket +
                      "' is invalid (3 to 63 characters of a-z, 0-9, '-', '.', '_')");
  }
  const S3ConnectionOptions& o = config.options;
  if (o.connect_timeout_seconds <= 0 || o.read_timeout_seconds <= 0 || o.max_attempts <= 0) {
    return Status(ErrorCode::kConfigValidation,
                  "S3 connect_timeout, read_timeout and max_attempts must be positive");
  }
  if (o.multipart_part_bytes < s3::kMinPartBytes || o.max_parts_in_flight <= 0) {
    return Status(ErrorCode::kConfigValidation,
                  "S3 multipart part size must be at least 5 MiB and parts in flight positive");
  }
  SHARDY_ASSIGN_OR_RETURN(s3::S3Endpoint endpoint, s3::ResolveEndpoint(bucket, o));
  return std::shared_ptr<ObjectStore>(
      std::make_shared<s3::S3Store>(bucket, config, std::move(endpoint)));
}

}  // namespace shardyfusion
