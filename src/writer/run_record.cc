#include "writer/run_record.h"

#include <map>

#include "core/ids.h"
#include "core/log.h"

namespace shardyfusion {

const char* RunStateName(RunRecord::State s) {
  switch (s) {
    case RunRecord::State::kRunning:
      return "running";
    case RunRecord::State::kSucceeded:
      return "succeeded";
    case RunRecord::State::kFailed:
      return "failed";
  }
  return "running";
}

namespace {

// A YAML single-quoted scalar: the only escape is '' for a quote, and any
// text (colons, leading dashes, digits that would read as numbers) stays a
// string. Line breaks are folded by YAML inside quotes, so they are written
// as a double-quoted scalar instead, with escapes.
std::string YamlString(const std::string& s) {
  if (s.find_first_of("\n\r\t\\") == std::string::npos) {
    std::string out = "'";
    for (char c : s) {
      if (c == '\'') out += '\'';
      out += c;
    }
    return out + "'";
  }
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

std::string YamlOptional(const std::optional<std::string>& s) {
  return s ? YamlString(*s) : "null";
}

}  // namespace

std::string RunRecordYaml(const RunRecord& r) {
  // Keys in sorted order, as yaml.safe_dump(sort_keys=True) writes them.
  std::string y;
  y += "db_path_template: " + YamlString(r.db_path_template) + "\n";
  y += "error_message: " + YamlOptional(r.error_message) + "\n";
  y += "error_type: " + YamlOptional(r.error_type) + "\n";
  y += "format_version: " + std::to_string(r.format_version) + "\n";
  y += "lease_expires_at: " + YamlString(FormatIsoTimestamp(r.lease_expires_at)) + "\n";
  y += "manifest_ref: " + YamlOptional(r.manifest_ref) + "\n";
  y += "run_id: " + YamlString(r.run_id) + "\n";
  y += "s3_prefix: " + YamlString(r.s3_prefix) + "\n";
  y += "shard_prefix: " + YamlString(r.shard_prefix) + "\n";
  y += "started_at: " + YamlString(FormatIsoTimestamp(r.started_at)) + "\n";
  y += "status: " + std::string(RunStateName(r.status)) + "\n";
  y += "updated_at: " + YamlString(FormatIsoTimestamp(r.updated_at)) + "\n";
  y += "writer_type: " + YamlString(r.writer_type) + "\n";
  return y;
}

Result<RunRecord> ParseRunRecordYaml(std::string_view yaml, const std::string& what) {
  std::map<std::string, std::string, std::less<>> fields;
  while (!yaml.empty()) {
    const size_t eol = yaml.find('\n');
    std::string_view line = yaml.substr(0, eol);
    yaml = eol == std::string_view::npos ? std::string_view() : yaml.substr(eol + 1);
    const size_t colon = line.find(": ");
    if (colon == std::string_view::npos || line.starts_with(' ')) continue;
    std::string value(line.substr(colon + 2));
    while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
    if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    fields[std::string(line.substr(0, colon))] = std::move(value);
  }
  auto bad = [&](const std::string& why) {
    return Status(ErrorCode::kManifestParse, "run record " + what + ": " + why);
  };
  RunRecord r;
  for (const char* f : {"run_id", "status", "updated_at", "lease_expires_at", "started_at"}) {
    if (!fields.contains(f)) return bad(std::string("no ") + f);
  }
  r.run_id = fields["run_id"];
  const std::string& status = fields["status"];
  if (status == "running") {
    r.status = RunRecord::State::kRunning;
  } else if (status == "succeeded") {
    r.status = RunRecord::State::kSucceeded;
  } else if (status == "failed") {
    r.status = RunRecord::State::kFailed;
  } else {
    return bad("unknown status \"" + status + "\"");
  }
  for (auto [field, out] :
       {std::pair{"started_at", &r.started_at}, std::pair{"updated_at", &r.updated_at},
        std::pair{"lease_expires_at", &r.lease_expires_at}}) {
    std::optional<SystemTime> t = ParseIsoTimestamp(fields[field]);
    if (!t) return bad(std::string(field) + " is not a timestamp: " + fields[field]);
    *out = *t;
  }
  return r;
}

std::unique_ptr<RunRecordLifecycle> RunRecordLifecycle::Start(std::shared_ptr<ObjectStore> store,
                                                              std::string root_key,
                                                              RunRecord initial,
                                                              const RunRecordOptions& options) {
  std::unique_ptr<RunRecordLifecycle> life(new RunRecordLifecycle());
  life->store_ = std::move(store);
  life->options_ = options;
  SystemTime now = options.clock->NowUtc();
  initial.status = RunRecord::State::kRunning;
  initial.started_at = options.started_at.value_or(now);
  life->record_ = std::move(initial);
  std::string dir =
      FormatDirTimestamp(now) + "_run_id=" + life->record_.run_id + "_" + NewUuid4Hex();
  std::string base = root_key.empty() ? "" : root_key + "/";
  life->key_ = !options.existing_key.empty() ? options.existing_key
                                             : base + options.runs_prefix + "/" + dir + "/run.yaml";
  std::lock_guard<std::mutex> lock(life->mu_);
  if (!life->Write(false)) {
    life->key_.clear();  // the first write failed: no record, no heartbeat
    return life;
  }
  life->heartbeat_ = std::thread([l = life.get()] { l->Heartbeat(); });
  return life;
}

RunRecordLifecycle::~RunRecordLifecycle() { StopHeartbeat(); }

bool RunRecordLifecycle::Write(bool terminal) {
  if (key_.empty()) return false;
  SystemTime now = options_.clock->NowUtc();
  record_.updated_at = now;
  record_.lease_expires_at =
      terminal ? now : now + std::chrono::duration_cast<std::chrono::microseconds>(options_.lease);
  PutOptions put;
  put.content_type = "application/x-yaml";
  auto r = store_->Put(key_, RunRecordYaml(record_), put);
  if (!r.ok()) {
    Log(LogLevel::kWarning,
        "run record " + store_->Url(key_) + " not written: " + r.status().ToString());
    return false;
  }
  return true;
}

void RunRecordLifecycle::Heartbeat() {
  const double period = std::chrono::duration<double>(options_.heartbeat).count();
  const std::stop_token stop = stop_.get_token();
  while (options_.clock->SleepFor(period, stop)) {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop.stop_requested()) break;  // finishing: no heartbeat after it
    Write(false);
  }
}

void RunRecordLifecycle::StopHeartbeat() {
  stop_.request_stop();  // wakes the heartbeat's sleep
  if (heartbeat_.joinable()) heartbeat_.join();
}

void RunRecordLifecycle::SetManifestRef(std::string ref) {
  std::lock_guard<std::mutex> lock(mu_);
  record_.manifest_ref = std::move(ref);
}

void RunRecordLifecycle::Succeed() {
  StopHeartbeat();
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  finished_ = true;
  record_.status = RunRecord::State::kSucceeded;
  Write(true);
}

void RunRecordLifecycle::Fail(std::string error_type, std::string error_message) {
  StopHeartbeat();
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  finished_ = true;
  record_.status = RunRecord::State::kFailed;
  record_.error_type = std::move(error_type);
  record_.error_message = std::move(error_message);
  Write(true);
}

RunRecord RunRecordLifecycle::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return record_;
}

}  // namespace shardyfusion
