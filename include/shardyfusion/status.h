// Status and Result<T>: errors as values on the public API.
//
// Every fallible public function returns a Status (no value) or a Result<T>
// (a value or a Status). The code taxonomy mirrors the reference project's
// error classes so that callers can tell "fix your configuration" from "the
// object store is having a bad day". `retryable()` says whether repeating the
// same operation may succeed (transient I/O, throttling, a publish race).
//
// "Not found" is never an error: lookups return std::optional.
//
// Thread-safety: Status and Result are plain values; distinct objects may be
// used from distinct threads freely.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace shardyfusion {

enum class ErrorCode {
  kOk = 0,
  kConfigValidation,    // bad configuration, options or key domain; nothing was written
  kShardAssignment,     // a record could not be routed to a shard
  kShardCoverage,       // attempt results name shards outside [0, num_dbs)
  kShardWrite,          // a shard attempt failed while writing (retryable)
  kDbAdapter,           // a shard database could not be opened, read or closed
  kPublishManifest,     // the manifest object could not be written
  kPublishCurrent,      // the manifest exists but _CURRENT was not switched to it
  kManifestParse,       // a manifest or _CURRENT pointer is malformed
  kReaderState,         // reader misuse or nothing published yet
  kStorage,             // object store I/O failure
  kPreconditionFailed,  // a conditional object-store write lost (object exists / ETag moved)
  kInvalidInput,        // a malformed input record (line numbers in the message)
  kInvalidArgument,     // a caller passed an argument outside the contract
  kInternal,            // a bug: an invariant did not hold
};

// Short stable name of a code, e.g. "ConfigValidation".
const char* ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status OK() { return Status(); }
  // The default retryability of a code: ShardWrite, PublishManifest,
  // PublishCurrent and Storage are retryable; the rest are not.
  static bool DefaultRetryable(ErrorCode code);

  Status(ErrorCode code, std::string message)
      : code_(code), message_(std::move(message)), retryable_(DefaultRetryable(code)) {}
  Status(ErrorCode code, std::string message, bool retryable)
      : code_(code), message_(std::move(message)), retryable_(retryable) {}

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  bool retryable() const { return retryable_; }

  // For kPublishCurrent: the ref of the manifest that was written but not made
  // current, so a caller can retry the pointer switch alone.
  const std::optional<std::string>& manifest_ref() const { return manifest_ref_; }
  Status& with_manifest_ref(std::string ref) {
    manifest_ref_ = std::move(ref);
    return *this;
  }

  // Returns a copy whose message is "<context>: <message>", same code.
  Status annotate(const std::string& context) const;

  // "ConfigValidation: <message>" (or "OK").
  std::string ToString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  bool retryable_ = false;
  std::optional<std::string> manifest_ref_;
};

// A value or an error. REQUIRES: a Result is constructed from a non-OK Status
// only (an OK Status has no value to carry).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  // REQUIRES: ok()
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace shardyfusion
