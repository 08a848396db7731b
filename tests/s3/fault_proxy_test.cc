// FaultProxy against a real RGW: run through tests/s3/run.sh, which starts the
// server and exports SHARDY_TEST_S3_* and AWS_*.
//
// The requests are made with plain libcurl and CURLOPT_AWS_SIGV4, not with the
// library's S3 client, so that these tests check the proxy alone.
#include "s3/fault_proxy.h"

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

namespace shardyfusion::testing_s3 {
namespace {

using std::chrono::milliseconds;

struct S3Env {
  std::string host;
  int port = 0;
  std::string bucket;
  std::string access_key;
  std::string secret_key;
  std::string region;
};

// The server from the environment, or a message saying what is missing.
Result<S3Env> ReadS3Env() {
  auto get = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v ? v : "";
  };
  S3Env env;
  std::string endpoint = get("SHARDY_TEST_S3_ENDPOINT");
  env.bucket = get("SHARDY_TEST_S3_BUCKET");
  env.access_key = get("AWS_ACCESS_KEY_ID");
  env.secret_key = get("AWS_SECRET_ACCESS_KEY");
  env.region = get("AWS_REGION");
  if (endpoint.empty() || env.bucket.empty() || env.access_key.empty() || env.secret_key.empty() ||
      env.region.empty()) {
    return Status(ErrorCode::kConfigValidation,
                  "SHARDY_TEST_S3_ENDPOINT, SHARDY_TEST_S3_BUCKET, AWS_ACCESS_KEY_ID, "
                  "AWS_SECRET_ACCESS_KEY and AWS_REGION must be set: run these tests with "
                  "tests/s3/run.sh BUILD_DIR, which starts an S3 server and sets them");
  }
  constexpr std::string_view kScheme = "http://";
  std::string_view rest(endpoint);
  if (rest.substr(0, kScheme.size()) != kScheme) {
    return Status(ErrorCode::kConfigValidation,
                  "SHARDY_TEST_S3_ENDPOINT=" + endpoint + " is not http://HOST:PORT");
  }
  rest.remove_prefix(kScheme.size());
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) {
    return Status(ErrorCode::kConfigValidation,
                  "SHARDY_TEST_S3_ENDPOINT=" + endpoint + " has no port");
  }
  env.host = std::string(rest.substr(0, colon));
  env.port = std::atoi(std::string(rest.substr(colon + 1)).c_str());
  if (env.port <= 0) {
    return Status(ErrorCode::kConfigValidation,
                  "SHARDY_TEST_S3_ENDPOINT=" + endpoint + " has a bad port");
  }
  return env;
}

std::string Sha256Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 15];
  }
  return hex;
}

struct Response {
  CURLcode curl = CURLE_OK;
  long status = 0;
  std::string headers;  // every header line received, 1xx responses included
  std::string body;
};

// A minimal S3 client on one curl handle, so that requests reuse its
// connection the way the library's client does.
class CurlS3 {
 public:
  CurlS3(const S3Env& env, int port) : env_(env), port_(port), curl_(curl_easy_init()) {}
  ~CurlS3() { curl_easy_cleanup(curl_); }
  CurlS3(const CurlS3&) = delete;
  CurlS3& operator=(const CurlS3&) = delete;

  Response Get(const std::string& key, milliseconds timeout = milliseconds(30000)) {
    return Perform("GET", key, nullptr, timeout);
  }
  Response Put(const std::string& key, const std::string& body) {
    return Perform("PUT", key, &body, milliseconds(60000));
  }
  // A PUT whose length curl does not know, so it sends the body chunked.
  Response PutChunked(const std::string& key, const std::string& body) {
    chunked_ = true;
    Response r = Perform("PUT", key, &body, milliseconds(30000));
    chunked_ = false;
    return r;
  }

 private:
  struct Upload {
    const std::string* data;
    size_t offset;
  };

  static size_t Append(char* p, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(p, size * n);
    return size * n;
  }
  static size_t Read(char* p, size_t size, size_t n, void* in) {
    auto* u = static_cast<Upload*>(in);
    size_t len = std::min(size * n, u->data->size() - u->offset);
    std::memcpy(p, u->data->data() + u->offset, len);
    u->offset += len;
    return len;
  }
  // libcurl rewinds the body when it resends a request on a fresh connection.
  static int Seek(void* in, curl_off_t offset, int origin) {
    if (origin != SEEK_SET) return CURL_SEEKFUNC_CANTSEEK;
    static_cast<Upload*>(in)->offset = static_cast<size_t>(offset);
    return CURL_SEEKFUNC_OK;
  }

  Response Perform(const char* method, const std::string& key, const std::string* body,
                   milliseconds timeout) {
    Response r;
    Upload upload{body, 0};
    std::string url = "http://127.0.0.1:" + std::to_string(port_) + "/" + env_.bucket + "/" + key;
    std::string sigv4 = "aws:amz:" + env_.region + ":s3";
    // CURLOPT_AWS_SIGV4 does not add x-amz-content-sha256, which S3 requires.
    std::string sha = "x-amz-content-sha256: " + Sha256Hex(body ? *body : std::string());
    curl_slist* headers = curl_slist_append(nullptr, sha.c_str());
    if (body) headers = curl_slist_append(headers, "Expect: 100-continue");

    curl_easy_reset(curl_);  // keeps the connection cache
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(curl_, CURLOPT_USERNAME, env_.access_key.c_str());
    curl_easy_setopt(curl_, CURLOPT_PASSWORD, env_.secret_key.c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    // Long enough that a proxy holding back the server's "100 Continue" shows
    // up as a missing 100 rather than curl giving up waiting and sending anyway.
    curl_easy_setopt(curl_, CURLOPT_EXPECT_100_TIMEOUT_MS, 60000L);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &CurlS3::Append);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &CurlS3::Append);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &r.headers);
    if (std::strcmp(method, "PUT") == 0) {
      curl_easy_setopt(curl_, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl_, CURLOPT_READFUNCTION, &CurlS3::Read);
      curl_easy_setopt(curl_, CURLOPT_READDATA, &upload);
      curl_easy_setopt(curl_, CURLOPT_SEEKFUNCTION, &CurlS3::Seek);
      curl_easy_setopt(curl_, CURLOPT_SEEKDATA, &upload);
      if (!chunked_) {
        curl_easy_setopt(curl_, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body->size()));
      }
    }
    r.curl = curl_easy_perform(curl_);
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(headers);
    return r;
  }

  const S3Env env_;
  const int port_;
  CURL* const curl_;
  bool chunked_ = false;
};

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(gen() & 0xff);
  return s;
}

class FaultProxyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }

  void SetUp() override {
    Result<S3Env> env = ReadS3Env();
    ASSERT_TRUE(env.ok()) << env.status().ToString();
    env_ = *env;
    Result<std::unique_ptr<FaultProxy>> proxy = FaultProxy::Start(env_.host, env_.port);
    ASSERT_TRUE(proxy.ok()) << proxy.status().ToString();
    proxy_ = std::move(proxy).value();
    // Unique per run, so tests can be repeated against one server.
    prefix_ = "fault-proxy-test/" + std::to_string(std::random_device()()) + "/" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + "/";
  }

  // Writes key straight to the server, bypassing the proxy.
  void PutDirect(const std::string& key, const std::string& value) {
    CurlS3 direct(env_, env_.port);
    Response r = direct.Put(key, value);
    ASSERT_EQ(r.curl, CURLE_OK) << curl_easy_strerror(r.curl);
    ASSERT_EQ(r.status, 200) << r.body;
  }

  S3Env env_;
  std::unique_ptr<FaultProxy> proxy_;
  std::string prefix_;
};

TEST_F(FaultProxyTest, MissingKeyGives404ThroughProxy) {
  CurlS3 s3(env_, proxy_->port());
  Response r = s3.Get(prefix_ + "missing");
  ASSERT_EQ(r.curl, CURLE_OK) << curl_easy_strerror(r.curl);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("<Code>NoSuchKey</Code>"), std::string::npos) << r.body;
  EXPECT_EQ(proxy_->requests_seen(), 1);
  EXPECT_EQ(proxy_->faults_injected(), 0);
}

TEST_F(FaultProxyTest, KeepAliveRequestsAreEachCounted) {
  PutDirect(prefix_ + "k", "value");
  CurlS3 s3(env_, proxy_->port());
  for (int i = 0; i < 5; ++i) {
    Response r = s3.Get(prefix_ + "k");
    ASSERT_EQ(r.curl, CURLE_OK) << curl_easy_strerror(r.curl);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "value");
  }
  EXPECT_EQ(proxy_->requests_seen(), 5);
}

TEST_F(FaultProxyTest, DropFailsTheNextRequestAndTheOneAfterSucceedsOnTheSameHandle) {
  PutDirect(prefix_ + "k", "value");
  CurlS3 s3(env_, proxy_->port());
  proxy_->DropNext(1);
  Response dropped = s3.Get(prefix_ + "k");
  EXPECT_NE(dropped.curl, CURLE_OK);
  EXPECT_EQ(dropped.status, 0);
  EXPECT_EQ(proxy_->faults_injected(), 1);

  Response next = s3.Get(prefix_ + "k");
  ASSERT_EQ(next.curl, CURLE_OK) << curl_easy_strerror(next.curl);
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, "value");
  EXPECT_EQ(proxy_->requests_seen(), 2);
  EXPECT_EQ(proxy_->faults_injected(), 1);
}

// Documents the libcurl behaviour that the header warns about: a request on a
// reused connection that gets no response byte is resent once, on a fresh one.
TEST_F(FaultProxyTest, DropOnAReusedConnectionIsRetriedOnceByLibcurl) {
  PutDirect(prefix_ + "k", "value");
  CurlS3 s3(env_, proxy_->port());
  ASSERT_EQ(s3.Get(prefix_ + "k").status, 200);  // warms the connection

  proxy_->DropNext(1);
  Response absorbed = s3.Get(prefix_ + "k");
  ASSERT_EQ(absorbed.curl, CURLE_OK) << curl_easy_strerror(absorbed.curl);
  EXPECT_EQ(absorbed.status, 200);
  EXPECT_EQ(proxy_->requests_seen(), 3);

  proxy_->DropNext(2);
  Response failed = s3.Get(prefix_ + "k");
  EXPECT_NE(failed.curl, CURLE_OK);
  EXPECT_EQ(proxy_->requests_seen(), 5);
  EXPECT_EQ(proxy_->faults_injected(), 3);
}

TEST_F(FaultProxyTest, FailRepliesWithTheStatusAndAnS3ErrorThenTheNextSucceeds) {
  PutDirect(prefix_ + "k", "value");
  CurlS3 s3(env_, proxy_->port());
  proxy_->FailNext(1, 503);
  Response slow = s3.Get(prefix_ + "k");
  ASSERT_EQ(slow.curl, CURLE_OK) << curl_easy_strerror(slow.curl);
  EXPECT_EQ(slow.status, 503);
  EXPECT_NE(slow.body.find("<Code>SlowDown</Code>"), std::string::npos) << slow.body;
  EXPECT_NE(slow.headers.find("Connection: close"), std::string::npos) << slow.headers;

  Response next = s3.Get(prefix_ + "k");
  ASSERT_EQ(next.curl, CURLE_OK) << curl_easy_strerror(next.curl);
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, "value");

  proxy_->FailNext(1, 500);
  Response internal = s3.Get(prefix_ + "k");
  EXPECT_EQ(internal.status, 500);
  EXPECT_NE(internal.body.find("<Code>InternalError</Code>"), std::string::npos) << internal.body;
  EXPECT_EQ(proxy_->requests_seen(), 3);
  EXPECT_EQ(proxy_->faults_injected(), 2);
}

TEST_F(FaultProxyTest, FaultsApplyToRequestsInArrivalOrder) {
  PutDirect(prefix_ + "k", "value");
  CurlS3 s3(env_, proxy_->port());
  proxy_->DropNext(1);
  proxy_->FailNext(1, 503);
  EXPECT_NE(s3.Get(prefix_ + "k").curl, CURLE_OK);
  EXPECT_EQ(s3.Get(prefix_ + "k").status, 503);
  EXPECT_EQ(s3.Get(prefix_ + "k").status, 200);
  EXPECT_EQ(proxy_->requests_seen(), 3);
  EXPECT_EQ(proxy_->faults_injected(), 2);
}

TEST_F(FaultProxyTest, FailOnAPutAnswersBeforeTheBodyIsSent) {
  CurlS3 s3(env_, proxy_->port());
  proxy_->FailNext(1, 503);
  Response r = s3.Put(prefix_ + "k", RandomBytes(2 << 20, 7));
  ASSERT_EQ(r.curl, CURLE_OK) << curl_easy_strerror(r.curl);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(s3.Get(prefix_ + "k").status, 404);  // the PUT never reached the server
  EXPECT_EQ(proxy_->requests_seen(), 2);
}

TEST_F(FaultProxyTest, DelayedRequestStillSucceeds) {
  PutDirect(prefix_ + "k", "value");
  CurlS3 s3(env_, proxy_->port());
  proxy_->DelayNext(1, milliseconds(50));
  Response r = s3.Get(prefix_ + "k");
  ASSERT_EQ(r.curl, CURLE_OK) << curl_easy_strerror(r.curl);
  EXPECT_EQ(r.body, "value");
  EXPECT_EQ(proxy_->faults_injected(), 1);
}

TEST_F(FaultProxyTest, DelayBeyondTheClientTimeoutTimesOutThenTheNextSucceeds) {
  PutDirect(prefix_ + "k", "value");
  CurlS3 s3(env_, proxy_->port());
  // The proxy holds the request for 10 minutes: only the client's timeout can end it.
  proxy_->DelayNext(1, milliseconds(600000));
  Response slow = s3.Get(prefix_ + "k", milliseconds(300));
  EXPECT_EQ(slow.curl, CURLE_OPERATION_TIMEDOUT) << curl_easy_strerror(slow.curl);

  Response next = s3.Get(prefix_ + "k");
  ASSERT_EQ(next.curl, CURLE_OK) << curl_easy_strerror(next.curl);
  EXPECT_EQ(next.body, "value");
  EXPECT_EQ(proxy_->requests_seen(), 2);
}

TEST_F(FaultProxyTest, LargePutWithExpectContinueRoundTrips) {
  const std::string value = RandomBytes(3 << 20, 42);
  CurlS3 s3(env_, proxy_->port());
  Response put = s3.Put(prefix_ + "big", value);
  ASSERT_EQ(put.curl, CURLE_OK) << curl_easy_strerror(put.curl);
  EXPECT_EQ(put.status, 200) << put.body;
  // The server's interim response came back through the proxy before the body went out.
  EXPECT_NE(put.headers.find("HTTP/1.1 100 "), std::string::npos) << put.headers;

  Response get = s3.Get(prefix_ + "big");
  ASSERT_EQ(get.curl, CURLE_OK) << curl_easy_strerror(get.curl);
  EXPECT_EQ(get.status, 200);
  EXPECT_TRUE(get.body == value) << "read back " << get.body.size() << " bytes, wrote "
                                 << value.size();
  EXPECT_EQ(proxy_->requests_seen(), 2);
  EXPECT_EQ(proxy_->faults_injected(), 0);
}

TEST_F(FaultProxyTest, ChunkedRequestBodyIsRejectedWith501) {
  CurlS3 s3(env_, proxy_->port());
  Response r = s3.PutChunked(prefix_ + "chunked", "some bytes");
  ASSERT_EQ(r.curl, CURLE_OK) << curl_easy_strerror(r.curl);
  EXPECT_EQ(r.status, 501);
  EXPECT_NE(r.body.find("<Code>NotImplemented</Code>"), std::string::npos) << r.body;
  EXPECT_EQ(proxy_->requests_seen(), 1);
}

TEST_F(FaultProxyTest, UnresolvableUpstreamIsAnError) {
  Result<std::unique_ptr<FaultProxy>> proxy = FaultProxy::Start("no-such-host.invalid", 80);
  ASSERT_FALSE(proxy.ok());
  EXPECT_NE(proxy.status().message().find("no-such-host.invalid"), std::string::npos)
      << proxy.status().ToString();
}

}  // namespace
}  // namespace shardyfusion::testing_s3
