#include "storage/s3/http_client.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace shardyfusion::s3 {

namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// State shared with libcurl's callbacks during one transfer.
struct Transfer {
  CURL* curl = nullptr;
  HttpResponse* response = nullptr;
  // Request body from memory.
  std::string_view body;
  size_t body_pos = 0;
  // Request body from a file.
  int body_fd = -1;
  uint64_t file_start = 0;
  uint64_t file_pos = 0;
  uint64_t file_end = 0;
  int body_errno = 0;
  // Response body to a file.
  int response_fd = -1;
  int response_errno = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t nitems, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t room = size * nitems;
  if (t->body_fd < 0) {
    const size_t n = std::min(room, t->body.size() - t->body_pos);
    std::memcpy(buffer, t->body.data() + t->body_pos, n);
    t->body_pos += n;
    return n;
  }
  const uint64_t left = t->file_end - t->file_pos;
  const size_t want = static_cast<size_t>(std::min<uint64_t>(room, left));
  if (want == 0) return 0;
  for (;;) {
    const ssize_t n = ::pread(t->body_fd, buffer, want, static_cast<off_t>(t->file_pos));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // A file that shrank under us must not upload as a short object.
      t->body_errno = n < 0 ? errno : EIO;
      return CURL_READFUNC_ABORT;
    }
    t->file_pos += static_cast<uint64_t>(n);
    return static_cast<size_t>(n);
  }
}

// libcurl may rewind the body to resend it (a redirect, an auth retry).
int SeekBody(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
  if (t->body_fd < 0) {
    if (static_cast<size_t>(offset) > t->body.size()) return CURL_SEEKFUNC_FAIL;
    t->body_pos = static_cast<size_t>(offset);
  } else {
    if (static_cast<uint64_t>(offset) > t->file_end - t->file_start) return CURL_SEEKFUNC_FAIL;
    t->file_pos = t->file_start + static_cast<uint64_t>(offset);
  }
  return CURL_SEEKFUNC_OK;
}

size_t WriteBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * nmemb;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (t->response_fd < 0 || status < 200 || status >= 300) {
    t->response->body.append(data, n);
    return n;
  }
  size_t done = 0;
  while (done < n) {
    const ssize_t w = ::write(t->response_fd, data + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      t->response_errno = errno;
      return 0;  // makes libcurl fail with CURLE_WRITE_ERROR
    }
    done += static_cast<size_t>(w);
  }
  return n;
}

size_t WriteHeader(char* data, size_t size, size_t nitems, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * nitems;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    // A new response begins (after "100 Continue", say): forget the old one.
    t->response->headers.clear();
    return n;
  }
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response->headers[Lower(Trim(line.substr(0, colon)))] =
        std::string(Trim(line.substr(colon + 1)));
  }
  return n;
}

// Failures that a new attempt cannot fix.
bool TransportRetryable(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_READ_ERROR:
    case CURLE_WRITE_ERROR:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
      return false;
    default:
      return true;
  }
}

// Timeouts, TLS and the callbacks that fill `t`'s response.
void SetConnectionOptions(CURL* curl, const HttpOptions& options, Transfer* t, char* errbuf) {
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
                   static_cast<long>(options.connect_timeout_seconds));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options.read_timeout_seconds));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
  if (!options.ca_bundle.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_bundle.c_str());
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, t);
}

// The method, and for a request with a body the callbacks that stream it.
void SetMethod(CURL* curl, const HttpRequest& request, Transfer* t, bool has_body,
               uint64_t body_size) {
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (has_body) {
    // Upload mode streams the body through ReadBody for PUT and POST alike.
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(curl, CURLOPT_READDATA, t);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, SeekBody);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, t);
    if (request.method != "PUT")
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
}

// The request's headers as libcurl takes them; the caller frees the list.
curl_slist* HeaderList(const HttpRequest& request, bool has_body, uint64_t body_size) {
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    // "Name;" is libcurl's spelling of a header with an empty value.
    const std::string line = value.empty() ? name + ";" : name + ": " + value;
    headers = curl_slist_append(headers, line.c_str());
  }
  // Small bodies go without the "Expect: 100-continue" round trip.
  if (has_body && body_size < (1u << 20)) headers = curl_slist_append(headers, "Expect:");
  return headers;
}

}  // namespace

struct HttpClient::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl) curl_easy_cleanup(curl);
  }
};

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) { GlobalInitOnce(); }

HttpClient::~HttpClient() = default;

std::unique_ptr<HttpClient::Handle> HttpClient::Borrow() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Handle> h = std::move(idle_.back());
      idle_.pop_back();
      return h;
    }
  }
  auto h = std::make_unique<Handle>();
  h->curl = curl_easy_init();
  return h;
}

void HttpClient::Return(std::unique_ptr<Handle> handle) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(std::move(handle));
}

Result<HttpResponse> HttpClient::Send(const HttpRequest& request, std::string_view what) {
  std::unique_ptr<Handle> handle = Borrow();
  if (handle->curl == nullptr) {
    return Status(ErrorCode::kStorage, std::string(what) + ": cannot create an HTTP handle", true);
  }
  CURL* curl = handle->curl;
  // Reset keeps the handle's open connections, which is the point of the pool.
  curl_easy_reset(curl);

  HttpResponse response;
  Transfer t;
  t.curl = curl;
  t.response = &response;
  t.response_fd = request.response_fd;
  int file_fd = -1;
  const bool has_body = !request.body_file.empty() || !request.body.empty() ||
                        request.method == "PUT" || request.method == "POST";
  if (!request.body_file.empty()) {
    file_fd = ::open(request.body_file.c_str(), O_RDONLY | O_CLOEXEC);
    if (file_fd < 0) {
      const int err = errno;
      Return(std::move(handle));
      return Status(ErrorCode::kStorage, std::string(what) + ": cannot open " + request.body_file +
                                             ": " + std::strerror(err));
    }
    t.body_fd = file_fd;
    t.file_start = request.body_offset;
    t.file_pos = request.body_offset;
    t.file_end = request.body_offset + request.body_length;
  } else {
    t.body = request.body;
  }
  const uint64_t body_size = request.body_file.empty() ? request.body.size() : request.body_length;

  char errbuf[CURL_ERROR_SIZE] = {0};
  SetConnectionOptions(curl, options_, &t, errbuf);
  SetMethod(curl, request, &t, has_body, body_size);
  curl_slist* headers = HeaderList(request, has_body, body_size);
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  const CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_slist_free_all(headers);
  if (file_fd >= 0) ::close(file_fd);
  // The handle goes back to the pool only after a clean exchange: a failed
  // one may hold a connection in an unknown state.
  if (code == CURLE_OK) {
    Return(std::move(handle));
    return response;
  }
  std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(code);
  while (!detail.empty() && detail.back() == '\n') detail.pop_back();
  if (t.body_errno != 0) {
    return Status(ErrorCode::kStorage, std::string(what) + ": cannot read " + request.body_file +
                                           ": " + std::strerror(t.body_errno));
  }
  if (t.response_errno != 0) {
    return Status(ErrorCode::kStorage, std::string(what) + ": cannot write the download: " +
                                           std::strerror(t.response_errno));
  }
  return Status(ErrorCode::kStorage, std::string(what) + ": " + detail, TransportRetryable(code));
}

}  // namespace shardyfusion::s3
