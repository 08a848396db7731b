#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "shardyfusion/s3.h"
#include "storage/s3/s3_store.h"

namespace shardyfusion {
namespace {

GetEnvFn FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(S3ConfigTest, EnvironmentPrefersAwsNamesAndFallsBackToS3Names) {
  S3Config c = S3ConfigFromEnvironment(FakeEnv({{"AWS_ACCESS_KEY_ID", "aws-ak"},
                                                {"S3_ACCESS_KEY_ID", "s3-ak"},
                                                {"S3_SECRET_ACCESS_KEY", "s3-sk"},
                                                {"AWS_SESSION_TOKEN", ""},
                                                {"S3_SESSION_TOKEN", "tok"},
                                                {"S3_REGION", "eu-west-1"},
                                                {"AWS_ENDPOINT_URL", "http://127.0.0.1:9000"}}));
  EXPECT_EQ(c.credentials.access_key_id, "aws-ak");
  EXPECT_EQ(c.credentials.secret_access_key, "s3-sk");
  EXPECT_EQ(c.credentials.session_token, "tok");  // an empty AWS_* counts as unset
  EXPECT_EQ(c.options.region, "eu-west-1");
  EXPECT_EQ(c.options.endpoint_url, "http://127.0.0.1:9000");

  S3Config slate = S3ConfigFromEnvironment(FakeEnv({{"SLATEDB_S3_ENDPOINT_URL", "http://h:1"}}));
  EXPECT_EQ(slate.options.endpoint_url, "http://h:1");
  EXPECT_TRUE(slate.credentials.access_key_id.empty());
}

TEST(S3ConfigTest, OptionsAreCoercedAndValidated) {
  S3ConnectionOptions o;
  EXPECT_TRUE(ApplyS3Option("endpoint_url", "http://e:1", &o).ok());
  EXPECT_TRUE(ApplyS3Option("region_name", "garage", &o).ok());
  EXPECT_TRUE(ApplyS3Option("addressing_style", "path", &o).ok());
  EXPECT_TRUE(ApplyS3Option("verify_ssl", "no", &o).ok());
  EXPECT_TRUE(ApplyS3Option("connect_timeout", "3", &o).ok());
  EXPECT_TRUE(ApplyS3Option("read_timeout", "7", &o).ok());
  EXPECT_TRUE(ApplyS3Option("max_attempts", "2", &o).ok());
  EXPECT_TRUE(ApplyS3Option("signature_version", "s3v4", &o).ok());
  EXPECT_EQ(o.endpoint_url, "http://e:1");
  EXPECT_EQ(o.region, "garage");
  EXPECT_EQ(o.addressing_style, "path");
  EXPECT_FALSE(o.verify_ssl);
  EXPECT_EQ(o.connect_timeout_seconds, 3);
  EXPECT_EQ(o.read_timeout_seconds, 7);
  EXPECT_EQ(o.max_attempts, 2);

  for (auto [k, v] :
       std::vector<std::pair<std::string, std::string>>{{"verify_ssl", "maybe"},
                                                        {"max_attempts", "0"},
                                                        {"read_timeout", "-1"},
                                                        {"connect_timeout", "ten"},
                                                        {"addressing_style", "sideways"},
                                                        {"colour", "red"}}) {
    Status st = ApplyS3Option(k, v, &o);
    EXPECT_EQ(st.code(), ErrorCode::kConfigValidation) << k << "=" << v;
    EXPECT_NE(st.message().find(k), std::string::npos) << st.message();
  }
}

class CredentialsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/creds_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& text) {
    const std::string path = dir_ + "/credentials.toml";
    std::ofstream(path) << text;
    ::chmod(path.c_str(), 0600);
    return path;
  }
  std::string dir_;
};

TEST_F(CredentialsFileTest, ProfileOverridesAndSetsTheFileDefaults) {
  const std::string path = Write(
      "[default]\naccess_key_id = \"AK\"\nsecret_access_key = \"SK\"\n"
      "[ceph]\nendpoint_url = \"http://127.0.0.1:7480\"\nregion = \"us-east-1\"\n"
      "access_key_id = \"CK\"\nsecret_access_key = \"CS\"\naddressing_style = \"path\"\n"
      "verify_ssl = \"/etc/ca.pem\"\nread_timeout = 5\n");
  S3Config c;
  c.options.max_attempts = 9;
  ASSERT_TRUE(LoadCredentialsProfile(path, "ceph", &c).ok());
  EXPECT_EQ(c.credentials.access_key_id, "CK");
  EXPECT_EQ(c.credentials.secret_access_key, "CS");
  EXPECT_EQ(c.options.endpoint_url, "http://127.0.0.1:7480");
  EXPECT_EQ(c.options.addressing_style, "path");
  EXPECT_TRUE(c.options.verify_ssl);
  EXPECT_EQ(c.options.ca_bundle, "/etc/ca.pem");
  EXPECT_EQ(c.options.read_timeout_seconds, 5);
  EXPECT_EQ(c.options.connect_timeout_seconds, 10);
  EXPECT_EQ(c.options.max_attempts, 3);  // the file's default replaces the library's
}

TEST_F(CredentialsFileTest, ErrorsNameTheFileProfileAndKeyButNeverTheSecret) {
  S3Config c;
  Status missing = LoadCredentialsProfile(Write("[a]\nregion = \"x\"\n"), "b", &c);
  EXPECT_EQ(missing.code(), ErrorCode::kConfigValidation);
  EXPECT_NE(missing.message().find("[b]"), std::string::npos) << missing.message();

  Status wrong_type = LoadCredentialsProfile(
      Write("[p]\nsecret_access_key = \"TOPSECRET\"\naccess_key_id = \"AK\"\nmax_attempts = "
            "\"three\"\n"),
      "p", &c);
  EXPECT_EQ(wrong_type.code(), ErrorCode::kConfigValidation);
  EXPECT_NE(wrong_type.message().find("max_attempts"), std::string::npos);
  EXPECT_EQ(wrong_type.message().find("TOPSECRET"), std::string::npos);

  Status half = LoadCredentialsProfile(Write("[p]\naccess_key_id = \"AK\"\n"), "p", &c);
  EXPECT_EQ(half.code(), ErrorCode::kConfigValidation);

  Status bad_toml = LoadCredentialsProfile(Write("[p\nx = = 1\n"), "p", &c);
  EXPECT_EQ(bad_toml.code(), ErrorCode::kConfigValidation);
  EXPECT_NE(bad_toml.message().find("credentials.toml"), std::string::npos);

  Status no_file = LoadCredentialsProfile(dir_ + "/absent.toml", "p", &c);
  EXPECT_EQ(no_file.code(), ErrorCode::kConfigValidation);
}

TEST(S3EndpointTest, AddressingFollowsTheEndpointUnlessSet) {
  S3ConnectionOptions o;
  Result<s3::S3Endpoint> aws = s3::ResolveEndpoint("bucket", o);
  ASSERT_TRUE(aws.ok());
  EXPECT_EQ(aws->scheme, "https");
  EXPECT_EQ(aws->host, "s3.us-east-1.amazonaws.com");
  EXPECT_FALSE(aws->path_style);
  Result<s3::S3Endpoint> dotted = s3::ResolveEndpoint("my.bucket", o);
  ASSERT_TRUE(dotted.ok());
  EXPECT_TRUE(dotted->path_style);

  o.endpoint_url = "http://127.0.0.1:7480/";
  Result<s3::S3Endpoint> local = s3::ResolveEndpoint("bucket", o);
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->scheme, "http");
  EXPECT_EQ(local->host, "127.0.0.1:7480");
  EXPECT_TRUE(local->path_style);
  o.addressing_style = "virtual";
  EXPECT_FALSE(s3::ResolveEndpoint("bucket", o)->path_style);

  for (const char* bad : {"127.0.0.1:7480", "ftp://h", "http://h/path", "http://"}) {
    o.endpoint_url = bad;
    EXPECT_EQ(s3::ResolveEndpoint("bucket", o).status().code(), ErrorCode::kConfigValidation)
        << bad;
  }
  EXPECT_EQ(NewS3Store("B", S3Config()).status().code(), ErrorCode::kConfigValidation);
  EXPECT_EQ(NewS3Store("ab", S3Config()).status().code(), ErrorCode::kConfigValidation);
}

TEST(S3RetryTest, BackoffDoublesFromTwoHundredMillisecondsToFourSeconds) {
  EXPECT_EQ(s3::RetryBackoff(1, 0.0).count(), 100);
  EXPECT_EQ(s3::RetryBackoff(1, 0.999).count(), 199);
  EXPECT_EQ(s3::RetryBackoff(2, 0.0).count(), 200);
  EXPECT_EQ(s3::RetryBackoff(3, 0.0).count(), 400);
  EXPECT_EQ(s3::RetryBackoff(6, 0.0).count(), 2000);
  EXPECT_EQ(s3::RetryBackoff(7, 0.5).count(), 3000);
  EXPECT_EQ(s3::RetryBackoff(50, 0.0).count(), 2000);
}

}  // namespace
}  // namespace shardyfusion
