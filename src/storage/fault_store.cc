#include "storage/fault_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "storage/local_file.h"

namespace shardyfusion {

namespace {

// Truncation applies only to reads; on other operations a rule always fails.
bool Truncates(const std::optional<FaultRule>& rule) {
  return rule && rule->truncate_to.has_value();
}

Result<std::optional<std::string>> Truncated(Result<std::optional<std::string>> r,
                                             uint64_t max_bytes) {
  if (r.ok() && r->has_value() && (*r)->size() > max_bytes) (*r)->resize(max_bytes);
  return r;
}

}  // namespace

const char* StoreOpName(StoreOp op) {
  switch (op) {
    case StoreOp::kPut:
      return "Put";
    case StoreOp::kPutFile:
      return "PutFile";
    case StoreOp::kGet:
      return "Get";
    case StoreOp::kGetToFile:
      return "GetToFile";
    case StoreOp::kGetRange:
      return "GetRange";
    case StoreOp::kHead:
      return "Head";
    case StoreOp::kList:
      return "List";
    case StoreOp::kDelete:
      return "Delete";
  }
  return "Unknown";
}

FaultInjectingStore::FaultInjectingStore(std::shared_ptr<ObjectStore> base)
    : base_(std::move(base)) {}

void FaultInjectingStore::AddRule(FaultRule rule) {
  // A rule that fired with an OK status would build a Result from it.
  if (rule.error.ok()) rule.error = Status(ErrorCode::kStorage, "injected fault");
  std::lock_guard<std::mutex> lock(mu_);
  rules_.push_back(ActiveRule{std::move(rule), 0});
}

void FaultInjectingStore::FailNthCall(StoreOp op, int nth, Status error) {
  FaultRule rule;
  rule.op = op;
  rule.nth = nth;
  rule.error = std::move(error);
  AddRule(std::move(rule));
}

void FaultInjectingStore::ClearRules() {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.clear();
}

int FaultInjectingStore::CallCount(StoreOp op) const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_[static_cast<size_t>(op)];
}

std::vector<StoreCall> FaultInjectingStore::Calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

int FaultInjectingStore::FaultsInjected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return faults_injected_;
}

std::optional<FaultRule> FaultInjectingStore::OnCall(StoreOp op,
                                                     const std::vector<std::string_view>& keys) {
  std::string joined;
  for (std::string_view key : keys) {
    if (!joined.empty()) joined += ',';
    joined += key;
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_[static_cast<size_t>(op)];
  calls_.push_back(StoreCall{op, std::move(joined)});
  std::optional<FaultRule> fired;
  for (ActiveRule& active : rules_) {
    const FaultRule& rule = active.rule;
    if (rule.op != op) continue;
    bool key_matches = rule.key_contains.empty();
    for (std::string_view key : keys) {
      key_matches = key_matches || key.find(rule.key_contains) != std::string_view::npos;
    }
    if (!key_matches) continue;
    ++active.matched;
    if (!fired && (rule.nth == 0 || active.matched == rule.nth)) fired = rule;
  }
  if (fired) ++faults_injected_;
  return fired;
}

std::string FaultInjectingStore::Url(std::string_view key) const { return base_->Url(key); }

Result<std::string> FaultInjectingStore::Put(std::string_view key, std::string_view data,
                                             const PutOptions& options) {
  std::optional<FaultRule> rule = OnCall(StoreOp::kPut, {key});
  if (rule && rule->drop_write) return std::string("\"dropped\"");
  if (rule && !rule->after_effect) return rule->error;
  Result<std::string> r = base_->Put(key, data, options);
  if (rule && r.ok()) return rule->error;
  return r;
}

Result<std::string> FaultInjectingStore::PutFile(std::string_view key, const std::string& path,
                                                 const PutOptions& options) {
  std::optional<FaultRule> rule = OnCall(StoreOp::kPutFile, {key});
  if (rule && rule->drop_write) return std::string("\"dropped\"");
  if (rule && !rule->after_effect) return rule->error;
  Result<std::string> r = base_->PutFile(key, path, options);
  if (rule && r.ok()) return rule->error;
  return r;
}

Result<std::optional<std::string>> FaultInjectingStore::Get(std::string_view key) {
  std::optional<FaultRule> rule = OnCall(StoreOp::kGet, {key});
  if (Truncates(rule)) return Truncated(base_->Get(key), *rule->truncate_to);
  if (rule && !rule->after_effect) return rule->error;
  Result<std::optional<std::string>> r = base_->Get(key);
  if (rule && r.ok()) return rule->error;
  return r;
}

Result<bool> FaultInjectingStore::GetToFile(std::string_view key, const std::string& path) {
  std::optional<FaultRule> rule = OnCall(StoreOp::kGetToFile, {key});
  if (rule && !rule->after_effect && !Truncates(rule)) return rule->error;
  Result<bool> r = base_->GetToFile(key, path);
  if (!r.ok() || !rule) return r;
  if (!Truncates(rule)) return rule->error;
  if (*r) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "stat", path);
    if (static_cast<uint64_t>(st.st_size) > *rule->truncate_to &&
        ::truncate(path.c_str(), static_cast<off_t>(*rule->truncate_to)) != 0) {
      return ErrnoStatus(errno, "truncate", path);
    }
  }
  return r;
}

Result<std::optional<std::string>> FaultInjectingStore::GetRange(std::string_view key,
                                                                 uint64_t offset, uint64_t length) {
  std::optional<FaultRule> rule = OnCall(StoreOp::kGetRange, {key});
  if (Truncates(rule)) return Truncated(base_->GetRange(key, offset, length), *rule->truncate_to);
  if (rule && !rule->after_effect) return rule->error;
  Result<std::optional<std::string>> r = base_->GetRange(key, offset, length);
  if (rule && r.ok()) return rule->error;
  return r;
}

Result<std::optional<ObjectInfo>> FaultInjectingStore::Head(std::string_view key) {
  std::optional<FaultRule> rule = OnCall(StoreOp::kHead, {key});
  if (rule) return rule->error;
  return base_->Head(key);
}

Result<ListResult> FaultInjectingStore::List(std::string_view prefix, std::string_view delimiter) {
  std::optional<FaultRule> rule = OnCall(StoreOp::kList, {prefix});
  if (rule) return rule->error;
  return base_->List(prefix, delimiter);
}

Status FaultInjectingStore::Delete(const std::vector<std::string>& keys) {
  std::optional<FaultRule> rule = OnCall(StoreOp::kDelete, {keys.begin(), keys.end()});
  if (rule && !rule->after_effect) return rule->error;
  Status s = base_->Delete(keys);
  if (rule && s.ok()) return rule->error;
  return s;
}

}  // namespace shardyfusion
