// The SlateDB shard writer: batches become sorted runs (in memory within the
// factory's budget, else on local disk); runs are merged into SSTs under
// compacted/ and the V1 manifest is created last. See slatedb_backend.h for
// the two modes.

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "backend/slatedb/manifest.h"
#include "backend/slatedb/sst_builder.h"
#include "core/sorted_run.h"
#include "shardyfusion/slatedb_backend.h"
#include "storage/file_store.h"

namespace shardyfusion {

namespace {

using slatedb::DbManifest;
using slatedb::SstBuilder;
using slatedb::SstBuilderOptions;
using slatedb::SstHandle;
using slatedb::SstSummary;

uint64_t UnixMillis() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

SstBuilderOptions SstOptionsFor(const SlateDbWriterOptions& o) {
  SstBuilderOptions s;
  s.block_size = o.block_size;
  s.compression = static_cast<slatedb::CompressionCodec>(o.compression);
  s.bloom_bits_per_key = o.bloom_bits_per_key;
  s.min_filter_keys = o.min_filter_keys;
  return s;
}

Status ValidateOptions(const SlateDbWriterOptions& o) {
  SHARDY_RETURN_IF_ERROR(slatedb::ValidateSstBuilderOptions(SstOptionsFor(o)));
  if (o.max_merge_fan_in < 2) {
    return Status(
        ErrorCode::kConfigValidation,
        fmt::format("SlateDB max_merge_fan_in {} is invalid; use 2 or more", o.max_merge_fan_in));
  }
  if (o.l0_sst_size_bytes == 0 || o.max_sst_size_bytes == 0) {
    return Status(ErrorCode::kConfigValidation,
                  "SlateDB l0_sst_size_bytes and max_sst_size_bytes must be > 0");
  }
  return Status::OK();
}

Status CheckKeys(const KvBatch& batch) {
  for (size_t i = 0; i < batch.size(); ++i) {
    const size_t n = batch.key(i).size();
    if (n == 0 || n > slatedb::kMaxKeyBytes) {
      return Status(ErrorCode::kInvalidArgument,
                    fmt::format("a SlateDB key must be 1 to {} bytes, but one is {} bytes{}",
                                slatedb::kMaxKeyBytes, n, n == 0 ? " (an empty string key?)" : ""));
    }
  }
  return Status::OK();
}

// Creates the SlateDB manifest `key` only if absent (SlateDB's commit rule:
// the name is taken once). A conflict whose object holds exactly our bytes
// is our own earlier attempt whose reply was lost: the bytes name fresh
// random SST ids, so no other writer can have produced them.
Status CreateManifest(ObjectStore* store, const std::string& key, const std::string& bytes) {
  PutOptions put;
  put.condition = PutCondition::kIfAbsent;
  Result<std::string> etag = store->Put(key, bytes, put);
  if (etag.ok()) return Status::OK();
  if (etag.status().code() == ErrorCode::kPreconditionFailed) {
    Result<std::optional<std::string>> existing = store->Get(key);
    if (existing.ok() && existing->has_value() && **existing == bytes) return Status::OK();
  }
  return etag.status().annotate("creating SlateDB manifest " + store->Url(key));
}

class SlateDbShardWriter : public ShardWriter {
 public:
  SlateDbShardWriter(const SlateDbWriterOptions& options, const ShardWriterContext& ctx,
                     std::shared_ptr<RunMemoryBudget> budget)
      : options_(options), sst_options_(SstOptionsFor(options)), ctx_(ctx), budget_(budget) {}

  ~SlateDbShardWriter() override {
    if (state_ != State::kSealed) Abandon();
  }

  Status Open();
  Status WriteBatch(const KvBatch& batch) override;
  Result<SealResult> Seal() override;
  void Abandon() override;

 private:
  enum class State { kOpen, kSealed, kFailed, kAbandoned };

  bool direct() const { return options_.mode == SlateDbWriteMode::kDirect; }
  Result<SealResult> SealAndUpload();
  // Merges `runs` (oldest first) into SSTs whose rows all carry `seq`,
  // starting a new SST past `split_bytes`, and places each in the build
  // store. Returns them in key order.
  Result<std::vector<SstHandle>> WriteSsts(std::vector<SortedRun> runs, uint64_t seq,
                                           uint64_t split_bytes);
  // Moves a finished local SST to compacted/<ULID>.sst in the build store.
  Result<SstHandle> PlaceSst(SstBuilder* builder, const SstSummary& summary);
  // kDirect: the buffered runs become the newest L0 SST.
  Status FlushL0();
  // Creates the manifest in the build store; returns its size.
  Result<uint64_t> CommitManifest(uint64_t last_seq, std::vector<SstHandle> sorted_run);
  // kLocal: uploads every staged file, the manifest last.
  Status UploadStaged();
  void RemoveLocalFiles();
  std::string NextLocalPath(const char* kind) {
    local_paths_.push_back(
        fmt::format("{}/{}-{}.{}", ctx_.local_dir, kind, local_paths_.size(), kind));
    return local_paths_.back();
  }
  std::string Where() const { return ctx_.store->Url(ctx_.db_key); }

  const SlateDbWriterOptions options_;
  const SstBuilderOptions sst_options_;
  const ShardWriterContext ctx_;
  const std::shared_ptr<RunMemoryBudget> budget_;
  // Where SSTs and the manifest are written: the shard's prefix (kDirect) or
  // the local staging store (kLocal).
  std::shared_ptr<ObjectStore> build_store_;
  std::string build_root_;
  State state_ = State::kOpen;
  std::vector<SortedRun> runs_;  // not yet in an SST, oldest first
  uint64_t buffered_bytes_ = 0;  // input bytes of runs_
  uint64_t seq_ = 0;             // the last sequence number given to an SST
  std::vector<SstHandle> l0_;    // newest first
  uint64_t sst_bytes_ = 0;
  std::string manifest_;                  // the committed manifest's bytes
  std::vector<std::string> uploaded_;     // kDirect: object keys written to ctx_.store
  std::vector<std::string> local_paths_;  // every local path handed out, for cleanup
};

Status SlateDbShardWriter::Open() {
  std::error_code ec;
  std::filesystem::create_directories(ctx_.local_dir, ec);
  if (ec) {
    return Status(ErrorCode::kShardWrite,
                  "cannot create shard directory " + ctx_.local_dir + ": " + ec.message());
  }
  if (direct()) {
    build_store_ = ctx_.store;
    build_root_ = ctx_.db_key;
    return Status::OK();
  }
  const std::filesystem::path staging =
      std::filesystem::absolute(ctx_.local_dir, ec) / kSlateDbLocalStoreDir;
  // A leftover database would silently contribute rows to this attempt.
  std::filesystem::remove_all(staging, ec);
  if (ec) {
    return Status(ErrorCode::kShardWrite, "cannot clear SlateDB staging directory " +
                                              staging.string() + ": " + ec.message());
  }
  build_store_ = FileStore::Shared();
  build_root_ = staging.lexically_normal().string().substr(1);  // a file:// key has no leading '/'
  return Status::OK();
}

Status SlateDbShardWriter::WriteBatch(const KvBatch& batch) {
  if (state_ != State::kOpen) {
    return Status(ErrorCode::kInvalidArgument,
                  "WriteBatch on SlateDB shard " + Where() + " after Seal, Abandon or a failure");
  }
  if (batch.empty()) return Status::OK();
  Status st = CheckKeys(batch);
  if (st.ok()) {
    Result<SortedRun> run = WriteSortedRun(batch, budget_, NextLocalPath("spool"));
    if (run.ok()) {
      runs_.push_back(std::move(run).value());
      buffered_bytes_ += batch.payload_bytes();
      if (direct() && buffered_bytes_ >= options_.l0_sst_size_bytes) st = FlushL0();
    } else {
      st = run.status();
    }
  }
  // A lost batch would seal into a shard missing rows, so refuse to go on.
  if (!st.ok()) state_ = State::kFailed;
  return st;
}

Status SlateDbShardWriter::FlushL0() {
  if (runs_.empty()) return Status::OK();
  std::vector<SortedRun> runs = std::move(runs_);
  runs_.clear();
  buffered_bytes_ = 0;
  // One L0 SST whatever its size: its rows share one sequence number.
  SHARDY_ASSIGN_OR_RETURN(std::vector<SstHandle> ssts,
                          WriteSsts(std::move(runs), seq_ + 1, UINT64_MAX));
  ++seq_;
  for (SstHandle& h : ssts) l0_.insert(l0_.begin(), std::move(h));
  return Status::OK();
}

Result<std::vector<SstHandle>> SlateDbShardWriter::WriteSsts(std::vector<SortedRun> runs,
                                                             uint64_t seq, uint64_t split_bytes) {
  SHARDY_RETURN_IF_ERROR(MergeRunsInPasses(&runs, options_.max_merge_fan_in,
                                           [this] { return NextLocalPath("spool"); }));
  RunMerger merger;
  SHARDY_RETURN_IF_ERROR(merger.Open(std::move(runs)));
  std::vector<SstHandle> out;
  std::unique_ptr<SstBuilder> builder;
  while (merger.Valid()) {
    if (builder == nullptr) {
      SHARDY_ASSIGN_OR_RETURN(builder, SstBuilder::Create(NextLocalPath("sst"), sst_options_));
    }
    SHARDY_RETURN_IF_ERROR(builder->Add(merger.key(), seq, merger.value()));
    SHARDY_RETURN_IF_ERROR(merger.Next());
    if (builder->EstimatedSize() >= split_bytes || !merger.Valid()) {
      SHARDY_ASSIGN_OR_RETURN(SstSummary summary, builder->Finish());
      SHARDY_ASSIGN_OR_RETURN(SstHandle handle, PlaceSst(builder.get(), summary));
      out.push_back(std::move(handle));
      builder.reset();
    }
  }
  return out;
}

Result<SstHandle> SlateDbShardWriter::PlaceSst(SstBuilder* builder, const SstSummary& summary) {
  SstHandle handle;
  handle.id = slatedb::NewUlid(UnixMillis());
  handle.info = summary.info;
  handle.format_version = 2;  // V2 blocks
  const std::string key = build_root_ + "/" + slatedb::CompactedName(handle.id);
  PutOptions put;
  put.source_disposable = true;  // deleted right after
  Result<std::string> etag = build_store_->PutFile(key, builder->path(), put);
  ::unlink(builder->path().c_str());
  if (!etag.ok()) {
    return etag.status().annotate("uploading SlateDB SST " + builder->path() + " to " +
                                  build_store_->Url(key));
  }
  if (direct()) uploaded_.push_back(key);
  sst_bytes_ += summary.file_size;
  return handle;
}

Result<uint64_t> SlateDbShardWriter::CommitManifest(uint64_t last_seq,
                                                    std::vector<SstHandle> sorted_run) {
  DbManifest m;
  m.initialized = true;
  m.writer_epoch = 1;
  m.last_l0_seq = last_seq;  // every row at or below it is visible
  m.recent_snapshot_min_seq = last_seq;
  m.l0 = l0_;
  if (!sorted_run.empty()) m.compacted.push_back(slatedb::SortedRunMeta{0, std::move(sorted_run)});
  manifest_ = slatedb::EncodeManifestV1(m);
  const std::string key = build_root_ + "/" + slatedb::ManifestName(1);
  SHARDY_RETURN_IF_ERROR(CreateManifest(build_store_.get(), key, manifest_));
  if (direct()) uploaded_.push_back(key);
  return manifest_.size();
}

Result<SealResult> SlateDbShardWriter::Seal() {
  if (state_ != State::kOpen) {
    return Status(ErrorCode::kInvalidArgument,
                  "Seal on SlateDB shard " + Where() +
                      " that was already sealed, abandoned or failed; open a new attempt");
  }
  Result<SealResult> result = SealAndUpload();
  if (!result.ok()) {
    Abandon();
    state_ = State::kFailed;
    return result;
  }
  state_ = State::kSealed;
  RemoveLocalFiles();
  return result;
}

Result<SealResult> SlateDbShardWriter::SealAndUpload() {
  uint64_t manifest_bytes = 0;
  if (direct()) {
    SHARDY_RETURN_IF_ERROR(FlushL0());
    SHARDY_ASSIGN_OR_RETURN(manifest_bytes, CommitManifest(seq_, {}));
  } else {
    std::vector<SortedRun> runs = std::move(runs_);
    runs_.clear();
    const uint64_t seq = runs.empty() ? 0 : 1;
    SHARDY_ASSIGN_OR_RETURN(std::vector<SstHandle> ssts,
                            WriteSsts(std::move(runs), 1, options_.max_sst_size_bytes));
    SHARDY_ASSIGN_OR_RETURN(manifest_bytes, CommitManifest(seq, std::move(ssts)));
    SHARDY_RETURN_IF_ERROR(UploadStaged());
  }
  SealResult result;
  result.db_bytes = sst_bytes_ + manifest_bytes;
  return result;
}

Status SlateDbShardWriter::UploadStaged() {
  SHARDY_ASSIGN_OR_RETURN(ListResult staged, build_store_->List(build_root_ + "/", ""));
  // The manifest is the commit point: every SST must be in place before it.
  std::stable_partition(staged.objects.begin(), staged.objects.end(), [](const ObjectInfo& o) {
    return o.key.find("/manifest/") == std::string::npos;
  });
  for (const ObjectInfo& o : staged.objects) {
    const std::string rel = o.key.substr(build_root_.size() + 1);
    const std::string dest = ctx_.db_key + "/" + rel;
    if (rel == slatedb::ManifestName(1)) {
      SHARDY_RETURN_IF_ERROR(CreateManifest(ctx_.store.get(), dest, manifest_));
      uploaded_.push_back(dest);
      continue;
    }
    PutOptions put;
    put.source_disposable = true;  // the staging directory is removed after
    Result<std::string> etag = ctx_.store->PutFile(dest, "/" + o.key, put);
    if (!etag.ok()) {
      return etag.status().annotate("uploading staged SlateDB file /" + o.key + " to " +
                                    ctx_.store->Url(dest));
    }
    uploaded_.push_back(dest);
  }
  return Status::OK();
}

void SlateDbShardWriter::Abandon() {
  if (state_ == State::kSealed || state_ == State::kAbandoned) return;
  // Without a manifest the uploaded SSTs are unreachable; remove them so a
  // failed attempt leaves nothing behind (best effort: a loser cleanup of
  // the attempt prefix catches what remains).
  if (!uploaded_.empty()) (void)ctx_.store->Delete(uploaded_);
  uploaded_.clear();
  RemoveLocalFiles();
  state_ = State::kAbandoned;
}

void SlateDbShardWriter::RemoveLocalFiles() {
  runs_.clear();  // unlinks nothing: spool files are removed below
  for (const std::string& path : local_paths_) ::unlink(path.c_str());
  local_paths_.clear();
  if (!direct() && !build_root_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all("/" + build_root_, ec);
  }
  // Only succeeds when empty: files someone else put there are left alone.
  ::rmdir(ctx_.local_dir.c_str());
}

class SlateDbWriterFactory : public ShardWriterFactory {
 public:
  explicit SlateDbWriterFactory(SlateDbWriterOptions options)
      : options_(options), budget_(std::make_shared<RunMemoryBudget>(options.sort_memory_bytes)) {}

  std::string name() const override { return "slatedb"; }

  Result<std::unique_ptr<ShardWriter>> Open(const ShardWriterContext& ctx) override {
    SHARDY_RETURN_IF_ERROR(ValidateOptions(options_));
    if (ctx.store == nullptr || ctx.local_dir.empty()) {
      return Status(ErrorCode::kInvalidArgument,
                    "SlateDB shard writer for " + ctx.db_key + " needs a store and a local_dir");
    }
    auto writer = std::make_unique<SlateDbShardWriter>(options_, ctx, budget_);
    SHARDY_RETURN_IF_ERROR(writer->Open());
    return std::unique_ptr<ShardWriter>(std::move(writer));
  }

 private:
  const SlateDbWriterOptions options_;
  const std::shared_ptr<RunMemoryBudget> budget_;
};

}  // namespace

std::shared_ptr<ShardWriterFactory> NewSlateDbWriterFactory(SlateDbWriterOptions options) {
  return std::make_shared<SlateDbWriterFactory>(options);
}

}  // namespace shardyfusion
