#include "python/s3_settings.h"

#include <optional>
#include <string>

#include "python/py_convert.h"
#include "shardyfusion/s3.h"

namespace shardyfusion::python {

std::shared_ptr<ObjectStore> StoreFromS3Settings(const std::string& url,
                                                 const py::object& settings) {
  if (settings.is_none()) return nullptr;
  py::dict d = settings.cast<py::dict>();
  S3Config config = S3ConfigFromEnvironment();
  if (d.contains("options") && !d["options"].is_none()) {
    for (auto [key, value] : d["options"].cast<py::dict>()) {
      Check(ApplyS3Option(key.cast<std::string>(), value.cast<std::string>(), &config.options));
    }
  }
  if (d.contains("credentials") && !d["credentials"].is_none()) {
    auto creds = d["credentials"].cast<py::tuple>();
    auto field = [&](size_t i) {
      return creds[i].is_none() ? std::string() : creds[i].cast<std::string>();
    };
    config.credentials.access_key_id = field(0);
    config.credentials.secret_access_key = field(1);
    config.credentials.session_token = field(2);
  }
  Result<StoreLocation> location = OpenStoreForUrl(url, config);
  Check(location.status());
  return location->store;
}

}  // namespace shardyfusion::python
