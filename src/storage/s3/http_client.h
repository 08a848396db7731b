// HttpClient: one HTTP/1.1 exchange at a time per call, on libcurl, with
// connections kept alive and reused across calls.
//
// The client knows nothing about S3: it sends a request (a body from memory
// or from a region of a local file), and returns the status, the response
// headers and the body (in memory, or streamed into a local file). A
// transport failure (no connection, timeout, reset, truncated reply) is a
// retryable kStorage error; any HTTP status is a successful exchange.
//
// Thread-safety: Send may be called by many threads at once. Each call
// borrows an idle libcurl handle (and its open connection) from a pool and
// returns it afterwards, so concurrency costs one connection per thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shardyfusion/status.h"

namespace shardyfusion::s3 {

struct HttpOptions {
  int connect_timeout_seconds = 10;
  int read_timeout_seconds = 30;  // abort a transfer stalled this long
  bool verify_tls = true;
  std::string ca_bundle;  // "" = the system's CA store
};

struct HttpRequest {
  std::string method;  // GET, HEAD, PUT, POST, DELETE
  std::string url;     // complete, already encoded
  std::vector<std::pair<std::string, std::string>> headers;
  // The body: `body` unless `body_file` is set, then `body_length` bytes of
  // that file from `body_offset`.
  std::string_view body;
  std::string body_file;
  uint64_t body_offset = 0;
  uint64_t body_length = 0;
  // When set, a 2xx response body is written to this open file descriptor
  // (from its current position) instead of into HttpResponse::body.
  int response_fd = -1;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  std::string header(const std::string& lowercase_name) const {
    auto it = headers.find(lowercase_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `what` names the request in error messages ("PUT s3://bucket/key").
  Result<HttpResponse> Send(const HttpRequest& request, std::string_view what);

 private:
  struct Handle;
  std::unique_ptr<Handle> Borrow();
  void Return(std::unique_ptr<Handle> handle);

  const HttpOptions options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Handle>> idle_;
};

}  // namespace shardyfusion::s3
