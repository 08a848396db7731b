// S3 and S3-compatible object storage (AWS, Ceph RGW, MinIO, Garage).
//
// An S3 store serves one bucket; its keys are object keys and its URLs are
// "s3://bucket/key". It is an ObjectStore (object_store.h) like the others,
// so writers, readers and the manifest store use it unchanged.
//
// Configuration comes from three places, later ones overriding earlier ones:
//   1. the environment (S3ConfigFromEnvironment): AWS_ENDPOINT_URL (or
//      SLATEDB_S3_ENDPOINT_URL), AWS_REGION (or S3_REGION),
//      AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (or the
//      S3_* names);
//   2. a credentials.toml profile (LoadCredentialsProfile), whose keys are
//      endpoint_url, region, access_key_id, secret_access_key, session_token,
//      addressing_style, verify_ssl (a bool or a CA bundle path),
//      connect_timeout, read_timeout, max_attempts;
//   3. explicit KEY=VALUE options (ApplyS3Option), the reference's keys:
//      endpoint_url, region_name, addressing_style, verify_ssl,
//      connect_timeout, read_timeout, max_attempts.
//
// Behaviour: requests are signed with AWS Signature V4. Transient failures
// (throttling, 5xx, timeouts, dropped connections) are retried with
// exponential backoff and full jitter, bounded by max_attempts and
// max_retry_seconds; errors that retrying cannot fix (403, 404, 412, a bad
// request) fail at once, naming the bucket, key, HTTP status and S3 error
// code. Secrets never appear in messages or logs. Large PutFile uploads are
// multipart, streamed from disk, with a bounded number of parts in flight.
// ETags of S3 objects are content hashes: overwriting an object with
// identical bytes keeps its ETag.
//
// Thread-safety: an S3 store is safe for concurrent use by many threads and
// reuses connections across requests. The free functions are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "shardyfusion/object_store.h"
#include "shardyfusion/status.h"

namespace shardyfusion {

struct S3Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty = none
};

struct S3ConnectionOptions {
  // "" = AWS (https://s3.<region>.amazonaws.com). An http:// endpoint is
  // allowed (local servers).
  std::string endpoint_url;
  std::string region;  // "" = us-east-1
  // "path" (https://host/bucket/key) or "virtual" (https://bucket.host/key);
  // "" = virtual for AWS, path for a custom endpoint.
  std::string addressing_style;
  bool verify_ssl = true;
  std::string ca_bundle;  // a CA file to verify against; "" = the system's
  int connect_timeout_seconds = 10;
  // A transfer that moves no bytes for this long is abandoned (and retried).
  int read_timeout_seconds = 30;
  int max_attempts = 6;  // the first try plus up to 5 retries
  // Retries stop once this much time has passed since the first try.
  double max_retry_seconds = 30;
  // PutFile uses multipart upload at or above this size.
  uint64_t multipart_threshold_bytes = uint64_t{64} << 20;
  uint64_t multipart_part_bytes = uint64_t{16} << 20;  // >= 5 MiB
  int max_parts_in_flight = 4;
};

struct S3Config {
  S3ConnectionOptions options;
  S3Credentials credentials;
};

// Looks up an environment variable; returns nullopt when unset.
using GetEnvFn = std::function<std::optional<std::string>(const std::string&)>;

// The process environment.
GetEnvFn ProcessEnvironment();

// Reads the configuration from the environment (see above). Empty variables
// count as unset.
S3Config S3ConfigFromEnvironment(const GetEnvFn& getenv = ProcessEnvironment());

// Applies the profile `profile` of the credentials.toml at `path` on top of
// `*config`. Errors: the file is unreadable or not TOML, the profile is
// missing, or a value has the wrong type (kConfigValidation, naming the file,
// profile and key; never a secret).
Status LoadCredentialsProfile(const std::string& path, const std::string& profile,
                              S3Config* config);

// Applies one KEY=VALUE connection option (the reference's keys, above).
// verify_ssl takes true/1/yes or false/0/no; the timeouts and max_attempts
// take positive integers. Unknown keys are a kConfigValidation error listing
// the known ones.
Status ApplyS3Option(std::string_view key, std::string_view value, S3ConnectionOptions* options);

// A store for `bucket`. Errors: an invalid bucket name, endpoint or option
// (kConfigValidation). Missing credentials are not an error here (a public
// bucket may be read anonymously); requests then go unsigned.
Result<std::shared_ptr<ObjectStore>> NewS3Store(const std::string& bucket, const S3Config& config);

// OpenStoreForUrl (object_store.h) with an explicit configuration for
// s3:// URLs; other URLs ignore it. OpenStoreForUrl(url) uses
// S3ConfigFromEnvironment() for s3:// URLs.
Result<StoreLocation> OpenStoreForUrl(std::string_view url, const S3Config& s3);

}  // namespace shardyfusion
