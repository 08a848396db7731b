// URL resolution and path joining for the ObjectStore seam (object_store.h).

#include <filesystem>
#include <system_error>

#include "shardyfusion/object_store.h"
#include "shardyfusion/s3.h"
#include "storage/file_store.h"
#include "storage/memory_store.h"

namespace shardyfusion {

namespace {

constexpr std::string_view kSupportedSchemes =
    "supported: s3://bucket/prefix, file:///absolute/path, a local path, memory://name/key";

std::string_view StripSlashes(std::string_view s) {
  while (!s.empty() && s.front() == '/') s.remove_prefix(1);
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return s;
}

Status BadUrl(std::string_view url, std::string_view why) {
  return Status(ErrorCode::kConfigValidation, "unsupported store URL '" + std::string(url) +
                                                  "': " + std::string(why) + " (" +
                                                  std::string(kSupportedSchemes) + ")");
}

// A local path (absolute or relative to the working directory) as a key of
// the file store: made absolute, "."/".." and repeated '/' resolved lexically.
Result<StoreLocation> OpenLocalPath(std::string_view url, std::string_view path) {
  std::error_code ec;
  std::filesystem::path abs;
  try {
    abs = std::filesystem::absolute(std::filesystem::path(path), ec);
    if (!ec) abs = abs.lexically_normal();
  } catch (const std::exception& e) {
    return BadUrl(url, e.what());
  }
  if (ec) return BadUrl(url, "cannot make the path absolute: " + ec.message());
  return StoreLocation{FileStore::Shared(), std::string(StripSlashes(abs.native()))};
}

}  // namespace

Result<StoreLocation> OpenStoreForUrl(std::string_view url) {
  if (url.starts_with("s3://")) return OpenStoreForUrl(url, S3ConfigFromEnvironment());
  return OpenStoreForUrl(url, S3Config());
}

Result<StoreLocation> OpenStoreForUrl(std::string_view url, const S3Config& s3) {
  if (url.empty()) return BadUrl(url, "the URL is empty");
  if (url.starts_with("file://")) {
    const std::string_view path = url.substr(7);
    if (!path.starts_with('/')) {
      return BadUrl(url, "file:// URLs must name an absolute path (file:///dir, not file://host)");
    }
    return OpenLocalPath(url, path);
  }
  if (url.starts_with("memory://")) {
    const std::string_view rest = url.substr(9);
    const size_t slash = rest.find('/');
    const std::string_view name = rest.substr(0, slash);
    if (name.empty()) return BadUrl(url, "memory:// URLs need a store name (memory://name/key)");
    const std::string_view key = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
    return StoreLocation{MemoryStore::Named(std::string(name)), std::string(StripSlashes(key))};
  }
  if (url.starts_with("s3://")) {
    const std::string_view rest = url.substr(5);
    const size_t slash = rest.find('/');
    const std::string bucket(rest.substr(0, slash));
    if (bucket.empty()) return BadUrl(url, "s3:// URLs need a bucket (s3://bucket/prefix)");
    const std::string_view key = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
    Result<std::shared_ptr<ObjectStore>> store = NewS3Store(bucket, s3);
    if (!store.ok()) return store.status();
    return StoreLocation{std::move(store).value(), std::string(StripSlashes(key))};
  }
  if (url.find("://") != std::string_view::npos) return BadUrl(url, "unknown scheme");
  return OpenLocalPath(url, url);
}

Result<StoreLocation> ResolveInStore(const std::shared_ptr<ObjectStore>& store,
                                     std::string_view url) {
  if (store) {
    const std::string root = store->Url("");
    if (url.starts_with(root)) {
      return StoreLocation{store, std::string(StripSlashes(url.substr(root.size())))};
    }
  }
  return OpenStoreForUrl(url);
}

std::string JoinPath(std::string_view base, std::initializer_list<std::string_view> parts) {
  // An empty base adds no separator, so joining onto the root key "" yields
  // a key ("a/b") rather than an absolute path; the reference never joins
  // onto an empty base. A base of "/" still yields "/a/b".
  bool need_separator = !base.empty();
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  std::string out(base);
  for (std::string_view part : parts) {
    part = StripSlashes(part);
    if (part.empty()) continue;
    if (need_separator) out += '/';
    out += part;
    need_separator = true;
  }
  return out;
}

}  // namespace shardyfusion
