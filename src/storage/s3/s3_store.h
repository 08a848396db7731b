// S3Store: the ObjectStore for one S3 bucket (see shardyfusion/s3.h for the
// behaviour users rely on). Internal pieces: requests are built and signed
// here (sigv4.h), sent by HttpClient, and their XML read by s3_xml.h.
//
// Thread-safety: safe for concurrent use by many threads.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "shardyfusion/object_store.h"
#include "shardyfusion/s3.h"
#include "storage/s3/http_client.h"

namespace shardyfusion::s3 {

// Where requests for a bucket go, derived from the connection options.
struct S3Endpoint {
  std::string scheme;  // "http" or "https"
  std::string host;    // host[:port] of the service (without the bucket)
  bool path_style = true;
  std::string region;
};

// S3's bucket naming rules (3 to 63 of a-z 0-9 - . _).
bool IsValidBucketName(const std::string& bucket);

Result<S3Endpoint> ResolveEndpoint(const std::string& bucket, const S3ConnectionOptions& options);

// The wait before retry number `retry` (1 for the first retry): exponential
// from 200 ms, doubling, capped at 4 s, with jitter drawn from `unit` (a
// uniform value in [0, 1)): the wait is in [cap/2, cap).
std::chrono::milliseconds RetryBackoff(int retry, double unit);

class S3Store : public ObjectStore {
 public:
  S3Store(std::string bucket, S3Config config, S3Endpoint endpoint);
  ~S3Store() override;

  std::string Url(std::string_view key) const override;
  Result<std::string> Put(std::string_view key, std::string_view data,
                          const PutOptions& options) override;
  Result<std::string> PutFile(std::string_view key, const std::string& path,
                              const PutOptions& options) override;
  Result<std::optional<std::string>> Get(std::string_view key) override;
  Result<bool> GetToFile(std::string_view key, const std::string& path) override;
  Result<std::optional<std::string>> GetRange(std::string_view key, uint64_t offset,
                                              uint64_t length) override;
  Result<std::optional<std::string>> GetSuffix(std::string_view key, uint64_t length) override;
  Result<std::optional<ObjectInfo>> Head(std::string_view key) override;
  Result<ListResult> List(std::string_view prefix, std::string_view delimiter) override;
  Status Delete(const std::vector<std::string>& keys) override;

  // The clock that times the retries: the waits between attempts and the
  // max_retry_seconds budget (not request signing, which needs the real
  // time). Default SystemClock(). Not owned; must outlive the store.
  // REQUIRES: no request is in flight.
  void set_clock_for_testing(Clock* clock) { clock_ = clock; }

 private:
  struct Call;
  // Signs and sends `call`, retrying transient failures. Returns the final
  // response, whatever its status, unless every attempt failed transiently
  // or the failure is permanent at the transport level. `*attempts` (if
  // given) receives the number of attempts made.
  Result<HttpResponse> Execute(const Call& call, int* attempts = nullptr);
  Status ErrorFor(const Call& call, const HttpResponse& response) const;
  // A multipart upload of a local file: started, its parts uploaded (several
  // at once), then completed; aborted on any failure.
  struct Multipart;
  Result<std::string> PutMultipart(std::string_view key, const std::string& path, uint64_t size,
                                   const PutOptions& options);
  Status UploadParts(const Multipart& upload, std::vector<std::string>* etags);
  Result<std::string> CompleteMultipart(const Multipart& upload,
                                        const std::vector<std::string>& etags);
  void AbortMultipart(const Multipart& upload);
  Result<std::string> PutSingle(const Call& call);
  Result<std::optional<std::string>> GetWithRange(std::string_view key, const std::string& range);

  const std::string bucket_;
  const S3Config config_;
  const S3Endpoint endpoint_;
  HttpClient http_;
  Clock* clock_ = SystemClock();
};

}  // namespace shardyfusion::s3
