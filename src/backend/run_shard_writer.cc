#include "backend/run_shard_writer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <set>

#include "core/xxh3.h"
#include "storage/local_file.h"

namespace shardyfusion {
namespace {

struct Digest {
  uint64_t bytes = 0;
  uint64_t xxh3 = 0;
};

// The size and xxh3 of the file at `path`, read through a mapping.
Result<Digest> FileDigest(const std::string& path) {
  ScopedFd fd(OpenRetrying(path, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(errno, "cannot open", path);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus(errno, "cannot stat", path);
  Digest d;
  d.bytes = static_cast<uint64_t>(st.st_size);
  if (d.bytes == 0) {
    d.xxh3 = Xxh3Digest("");
    return d;
  }
  void* map = ::mmap(nullptr, d.bytes, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (map == MAP_FAILED) return ErrnoStatus(errno, "cannot map", path);
  d.xxh3 = Xxh3Digest(std::string_view(static_cast<const char*>(map), d.bytes));
  ::munmap(map, d.bytes);
  return d;
}

// A local file error of the checkpoint, as the shard's error class.
Status CheckpointError(const Status& st, const std::string& where) {
  return Status(ErrorCode::kShardWrite, "checkpoint of " + where + ": " + st.message());
}

}  // namespace

RunShardWriter::RunShardWriter(std::string backend, const ShardWriterContext& ctx,
                               std::shared_ptr<RunMemoryBudget> budget)
    : ctx_(ctx), backend_(std::move(backend)), budget_(std::move(budget)) {}

Status RunShardWriter::CreateLocalDir() {
  std::error_code ec;
  std::filesystem::create_directories(ctx_.local_dir, ec);
  if (ec) {
    return Status(ErrorCode::kShardWrite,
                  "cannot create shard directory " + ctx_.local_dir + ": " + ec.message());
  }
  return Status::OK();
}

Status RunShardWriter::WriteBatch(const KvBatch& batch) {
  if (state_ != State::kOpen) {
    return Status(ErrorCode::kInvalidArgument, "WriteBatch on " + backend_ + " shard " + Where() +
                                                   " after Seal, Abandon or a failure");
  }
  if (batch.empty()) return Status::OK();
  Status st = CheckBatch(batch);
  if (st.ok()) {
    Result<SortedRun> run = WriteSortedRun(batch, budget_, NextLocalPath("spool"));
    if (run.ok()) {
      runs_.push_back(std::move(run).value());
      st = AfterRun(batch.payload_bytes());
    } else {
      st = run.status();
    }
  }
  if (!st.ok()) state_ = State::kFailed;
  return st;
}

Result<SealResult> RunShardWriter::Seal() {
  if (state_ != State::kOpen) {
    return Status(ErrorCode::kInvalidArgument,
                  "Seal on " + backend_ + " shard " + Where() +
                      " that was already sealed, abandoned or failed; open a new attempt");
  }
  Result<SealResult> result = SealRuns();
  if (!result.ok()) {
    Abandon();
    state_ = State::kFailed;
    return result;
  }
  state_ = State::kSealed;
  Cleanup();
  return result;
}

void RunShardWriter::Abandon() {
  if (state_ == State::kSealed || state_ == State::kAbandoned) return;
  OnAbandon();
  Cleanup();
  state_ = State::kAbandoned;
}

std::vector<SortedRun> RunShardWriter::TakeRuns() {
  std::vector<SortedRun> runs = std::move(runs_);
  runs_.clear();
  for (const SortedRun& r : runs) {
    if (!r.durable_path.empty()) retired_recent_.push_back(r.durable_path);
  }
  return runs;
}

std::string RunShardWriter::NextLocalPath(const char* kind) {
  local_paths_.push_back(ctx_.local_dir + "/" + kind + "-" + std::to_string(next_path_++) + "." +
                         kind);
  return local_paths_.back();
}

Result<std::string> RunShardWriter::Checkpoint() {
  if (state_ != State::kOpen) {
    return Status(ErrorCode::kInvalidArgument, "Checkpoint on " + backend_ + " shard " + Where() +
                                                   " after Seal, Abandon or a failure");
  }
  // Named by no checkpoint any more: the one on disk was taken after they
  // were consumed.
  for (const std::string& path : retired_old_) ::unlink(path.c_str());
  retired_old_ = std::move(retired_recent_);
  retired_recent_.clear();
  nlohmann::json runs = nlohmann::json::array();
  Status st;
  for (SortedRun& run : runs_) {
    if (run.durable_path.empty()) {
      // Not synced: a killed process leaves its writes in the page cache,
      // and the digest catches a file a machine crash cut short.
      const std::string durable = NextLocalPath("ckpt");
      if (run.memory) {
        const std::string_view bytes(run.memory->data(), run.memory->size());
        ScopedFd fd(OpenRetrying(durable, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        st = fd.valid() ? WriteAll(fd.get(), bytes, durable)
                        : ErrnoStatus(errno, "cannot create", durable);
        run.durable_bytes = bytes.size();
        run.durable_xxh3 = Xxh3Digest(bytes);
      } else {
        if (::link(run.path.c_str(), durable.c_str()) != 0) {
          st = ErrnoStatus(errno, "cannot link " + run.path + " to", durable);
        }
        Result<Digest> d = st.ok() ? FileDigest(durable) : Result<Digest>(st);
        if (d.ok()) {
          run.durable_bytes = d->bytes;
          run.durable_xxh3 = d->xxh3;
        }
        st = d.status();
      }
      if (!st.ok()) break;
      run.durable_path = durable;
    }
    runs.push_back({{"file", std::filesystem::path(run.durable_path).filename().string()},
                    {"records", run.records},
                    {"bytes", run.durable_bytes},
                    {"xxh3", run.durable_xxh3}});
  }
  Result<nlohmann::json> backend_state = st.ok() ? CheckpointState() : Result<nlohmann::json>(st);
  if (!backend_state.ok()) st = backend_state.status();
  if (!st.ok()) {
    state_ = State::kFailed;
    return CheckpointError(st, Where());
  }
  nlohmann::json j = {{"format", 1},
                      {"backend", backend_},
                      {"next_path", next_path_},
                      {"runs", std::move(runs)},
                      {"state", std::move(backend_state).value()}};
  return j.dump();
}

Status RunShardWriter::Restore(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.value("format", 0) != 1 || !j["runs"].is_array() ||
      !j["next_path"].is_number_unsigned() || !j["backend"].is_string()) {
    return Status(ErrorCode::kShardWrite, "the checkpoint of " + Where() +
                                              " is damaged: " + std::string(text.substr(0, 200)));
  }
  if (j["backend"].get<std::string>() != backend_) {
    return Status(ErrorCode::kConfigValidation,
                  "the checkpoint of " + Where() + " was written by the " +
                      j["backend"].get<std::string>() + " backend, this build uses " + backend_ +
                      "; resume with the backend the build started with");
  }
  // First: a state that does not fit this writer's options is refused
  // before anything of the checkpoint changes.
  SHARDY_RETURN_IF_ERROR(RestoreState(j["state"]));
  next_path_ = j["next_path"].get<uint64_t>();
  std::set<std::string> keep;
  for (const nlohmann::json& r : j["runs"]) {
    if (!r.is_object() || !r["file"].is_string() || !r["records"].is_number_unsigned() ||
        !r["bytes"].is_number_unsigned() || !r["xxh3"].is_number_unsigned() ||
        r["file"].get<std::string>().find('/') != std::string::npos) {
      return Status(ErrorCode::kShardWrite, "the checkpoint of " + Where() +
                                                " names a run badly: " + r.dump().substr(0, 200));
    }
    keep.insert(ctx_.local_dir + "/" + r["file"].get<std::string>());
  }
  // What the killed writer made after its last checkpoint is not part of it.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(ctx_.local_dir, ec)) {
    const std::string path = entry.path().string();
    if (!keep.contains(path)) std::filesystem::remove_all(path, ec);
  }
  for (const nlohmann::json& r : j["runs"]) {
    const std::string durable = ctx_.local_dir + "/" + r["file"].get<std::string>();
    local_paths_.push_back(durable);  // removed at cleanup like every local file
    SortedRun run;
    run.path = NextLocalPath("spool");
    run.records = r["records"].get<uint64_t>();
    run.durable_path = durable;
    run.durable_bytes = r["bytes"].get<uint64_t>();
    run.durable_xxh3 = r["xxh3"].get<uint64_t>();
    Result<Digest> found = FileDigest(durable);
    if (found.ok() && (found->bytes != run.durable_bytes || found->xxh3 != run.durable_xxh3)) {
      return Status(ErrorCode::kShardWrite,
                    "the checkpointed run " + durable + " of " + Where() +
                        " is damaged (its bytes differ from those the checkpoint recorded: did "
                        "the machine crash before they reached the disk?); start a new build");
    }
    if (!found.ok() || ::link(durable.c_str(), run.path.c_str()) != 0) {
      return Status(ErrorCode::kShardWrite,
                    ErrnoStatus(errno, "cannot adopt the checkpointed run", durable).message() +
                        " of " + Where() +
                        " (the local staging changed after the build stopped; start a new build)");
    }
    runs_.push_back(std::move(run));
  }
  return Status::OK();
}

void RunShardWriter::Detach() {
  if (state_ == State::kSealed || state_ == State::kAbandoned) return;
  // Every local file stays: a resume deletes those its checkpoint does not
  // name.
  runs_.clear();
  local_paths_.clear();
  state_ = State::kAbandoned;
}

void RunShardWriter::Cleanup() {
  runs_.clear();  // spool files are among local_paths_
  for (const std::string& path : local_paths_) ::unlink(path.c_str());
  local_paths_.clear();
  OnCleanup();
  // Only succeeds when empty: files someone else put there are left alone.
  ::rmdir(ctx_.local_dir.c_str());
}

}  // namespace shardyfusion
