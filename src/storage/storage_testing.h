// Test helpers for the storage tests: a scratch directory that is removed
// on destruction. Header-only so it stays out of the library.
//
// Thread-safety: a ScratchDir is owned by one thread.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace shardyfusion {

class ScratchDir {
 public:
  // A fresh directory under `parent` (the test temp directory by default).
  explicit ScratchDir(const std::string& parent = ::testing::TempDir()) {
    std::string tmpl = std::filesystem::absolute(parent).string() + "/shardy_storage_XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed for " << tmpl;
    path_ = std::filesystem::path(tmpl).lexically_normal().string();
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  // Absolute path without a trailing '/'.
  const std::string& path() const { return path_; }
  // The same directory as a file-store key prefix: no leading '/', ends in '/'.
  std::string key_prefix() const { return path_.substr(1) + "/"; }

 private:
  std::string path_;
};

}  // namespace shardyfusion
