// One shard's attempts with retries from a local spool (shard_attempts.h).
#include "writer/shard_attempts.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>

#include "core/log.h"
#include "core/status_internal.h"
#include "storage/local_file.h"

namespace shardyfusion {
namespace {

int64_t NowMs(Clock* clock) { return static_cast<int64_t>(std::floor(clock->NowSeconds() * 1000)); }

void PutU64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out->append(b, 8);
}

uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}

constexpr size_t kSpoolBufferBytes = 1 << 20;

}  // namespace

// The shard's pairs so far, appended batch by batch to one local file.
class ShardAttempts::Spool {
 public:
  explicit Spool(std::string path) : path_(std::move(path)) {}
  ~Spool() {
    if (created_) ::unlink(path_.c_str());
  }

  // The file is open only while a batch is appended, and the buffer lives
  // only as long: a build may spool thousands of shards at once, and each
  // must not hold a descriptor and a megabyte between its batches.
  Status Append(const KvBatch& batch) {
    if (!created_) {
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
    }
    int fd =
        OpenRetrying(path_, O_WRONLY | O_CREAT | O_CLOEXEC | (created_ ? O_APPEND : O_TRUNC), 0600);
    if (fd < 0) return ErrnoStatus(errno, "cannot create retry spool", path_);
    created_ = true;
    ScopedFd out(fd);
    std::string buffer;
    for (size_t i = 0; i < batch.size(); ++i) {
      const std::string_view k = batch.key(i);
      const std::string_view v = batch.value(i);
      PutU64(&buffer, k.size());
      PutU64(&buffer, v.size());
      buffer.append(k);
      buffer.append(v);
      if (buffer.size() >= kSpoolBufferBytes) {
        SHARDY_RETURN_IF_ERROR(WriteAll(out.get(), buffer, path_));
        buffer.clear();
      }
    }
    return buffer.empty() ? Status::OK() : WriteAll(out.get(), buffer, path_);
  }

  // Makes the spool durable; its length.
  Result<uint64_t> Sync() {
    if (!created_) return uint64_t{0};
    ScopedFd fd(OpenRetrying(path_, O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return ErrnoStatus(errno, "cannot open retry spool", path_);
    if (::fsync(fd.get()) != 0) return ErrnoStatus(errno, "cannot sync retry spool", path_);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return ErrnoStatus(errno, "cannot stat retry spool", path_);
    return static_cast<uint64_t>(st.st_size);
  }

  // Takes over a checkpointed spool of `length` bytes: what the process
  // before appended after its checkpoint is cut off.
  Status Adopt(uint64_t length) {
    if (length == 0) {
      ::unlink(path_.c_str());
      return Status::OK();
    }
    struct stat st;
    if (::stat(path_.c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) < length) {
      return Status(ErrorCode::kShardWrite,
                    "the retry spool " + path_ + " is shorter than its checkpoint says (" +
                        std::to_string(length) +
                        " bytes); the local staging changed after the build stopped: start a new "
                        "build");
    }
    if (::truncate(path_.c_str(), static_cast<off_t>(length)) != 0) {
      return ErrnoStatus(errno, "cannot cut back retry spool", path_);
    }
    created_ = true;
    return Status::OK();
  }

  // Leaves the file for a later resume.
  void Detach() { created_ = false; }

  // Calls `sink` with the spooled pairs in order, `batch_size` at a time.
  Status ForEachBatch(uint64_t batch_size, const std::function<Status(const KvBatch&)>& sink) {
    if (!created_) return Status::OK();  // nothing spooled
    ScopedFd in(OpenRetrying(path_, O_RDONLY | O_CLOEXEC));
    if (!in.valid()) return ErrnoStatus(errno, "cannot reopen retry spool", path_);
    std::string buf;
    size_t pos = 0;
    bool eof = false;
    KvBatch batch;
    // Ensures `n` unread bytes are buffered; false at a clean end of file.
    auto need = [&](size_t n) -> Result<bool> {
      while (buf.size() - pos < n && !eof) {
        buf.erase(0, pos);
        pos = 0;
        const size_t old = buf.size();
        buf.resize(old + std::max(n, kSpoolBufferBytes));
        ssize_t got;
        do {
          got = ::read(in.get(), buf.data() + old, buf.size() - old);
        } while (got < 0 && errno == EINTR);
        if (got < 0) return ErrnoStatus(errno, "cannot read retry spool", path_);
        buf.resize(old + static_cast<size_t>(got));
        if (got == 0) eof = true;
      }
      return buf.size() - pos >= n;
    };
    for (;;) {
      Result<bool> header = need(16);
      if (!header.ok()) return header.status();
      if (!*header) {
        if (buf.size() != pos) break;  // trailing bytes: reported below
        if (!batch.empty()) SHARDY_RETURN_IF_ERROR(sink(batch));
        return Status::OK();
      }
      const uint64_t klen = GetU64(buf.data() + pos);
      const uint64_t vlen = GetU64(buf.data() + pos + 8);
      Result<bool> body = need(16 + klen + vlen);
      if (!body.ok()) return body.status();
      if (!*body) break;
      batch.Add(std::string_view(buf.data() + pos + 16, klen),
                std::string_view(buf.data() + pos + 16 + klen, vlen));
      pos += 16 + klen + vlen;
      if (batch.size() >= batch_size) {
        SHARDY_RETURN_IF_ERROR(sink(batch));
        batch.Clear();
      }
    }
    return Status(ErrorCode::kInternal, "retry spool " + path_ + " ends inside a record");
  }

 private:
  const std::string path_;
  bool created_ = false;
};

ShardAttempts::ShardAttempts(const ShardAttemptEnv* env, uint32_t db_id)
    : env_(env), db_id_(db_id) {
  if (env_->retry.max_retries > 0) {
    spool_ = std::make_unique<Spool>(env_->local_run_dir + "/_retry_spool/" +
                                     env_->db_path.Format(db_id) + ".bin");
  }
}

ShardAttempts::~ShardAttempts() { Abandon(); }

int64_t ShardAttempts::duration_ms() const { return NowMs(env_->clock) - opened_at_ms_; }

void ShardAttempts::Emit(std::string_view event,
                         std::vector<std::pair<std::string_view, double>> numbers) const {
  if (env_->emit) env_->emit(event, std::move(numbers));
}

Status ShardAttempts::Wrap(const char* what, const Status& st) const {
  return Status(ErrorCode::kShardWrite,
                std::string("Shard ") + what + " failed for db_id=" + std::to_string(db_id_) +
                    " (" + AttemptDirName(attempt_) + "): " + st.message(),
                st.retryable());
}

Status ShardAttempts::Open() {
  attempts_.push_back(std::make_shared<CreatedObjectsStore>(env_->store));
  if (env_->claim_attempts) {
    // The claim is the attempt's first object: deleted with it if it loses.
    PutOptions claim;
    claim.condition = PutCondition::kIfAbsent;
    claim.content_type = "text/plain";
    for (int taken = 0;; ++taken) {
      const std::string key =
          StagedClaimKey(env_->root_key, env_->shard_prefix, env_->run_id, db_id_, attempt_);
      Result<std::string> put = attempts_.back()->Put(key, env_->run_id + "\n", claim);
      if (put.ok()) break;
      if (put.status().code() != ErrorCode::kPreconditionFailed || taken >= 1000) {
        return Wrap("claim", put.status());
      }
      ++attempt_;  // another process writes this attempt
    }
  }
  SHARDY_ASSIGN_OR_RETURN(ShardWriterContext ctx, Context());
  opened_at_ms_ = NowMs(env_->clock);
  Result<std::unique_ptr<ShardWriter>> w = env_->factory->Open(ctx);
  if (!w.ok()) return Wrap("open", w.status());
  writer_ = std::move(w).value();
  return Status::OK();
}

Result<ShardWriterContext> ShardAttempts::Context() {
  db_key_ =
      AttemptKey(env_->root_key, env_->shard_prefix, env_->run_id, env_->db_path, db_id_, attempt_);
  ShardWriterContext ctx;
  ctx.store = attempts_.back();
  ctx.db_key = db_key_;
  ctx.local_dir =
      env_->local_run_dir + "/" + env_->db_path.Format(db_id_) + "/" + AttemptDirName(attempt_);
  std::error_code ec;
  std::filesystem::create_directories(ctx.local_dir, ec);
  if (ec) {
    return Status(ErrorCode::kShardWrite,
                  "cannot create local staging directory " + ctx.local_dir + ": " + ec.message(),
                  false);
  }
  return ctx;
}

Result<nlohmann::json> ShardAttempts::Checkpoint() {
  if (!writer_) {
    return Status(ErrorCode::kInvalidArgument,
                  "Checkpoint of db_id=" + std::to_string(db_id_) + " without an open attempt");
  }
  nlohmann::json j = {{"attempt", attempt_},
                      {"opened", attempts_.size()},
                      {"superseded", SupersededObjects()},
                      {"created", CurrentObjects()},
                      {"spool_bytes", nullptr}};
  if (spool_) {
    Result<uint64_t> length = spool_->Sync();
    if (!length.ok()) return Wrap("checkpoint", length.status());
    j["spool_bytes"] = *length;
  }
  Result<std::string> state = writer_->Checkpoint();
  if (!state.ok()) return Wrap("checkpoint", state.status());
  j["writer"] = std::move(state).value();
  return j;
}

Status ShardAttempts::Resume(const nlohmann::json& j) {
  const bool valid = j.is_object() && j["attempt"].is_number_unsigned() &&
                     j["opened"].is_number_unsigned() && j["opened"].get<uint64_t>() >= 1 &&
                     j["superseded"].is_array() && j["created"].is_array() &&
                     j["writer"].is_string() &&
                     (j["spool_bytes"].is_null() || j["spool_bytes"].is_number_unsigned());
  if (!valid) {
    return Status(ErrorCode::kShardWrite,
                  "the checkpoint of db_id=" + std::to_string(db_id_) + " is damaged");
  }
  if (spool_ && j["spool_bytes"].is_null()) {
    return Status(ErrorCode::kConfigValidation,
                  "the build was checkpointed without shard retries (max_retries 0); resume it "
                  "with the same retry setting");
  }
  attempt_ = j["attempt"].get<int64_t>();
  const auto created = j["created"].get<std::vector<std::string>>();
  for (uint64_t i = 1; i < j["opened"].get<uint64_t>(); ++i) {
    attempts_.push_back(std::make_shared<CreatedObjectsStore>(env_->store));
    if (i == 1) attempts_.back()->Adopt(j["superseded"].get<std::vector<std::string>>());
  }
  attempts_.push_back(std::make_shared<CreatedObjectsStore>(env_->store));
  attempts_.back()->Adopt(created);
  SHARDY_ASSIGN_OR_RETURN(ShardWriterContext ctx, Context());
  auto wrapped = [&](const Status& st) { return st.ok() ? st : Wrap("resume", st); };
  if (spool_) SHARDY_RETURN_IF_ERROR(wrapped(spool_->Adopt(j["spool_bytes"].get<uint64_t>())));
  opened_at_ms_ = NowMs(env_->clock);
  Result<std::unique_ptr<ShardWriter>> w =
      env_->factory->Resume(ctx, j["writer"].get<std::string>());
  if (!w.ok()) {
    if (w.status().code() == ErrorCode::kConfigValidation) return w.status();
    return Wrap("resume", w.status());
  }
  writer_ = std::move(w).value();
  return Status::OK();
}

void ShardAttempts::Detach() {
  if (writer_) writer_->Detach();
  writer_.reset();
  if (spool_) spool_->Detach();
  spool_.reset();
}

Status ShardAttempts::Replay() {
  if (!spool_) return Status::OK();
  return spool_->ForEachBatch(env_->replay_batch_size, [this](const KvBatch& b) -> Status {
    Status st = writer_->WriteBatch(b);
    return st.ok() ? st : Wrap("write", st);
  });
}

// Abandons the failed attempt and opens the next one with the spool
// replayed, as long as retries remain and the failures are retryable.
Status ShardAttempts::NextAttempt(const Status& cause) {
  Status last = cause;
  for (;;) {
    // This process's attempts of the shard (claimed attempt numbers may skip
    // those of other processes).
    const int64_t attempts = static_cast<int64_t>(attempts_.size());
    if (!last.retryable() || spool_ == nullptr) return last;
    if (attempts - 1 >= static_cast<int64_t>(env_->retry.max_retries)) {
      Emit(metric_events::kWriteShardRetryExhausted,
           {{"db_id", static_cast<double>(db_id_)}, {"attempts", static_cast<double>(attempts)}});
      return Status(ErrorCode::kShardWrite,
                    "Shard write failed for db_id=" + std::to_string(db_id_) + " after " +
                        std::to_string(attempts) + " attempts: " + last.message(),
                    last.retryable());
    }
    if (writer_) writer_->Abandon();
    writer_.reset();
    // What the failed attempt uploaded is never referenced; the build's
    // cleanup deletes it again if this fails.
    DeleteBestEffort(*attempts_.back(), attempts_.back()->created(), "attempt_cleanup");
    const double backoff =
        env_->retry.initial_backoff_seconds *
        std::pow(env_->retry.backoff_multiplier, static_cast<double>(attempts - 1));
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.3g", backoff);
    Log(LogLevel::kWarning, "db_id=" + std::to_string(db_id_) + " " + AttemptDirName(attempt_) +
                                " failed (" + last.message() + "); retrying in " + seconds + " s");
    if (!env_->clock->SleepFor(backoff, env_->stop)) {
      return Status(ErrorCode::kShardWrite,
                    "Shard retry for db_id=" + std::to_string(db_id_) +
                        " stopped because the build failed; last cause: " + last.message(),
                    false);
    }
    ++attempt_;
    Emit(metric_events::kWriteShardRetried, {{"db_id", static_cast<double>(db_id_)},
                                             {"attempt", static_cast<double>(attempt_)},
                                             {"backoff_s", backoff}});
    last = Open();
    if (last.ok()) last = Replay();
    if (last.ok()) return last;
  }
}

Status ShardAttempts::WithRetries(const std::function<Status()>& op, bool again_after_replay) {
  Status st = writer_ ? Status::OK() : Open();
  if (st.ok()) st = op();
  while (!st.ok()) {
    SHARDY_RETURN_IF_ERROR(NextAttempt(st));
    if (!again_after_replay) return Status::OK();
    st = op();
  }
  return st;
}

Status ShardAttempts::Write(const KvBatch& batch) {
  if (batch.empty()) return Status::OK();
  if (spool_) {
    Status spooled = spool_->Append(batch);
    if (!spooled.ok()) {
      return Status(
          ErrorCode::kShardWrite,
          "cannot spool db_id=" + std::to_string(db_id_) + " for retries: " + spooled.message(),
          false);
    }
  }
  // The batch is in the spool: a retry's replay writes it, so it is not
  // written again after one.
  return WithRetries(
      [&]() -> Status {
        Status st = writer_->WriteBatch(batch);
        return st.ok() ? st : Wrap("write", st);
      },
      /*again_after_replay=*/false);
}

Result<SealResult> ShardAttempts::Seal() {
  SealResult sealed;
  Status st = WithRetries(
      [&]() -> Status {
        Result<SealResult> r = writer_->Seal();
        if (!r.ok()) return Wrap("seal", r.status());
        sealed = *r;
        return Status::OK();
      },
      /*again_after_replay=*/true);
  writer_.reset();
  spool_.reset();
  if (!st.ok()) return st;
  return sealed;
}

std::vector<std::string> ShardAttempts::CreatedObjects() const {
  std::vector<std::string> keys = SupersededObjects();
  std::vector<std::string> current = CurrentObjects();
  keys.insert(keys.end(), current.begin(), current.end());
  return keys;
}

std::vector<std::string> ShardAttempts::CurrentObjects() const {
  return attempts_.empty() ? std::vector<std::string>() : attempts_.back()->created();
}

std::vector<std::string> ShardAttempts::SupersededObjects() const {
  std::vector<std::string> keys;
  for (size_t i = 0; i + 1 < attempts_.size(); ++i) {
    std::vector<std::string> k = attempts_[i]->created();
    keys.insert(keys.end(), k.begin(), k.end());
  }
  return keys;
}

void ShardAttempts::Abandon() {
  if (writer_) writer_->Abandon();
  writer_.reset();
  spool_.reset();
}

}  // namespace shardyfusion
