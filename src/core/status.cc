#include "shardyfusion/status.h"

namespace shardyfusion {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "OK";
    case ErrorCode::kConfigValidation:
      return "ConfigValidation";
    case ErrorCode::kShardAssignment:
      return "ShardAssignment";
    case ErrorCode::kShardCoverage:
      return "ShardCoverage";
    case ErrorCode::kShardWrite:
      return "ShardWrite";
    case ErrorCode::kDbAdapter:
      return "DbAdapter";
    case ErrorCode::kPublishManifest:
      return "PublishManifest";
    case ErrorCode::kPublishCurrent:
      return "PublishCurrent";
    case ErrorCode::kManifestParse:
      return "ManifestParse";
    case ErrorCode::kReaderState:
      return "ReaderState";
    case ErrorCode::kStorage:
      return "Storage";
    case ErrorCode::kPreconditionFailed:
      return "PreconditionFailed";
    case ErrorCode::kInvalidInput:
      return "InvalidInput";
    case ErrorCode::kInvalidArgument:
      return "InvalidArgument";
    case ErrorCode::kInternal:
      return "Internal";
  }
  return "Unknown";
}

bool Status::DefaultRetryable(ErrorCode code) {
  switch (code) {
    case ErrorCode::kShardWrite:
    case ErrorCode::kPublishManifest:
    case ErrorCode::kPublishCurrent:
    case ErrorCode::kStorage:
      return true;
    default:
      return false;
  }
}

Status Status::annotate(const std::string& context) const {
  if (ok()) return *this;
  Status s(code_, context + ": " + message_, retryable_);
  s.manifest_ref_ = manifest_ref_;
  return s;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(ErrorCodeName(code_)) + ": " + message_;
}

}  // namespace shardyfusion
