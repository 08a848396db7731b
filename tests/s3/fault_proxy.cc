#include "s3/fault_proxy.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace shardyfusion::testing_s3 {

namespace {

// A head longer than this is not an S3 request from our client; the
// connection is answered with 431 and closed rather than buffered forever.
constexpr size_t kMaxHeadBytes = 64 * 1024;
constexpr size_t kChunkBytes = 64 * 1024;

enum class FaultKind { kDrop, kDelay, kFail };

struct Fault {
  FaultKind kind;
  std::chrono::milliseconds delay{0};
  int status = 0;
};

std::string ErrnoText(int err) { return std::system_category().message(err); }

// MSG_NOSIGNAL: a client that hung up must not kill the test binary with SIGPIPE.
bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Bytes read into buf; 0 at end of stream or on error (both end the connection).
size_t RecvSome(int fd, char* buf, size_t size) {
  while (true) {
    ssize_t n = ::recv(fd, buf, size, 0);
    if (n < 0 && errno == EINTR) continue;
    return n > 0 ? static_cast<size_t>(n) : 0;
  }
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of header `name` in a request head (which ends with "\r\n\r\n").
std::optional<std::string_view> HeaderValue(std::string_view head, std::string_view name) {
  size_t line_start = head.find("\r\n");  // skip the request line
  while (line_start != std::string_view::npos) {
    line_start += 2;
    size_t line_end = head.find("\r\n", line_start);
    if (line_end == std::string_view::npos) break;
    std::string_view line = head.substr(line_start, line_end - line_start);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos && EqualsIgnoreCase(Trim(line.substr(0, colon)), name)) {
      return Trim(line.substr(colon + 1));
    }
    line_start = line_end;
  }
  return std::nullopt;
}

std::optional<uint64_t> ParseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// A complete S3-style error response that ends the connection.
std::string ErrorResponse(int status, std::string_view message) {
  struct Known {
    int status;
    const char* reason;
    const char* code;
  };
  static constexpr Known kKnown[] = {
      {400, "Bad Request", "InvalidRequest"},
      {403, "Forbidden", "AccessDenied"},
      {404, "Not Found", "NoSuchKey"},
      {412, "Precondition Failed", "PreconditionFailed"},
      {431, "Request Header Fields Too Large", "InvalidRequest"},
      {500, "Internal Server Error", "InternalError"},
      {501, "Not Implemented", "NotImplemented"},
      {503, "Service Unavailable", "SlowDown"},
  };
  const char* reason = "Injected Fault";
  const char* code = status >= 500 ? "InternalError" : "InvalidRequest";
  for (const Known& k : kKnown) {
    if (k.status == status) {
      reason = k.reason;
      code = k.code;
    }
  }
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>";
  body += code;
  body += "</Code><Message>";
  body += message;
  body += "</Message></Error>";
  std::string response = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
  response += "Content-Type: application/xml\r\n";
  response += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  response += "Connection: close\r\n\r\n";
  return response + body;
}

// Loopback request/response ping-pong: Nagle plus delayed ACKs would add
// ~40 ms to every small write.
void SetNoDelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// One client connection and its upstream connection. Both relay threads end
// by shutting down both sockets, so either side hanging up ends the pair; the
// descriptors are closed only after both threads have been joined, so no
// thread ever uses a closed (and possibly reused) descriptor.
struct Connection {
  Connection(int client, int upstream) : client_fd(client), upstream_fd(upstream) {}
  ~Connection() {
    if (to_upstream.joinable()) to_upstream.join();
    if (to_client.joinable()) to_client.join();
    ::close(client_fd);
    ::close(upstream_fd);
  }
  void ShutdownBoth() const {
    ::shutdown(client_fd, SHUT_RDWR);
    ::shutdown(upstream_fd, SHUT_RDWR);
  }

  const int client_fd;
  const int upstream_fd;
  std::thread to_upstream;
  std::thread to_client;
  std::atomic<int> threads_done{0};
};

}  // namespace

struct FaultProxy::State {
  ~State();

  void AcceptLoop();
  int ConnectUpstream() const;
  // Relays requests client -> upstream, applying faults, until the connection ends.
  void RelayRequests(Connection* c);
  // Relays one request; false when the connection must end.
  bool RelayOneRequest(Connection* c, std::string* pending);
  // Relays responses upstream -> client until either side hangs up.
  void RelayResponses(Connection* c);
  // Answers with an error and closes, reading whatever the client still sends
  // until it hangs up: closing with unread input would make the kernel send a
  // reset, which can destroy the response before the client reads it.
  void ReplyAndClose(Connection* c, int status, std::string_view message);
  std::optional<Fault> TakeFault();
  // False if the proxy is stopping.
  bool SleepUnlessStopping(std::chrono::milliseconds d);
  void ReapFinishedLocked();

  sockaddr_storage upstream_addr{};
  socklen_t upstream_addr_len = 0;
  int listen_fd = -1;
  int port = 0;
  std::thread acceptor;

  std::atomic<int> requests_seen{0};
  std::atomic<int> faults_injected{0};

  std::mutex mu;
  std::condition_variable stop_cv;
  bool stopping = false;                                 // guarded by mu
  std::deque<Fault> faults;                              // guarded by mu
  std::vector<std::unique_ptr<Connection>> connections;  // guarded by mu
};

FaultProxy::State::~State() {
  {
    std::lock_guard<std::mutex> l(mu);
    stopping = true;
  }
  stop_cv.notify_all();
  if (listen_fd >= 0) {
    ::shutdown(listen_fd, SHUT_RDWR);  // wakes accept()
    if (acceptor.joinable()) acceptor.join();
    ::close(listen_fd);
  }
  std::vector<std::unique_ptr<Connection>> to_close;
  {
    std::lock_guard<std::mutex> l(mu);
    to_close.swap(connections);
  }
  for (const auto& c : to_close) c->ShutdownBoth();
  to_close.clear();  // joins the relay threads
}

int FaultProxy::State::ConnectUpstream() const {
  int fd = ::socket(upstream_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&upstream_addr), upstream_addr_len);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    ::close(fd);
    return -1;
  }
  SetNoDelay(fd);
  return fd;
}

void FaultProxy::State::AcceptLoop() {
  while (true) {
    int client = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // the listening socket was shut down
    }
    SetNoDelay(client);
    int upstream = ConnectUpstream();
    if (upstream < 0) {
      ::close(client);  // the client sees its connection closed, as if the server were down
      continue;
    }
    auto c = std::make_unique<Connection>(client, upstream);
    std::lock_guard<std::mutex> l(mu);
    if (stopping) return;  // c closes both sockets
    ReapFinishedLocked();
    c->to_upstream = std::thread(&State::RelayRequests, this, c.get());
    c->to_client = std::thread(&State::RelayResponses, this, c.get());
    connections.push_back(std::move(c));
  }
}

void FaultProxy::State::ReapFinishedLocked() {
  std::erase_if(connections, [](const std::unique_ptr<Connection>& c) {
    return c->threads_done.load() == 2;  // the destructor joins and closes
  });
}

void FaultProxy::State::RelayRequests(Connection* c) {
  std::string pending;  // bytes from the client not relayed yet
  while (RelayOneRequest(c, &pending)) {
  }
  c->ShutdownBoth();
  c->threads_done.fetch_add(1);
}

void FaultProxy::State::RelayResponses(Connection* c) {
  std::vector<char> buf(kChunkBytes);
  size_t n;
  while ((n = RecvSome(c->upstream_fd, buf.data(), buf.size())) > 0) {
    if (!SendAll(c->client_fd, std::string_view(buf.data(), n))) break;
  }
  c->ShutdownBoth();
  c->threads_done.fetch_add(1);
}

bool FaultProxy::State::RelayOneRequest(Connection* c, std::string* pending) {
  std::vector<char> buf(kChunkBytes);
  size_t head_end;
  while ((head_end = pending->find("\r\n\r\n")) == std::string::npos) {
    if (pending->size() > kMaxHeadBytes) {
      ReplyAndClose(c, 431, "request head over 64 KiB");
      return false;
    }
    size_t n = RecvSome(c->client_fd, buf.data(), buf.size());
    if (n == 0) return false;  // the client hung up (normally between requests)
    pending->append(buf.data(), n);
  }
  head_end += 4;
  const std::string_view head(pending->data(), head_end);
  requests_seen.fetch_add(1);

  if (std::optional<std::string_view> te = HeaderValue(head, "Transfer-Encoding")) {
    if (!EqualsIgnoreCase(*te, "identity")) {
      ReplyAndClose(c, 501, "FaultProxy does not relay Transfer-Encoding request bodies");
      return false;
    }
  }
  uint64_t body_left = 0;
  if (std::optional<std::string_view> cl = HeaderValue(head, "Content-Length")) {
    std::optional<uint64_t> parsed = ParseDecimal(*cl);
    if (!parsed) {
      ReplyAndClose(c, 400, "FaultProxy: malformed Content-Length");
      return false;
    }
    body_left = *parsed;
  }

  if (std::optional<Fault> fault = TakeFault()) {
    faults_injected.fetch_add(1);
    switch (fault->kind) {
      case FaultKind::kDrop:
        return false;
      case FaultKind::kFail:
        ReplyAndClose(c, fault->status, "injected");
        return false;
      case FaultKind::kDelay:
        if (!SleepUnlessStopping(fault->delay)) return false;
        break;
    }
  }

  // The head goes upstream before any body is awaited: with
  // "Expect: 100-continue" the body comes only after the server's 100.
  if (!SendAll(c->upstream_fd, head)) return false;
  pending->erase(0, head_end);
  size_t buffered = static_cast<size_t>(std::min<uint64_t>(body_left, pending->size()));
  if (!SendAll(c->upstream_fd, std::string_view(pending->data(), buffered))) return false;
  pending->erase(0, buffered);
  body_left -= buffered;
  while (body_left > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(body_left, buf.size()));
    size_t n = RecvSome(c->client_fd, buf.data(), want);
    if (n == 0) return false;
    if (!SendAll(c->upstream_fd, std::string_view(buf.data(), n))) return false;
    body_left -= n;
  }
  return true;
}

void FaultProxy::State::ReplyAndClose(Connection* c, int status, std::string_view message) {
  if (SendAll(c->client_fd, ErrorResponse(status, message))) {
    ::shutdown(c->client_fd, SHUT_WR);
    // Bounded: a client that neither sends nor hangs up is cut off after 5 s.
    timeval timeout{5, 0};
    ::setsockopt(c->client_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    std::vector<char> sink(kChunkBytes);
    while (RecvSome(c->client_fd, sink.data(), sink.size()) > 0) {
    }
  }
}

std::optional<Fault> FaultProxy::State::TakeFault() {
  std::lock_guard<std::mutex> l(mu);
  if (faults.empty()) return std::nullopt;
  Fault f = faults.front();
  faults.pop_front();
  return f;
}

bool FaultProxy::State::SleepUnlessStopping(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> l(mu);
  return !stop_cv.wait_for(l, d, [this] { return stopping; });
}

Result<std::unique_ptr<FaultProxy>> FaultProxy::Start(std::string upstream_host,
                                                      int upstream_port) {
  auto state = std::make_unique<State>();

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* resolved = nullptr;
  const std::string service = std::to_string(upstream_port);
  int rc = ::getaddrinfo(upstream_host.c_str(), service.c_str(), &hints, &resolved);
  if (rc != 0 || resolved == nullptr) {
    return Status(ErrorCode::kInvalidArgument,
                  "FaultProxy: cannot resolve upstream " + upstream_host + ":" + service + ": " +
                      ::gai_strerror(rc) + "; pass the host of SHARDY_TEST_S3_ENDPOINT");
  }
  std::memcpy(&state->upstream_addr, resolved->ai_addr, resolved->ai_addrlen);
  state->upstream_addr_len = resolved->ai_addrlen;
  ::freeaddrinfo(resolved);

  auto fail = [](const char* what) {
    return Status(ErrorCode::kStorage,
                  std::string("FaultProxy: ") + what + " on 127.0.0.1 failed: " + ErrnoText(errno));
  };
  state->listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (state->listen_fd < 0) return fail("socket()");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t addr_len = sizeof(addr);
  if (::bind(state->listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
    return fail("bind()");
  }
  if (::listen(state->listen_fd, 64) < 0) return fail("listen()");
  if (::getsockname(state->listen_fd, reinterpret_cast<sockaddr*>(&addr), &addr_len) < 0) {
    return fail("getsockname()");
  }
  state->port = ntohs(addr.sin_port);
  state->acceptor = std::thread(&State::AcceptLoop, state.get());
  return std::unique_ptr<FaultProxy>(new FaultProxy(std::move(state)));
}

FaultProxy::FaultProxy(std::unique_ptr<State> state) : state_(std::move(state)) {}

FaultProxy::~FaultProxy() = default;

int FaultProxy::port() const { return state_->port; }

void FaultProxy::DropNext(int n) {
  std::lock_guard<std::mutex> l(state_->mu);
  for (int i = 0; i < n; ++i) state_->faults.push_back(Fault{FaultKind::kDrop});
}

void FaultProxy::DelayNext(int n, std::chrono::milliseconds d) {
  std::lock_guard<std::mutex> l(state_->mu);
  for (int i = 0; i < n; ++i) state_->faults.push_back(Fault{FaultKind::kDelay, d});
}

void FaultProxy::FailNext(int n, int status) {
  std::lock_guard<std::mutex> l(state_->mu);
  for (int i = 0; i < n; ++i) {
    state_->faults.push_back(Fault{FaultKind::kFail, std::chrono::milliseconds(0), status});
  }
}

int FaultProxy::requests_seen() const { return state_->requests_seen.load(); }

int FaultProxy::faults_injected() const { return state_->faults_injected.load(); }

}  // namespace shardyfusion::testing_s3
