// S3Store's request, retry and error behaviour against a scripted local
// HTTP server (the real-server tests are in tests/s3/).

#include "storage/s3/s3_store.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace shardyfusion::s3 {
namespace {

struct Reply {
  int status;
  std::string body;
  std::string extra_headers;  // "Name: value\r\n" lines
  bool drop = false;          // close the connection without replying
};

// Answers each request with the next scripted reply (200 with an empty body
// once the script runs out) and records the request heads.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<Reply> script) : script_(script.begin(), script.end()) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(listen_fd_, 16), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    thread_.join();
  }
  int port() const { return port_; }
  std::vector<std::string> heads() {
    std::lock_guard<std::mutex> lock(mu_);
    return heads_;
  }

 private:
  void Serve() {
    while (!stop_) {
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      ServeConnection(fd);
      ::close(fd);
    }
  }

  void ServeConnection(int fd) {
    std::string buffer;
    for (;;) {
      size_t end;
      while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
        char chunk[4096];
        const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
        if (n <= 0) return;
        buffer.append(chunk, static_cast<size_t>(n));
      }
      const std::string head = buffer.substr(0, end);
      buffer.erase(0, end + 4);
      size_t body_len = 0;
      const size_t cl = head.find("Content-Length: ");
      if (cl != std::string::npos) body_len = std::stoul(head.substr(cl + 16));
      while (buffer.size() < body_len) {
        char chunk[4096];
        const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
        if (n <= 0) return;
        buffer.append(chunk, static_cast<size_t>(n));
      }
      buffer.erase(0, body_len);
      Reply reply{200, "", ""};
      {
        std::lock_guard<std::mutex> lock(mu_);
        heads_.push_back(head);
        if (!script_.empty()) {
          reply = script_.front();
          script_.pop_front();
        }
      }
      if (reply.drop) return;
      const bool is_head = head.starts_with("HEAD ");
      std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\n" +
                        reply.extra_headers +
                        "Content-Length: " + std::to_string(reply.body.size()) + "\r\n\r\n";
      if (!is_head) out += reply.body;
      if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) < 0) return;
    }
  }

  std::mutex mu_;
  std::deque<Reply> script_;
  std::vector<std::string> heads_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string ErrorXml(const std::string& code) {
  return "<Error><Code>" + code + "</Code><Message>scripted " + code + "</Message></Error>";
}

class S3StoreScriptedTest : public ::testing::Test {
 protected:
  std::shared_ptr<S3Store> StoreFor(const ScriptedServer& server, int max_attempts = 4,
                                    double max_retry_seconds = 30) {
    S3Config config;
    config.options.endpoint_url = "http://127.0.0.1:" + std::to_string(server.port());
    config.options.max_attempts = max_attempts;
    config.options.max_retry_seconds = max_retry_seconds;
    config.credentials = {"AKIDEXAMPLE", "SECRETKEYEXAMPLE", ""};
    Result<S3Endpoint> ep = ResolveEndpoint("bucket", config.options);
    EXPECT_TRUE(ep.ok());
    auto store = std::make_shared<S3Store>("bucket", config, *ep);
    store->set_clock_for_testing(&clock_);
    return store;
  }

  // Every wait so far is retry k's backoff (k = 1, 2, ...): whole
  // milliseconds in [cap_k / 2, cap_k), the jitter being random.
  void ExpectBackoffSchedule() {
    const std::vector<double> waits = clock_.sleep_log();
    for (size_t k = 1; k <= waits.size(); ++k) {
      const double ms = waits[k - 1] * 1000;
      EXPECT_GE(ms, RetryBackoff(static_cast<int>(k), 0.0).count()) << "retry " << k;
      EXPECT_LE(ms, RetryBackoff(static_cast<int>(k), 0.999999).count()) << "retry " << k;
      EXPECT_NEAR(ms, std::round(ms), 1e-6) << "retry " << k;
    }
  }

  FakeClock clock_;  // waits take no time, and are recorded
};

TEST_F(S3StoreScriptedTest, RequestsArePathStyleAndSigned) {
  ScriptedServer server({{200, "hello", "ETag: \"abc\"\r\n"}});
  auto store = StoreFor(server);
  Result<std::optional<std::string>> got = store->Get("dir/a b");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(**got, "hello");
  const std::string head = server.heads().at(0);
  EXPECT_TRUE(head.starts_with("GET /bucket/dir/a%20b HTTP/1.1")) << head;
  EXPECT_NE(head.find("Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
            std::string::npos);
  EXPECT_NE(head.find("x-amz-content-sha256: "), std::string::npos);
  EXPECT_EQ(head.find("SECRETKEYEXAMPLE"), std::string::npos);
}

TEST_F(S3StoreScriptedTest, TransientFailuresAreRetriedWithBackoff) {
  ScriptedServer server({{503, ErrorXml("SlowDown"), ""},
                         {500, ErrorXml("InternalError"), ""},
                         {0, "", "", /*drop=*/true},
                         {200, "", "ETag: \"e1\"\r\n"}});
  auto store = StoreFor(server);
  Result<std::string> put = store->Put("k", "v", PutOptions());
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(*put, "e1");
  EXPECT_EQ(server.heads().size(), 4u);
  // libcurl itself resends a request whose reused connection was closed
  // unanswered, so the drop may cost no wait of ours.
  const std::vector<double> waits = clock_.sleep_log();
  ASSERT_GE(waits.size(), 2u);
  ASSERT_LE(waits.size(), 3u);
  EXPECT_GE(waits[0], 0.100);
  EXPECT_LT(waits[0], 0.200);
  EXPECT_GE(waits[1], 0.200);
  EXPECT_LT(waits[1], 0.400);
  ExpectBackoffSchedule();
}

TEST_F(S3StoreScriptedTest, RetriesStopBeforeAWaitWouldPassMaxRetrySeconds) {
  // Retry 1 waits [0.1, 0.2) s, within the 0.25 s budget; retry 2 would end
  // at 0.3 s or later, past it, so the store gives up after two attempts.
  ScriptedServer server({{503, ErrorXml("SlowDown"), ""},
                         {503, ErrorXml("SlowDown"), ""},
                         {503, ErrorXml("SlowDown"), ""}});
  auto store = StoreFor(server, /*max_attempts=*/10, /*max_retry_seconds=*/0.25);
  Result<std::optional<std::string>> got = store->Get("k");
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(got.status().retryable());
  EXPECT_EQ(server.heads().size(), 2u);
  EXPECT_NE(got.status().message().find("gave up after 2 attempts"), std::string::npos)
      << got.status().message();
  EXPECT_EQ(clock_.sleeps(), 1);
  ExpectBackoffSchedule();
}

TEST_F(S3StoreScriptedTest, RetriesStopAtMaxAttemptsWithTheLastError) {
  ScriptedServer server({{503, ErrorXml("SlowDown"), ""},
                         {503, ErrorXml("SlowDown"), ""},
                         {503, ErrorXml("SlowDown"), ""}});
  auto store = StoreFor(server, /*max_attempts=*/2);
  Result<std::optional<std::string>> got = store->Get("k");
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(got.status().retryable());
  EXPECT_EQ(server.heads().size(), 2u);
  const std::string& msg = got.status().message();
  EXPECT_NE(msg.find("s3://bucket/k"), std::string::npos) << msg;
  EXPECT_NE(msg.find("503"), std::string::npos) << msg;
  EXPECT_NE(msg.find("SlowDown"), std::string::npos) << msg;
  EXPECT_NE(msg.find("2 attempts"), std::string::npos) << msg;
  EXPECT_EQ(clock_.sleeps(), 1);  // none after the last attempt
  ExpectBackoffSchedule();
}

TEST_F(S3StoreScriptedTest, PermanentErrorsFailAtOnceNamingBucketKeyStatusAndCode) {
  ScriptedServer server({{403, ErrorXml("SignatureDoesNotMatch"), ""}});
  auto store = StoreFor(server);
  Result<std::string> put = store->Put("secret/path", "v", PutOptions());
  ASSERT_FALSE(put.ok());
  EXPECT_FALSE(put.status().retryable());
  EXPECT_EQ(put.status().code(), ErrorCode::kStorage);
  EXPECT_EQ(server.heads().size(), 1u);
  EXPECT_EQ(clock_.sleeps(), 0);
  const std::string& msg = put.status().message();
  for (const char* part :
       {"s3://bucket/secret/path", "403", "SignatureDoesNotMatch", "secret key"}) {
    EXPECT_NE(msg.find(part), std::string::npos) << part << " in " << msg;
  }
  EXPECT_EQ(msg.find("SECRETKEYEXAMPLE"), std::string::npos);
}

TEST_F(S3StoreScriptedTest, MissingObjectsAreNotErrorsButMissingBucketsAre) {
  ScriptedServer server(
      {{404, ErrorXml("NoSuchKey"), ""}, {404, "", ""}, {404, ErrorXml("NoSuchBucket"), ""}});
  auto store = StoreFor(server);
  Result<std::optional<std::string>> get = store->Get("k");
  ASSERT_TRUE(get.ok());
  EXPECT_FALSE(get->has_value());
  Result<std::optional<ObjectInfo>> head = store->Head("k");
  ASSERT_TRUE(head.ok());
  EXPECT_FALSE(head->has_value());
  Result<std::optional<std::string>> no_bucket = store->Get("k");
  ASSERT_FALSE(no_bucket.ok());
  EXPECT_NE(no_bucket.status().message().find("bucket does not exist"), std::string::npos);
}

TEST_F(S3StoreScriptedTest, ConditionalPutConflictIsPreconditionFailed) {
  ScriptedServer server({{412, ErrorXml("PreconditionFailed"), ""}});
  auto store = StoreFor(server);
  PutOptions if_absent;
  if_absent.condition = PutCondition::kIfAbsent;
  Result<std::string> put = store->Put("_CURRENT", "x", if_absent);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().code(), ErrorCode::kPreconditionFailed);
  EXPECT_NE(server.heads().at(0).find("If-None-Match: *"), std::string::npos);
}

TEST_F(S3StoreScriptedTest, ConditionalConflictAfterARetrySaysTheRetryMayHaveLanded) {
  // The first attempt fails with a 503 after (for all we know) taking
  // effect; the retry then meets its own write and gets 412.
  ScriptedServer server(
      {{503, ErrorXml("SlowDown"), ""}, {412, ErrorXml("PreconditionFailed"), ""}});
  auto store = StoreFor(server);
  PutOptions if_match;
  if_match.condition = PutCondition::kIfMatch;
  if_match.if_match = "\"old\"";
  Result<std::string> put = store->Put("_CURRENT", "payload", if_match);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().code(), ErrorCode::kPreconditionFailed);
  EXPECT_NE(put.status().message().find("earlier attempt"), std::string::npos)
      << put.status().message();
  EXPECT_NE(server.heads().at(0).find("If-Match: old"), std::string::npos) << server.heads()[0];
}

TEST_F(S3StoreScriptedTest, ListFollowsContinuationTokens) {
  ScriptedServer server(
      {{200,
        "<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>t+1/"
        "</NextContinuationToken><Contents><Key>p/a</Key><Size>1</Size></Contents>"
        "</ListBucketResult>",
        ""},
       {200,
        "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>p/b</Key><Size>2</Size>"
        "</Contents></ListBucketResult>",
        ""}});
  auto store = StoreFor(server);
  Result<ListResult> list = store->List("p/", "");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->objects.size(), 2u);
  EXPECT_EQ(list->objects[1].key, "p/b");
  const std::vector<std::string> heads = server.heads();
  ASSERT_EQ(heads.size(), 2u);
  // Sorted, encoded query; '/' in a value is encoded, unlike in the path.
  EXPECT_TRUE(heads[0].starts_with("GET /bucket?encoding-type=url&list-type=2&prefix=p%2F HTTP"))
      << heads[0];
  EXPECT_NE(heads[1].find("continuation-token=t%2B1%2F&"), std::string::npos) << heads[1];
}

}  // namespace
}  // namespace shardyfusion::s3
