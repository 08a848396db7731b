// The SlateDB shard writer: batches become sorted runs (in memory within the
// factory's budget, else on local disk); runs are merged into SSTs under
// compacted/ and the V1 manifest is created last. See slatedb_backend.h for
// the two modes.

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "backend/run_shard_writer.h"
#include "backend/slatedb/manifest.h"
#include "backend/slatedb/sst_builder.h"
#include "core/base64.h"
#include "core/status_internal.h"
#include "shardyfusion/slatedb_backend.h"
#include "storage/file_store.h"
#include "storage/lost_reply.h"

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
  if (etag.ok() || HoldsExactly(*store, key, bytes)) return Status::OK();
  return etag.status().annotate("creating SlateDB manifest " + store->Url(key));
}

class SlateDbShardWriter : public RunShardWriter {
 public:
  SlateDbShardWriter(const SlateDbWriterOptions& options, const ShardWriterContext& ctx,
                     std::shared_ptr<RunMemoryBudget> budget)
      : RunShardWriter("SlateDB", ctx, std::move(budget)),
        options_(options),
        sst_options_(SstOptionsFor(options)) {}

  ~SlateDbShardWriter() override { Abandon(); }

  Status Open();

 private:
  bool direct() const { return options_.mode == SlateDbWriteMode::kDirect; }
  Status CheckBatch(const KvBatch& batch) override { return CheckKeys(batch); }
  Status AfterRun(uint64_t input_bytes) override;
  Result<SealResult> SealRuns() override;
  void OnAbandon() override;
  void OnCleanup() override;
  Result<nlohmann::json> CheckpointState() override;
  Status RestoreState(const nlohmann::json& state) override;
  // Merges `runs` (oldest first) into SSTs whose rows all carry `seq`,
  // starting a new SST past `split_bytes`, and places each in the build
  // store. Returns them in key order.
  Result<std::vector<SstHandle>> WriteSsts(std::vector<SortedRun> runs, uint64_t seq,
                                           uint64_t split_bytes);
  // Moves a finished local SST to compacted/<ULID>.sst in the build store.
  Result<SstHandle> PlaceSst(SstBuilder* builder, const SstSummary& summary);
  // kDirect: the buffered runs become the newest L0 SST.
  Status FlushL0();
  // Creates the manifest at the attempt (the commit point); returns its size.
  Result<uint64_t> CommitManifest(uint64_t last_seq, std::vector<SstHandle> sorted_run);
  // kLocal: uploads every staged SST to the attempt.
  Status UploadStaged();

  const SlateDbWriterOptions options_;
  const SstBuilderOptions sst_options_;
  // Where SSTs and the manifest are written: the shard's prefix (kDirect) or
  // the local staging store (kLocal).
  std::shared_ptr<ObjectStore> build_store_;
  std::string build_root_;
  uint64_t buffered_bytes_ = 0;  // input bytes of the runs not yet in an SST
  // kDirect: newest first; the i-th L0 from the end carries seq i + 1.
  std::vector<SstHandle> l0_;
  uint64_t sst_bytes_ = 0;
  std::vector<std::string> staged_;    // kLocal: SST names under build_root_, to upload
  std::vector<std::string> uploaded_;  // object keys written to ctx_.store
};

Status SlateDbShardWriter::Open() {
  SHARDY_RETURN_IF_ERROR(CreateLocalDir());
  if (direct()) {
    build_store_ = ctx_.store;
    build_root_ = ctx_.db_key;
    return Status::OK();
  }
  std::error_code ec;
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

Status SlateDbShardWriter::AfterRun(uint64_t input_bytes) {
  buffered_bytes_ += input_bytes;
  if (direct() && buffered_bytes_ >= options_.l0_sst_size_bytes) return FlushL0();
  return Status::OK();
}

Status SlateDbShardWriter::FlushL0() {
  if (!has_runs()) return Status::OK();
  std::vector<SortedRun> runs = TakeRuns();
  buffered_bytes_ = 0;
  // One L0 SST whatever its size: its rows share one sequence number.
  SHARDY_ASSIGN_OR_RETURN(std::vector<SstHandle> ssts,
                          WriteSsts(std::move(runs), l0_.size() + 1, UINT64_MAX));
  if (!ssts.empty()) l0_.insert(l0_.begin(), std::move(ssts.front()));
  return Status::OK();
}

Result<std::vector<SstHandle>> SlateDbShardWriter::WriteSsts(std::vector<SortedRun> runs,
                                                             uint64_t seq, uint64_t split_bytes) {
  SHARDY_RETURN_IF_ERROR(MergeRunsInPasses(&runs, options_.max_merge_fan_in, SpoolNamer()));
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
  const std::string name = slatedb::CompactedName(handle.id);
  const std::string key = build_root_ + "/" + name;
  PutOptions put;
  put.source_disposable = true;  // deleted right after
  Result<std::string> etag = build_store_->PutFile(key, builder->path(), put);
  ::unlink(builder->path().c_str());
  if (!etag.ok()) {
    return etag.status().annotate("uploading SlateDB SST " + builder->path() + " to " +
                                  build_store_->Url(key));
  }
  (direct() ? uploaded_ : staged_).push_back(direct() ? key : name);
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
  const std::string bytes = slatedb::EncodeManifestV1(m);
  // Created at the attempt itself in both modes: kLocal has uploaded its
  // SSTs by now, and the manifest is the commit point.
  const std::string key = ctx_.db_key + "/" + slatedb::ManifestName(1);
  SHARDY_RETURN_IF_ERROR(CreateManifest(ctx_.store.get(), key, bytes));
  uploaded_.push_back(key);
  return bytes.size();
}

Result<SealResult> SlateDbShardWriter::SealRuns() {
  uint64_t last_seq = 0;
  std::vector<SstHandle> sorted_run;
  if (direct()) {
    SHARDY_RETURN_IF_ERROR(FlushL0());
    last_seq = l0_.size();
  } else {
    SHARDY_ASSIGN_OR_RETURN(sorted_run, WriteSsts(TakeRuns(), 1, options_.max_sst_size_bytes));
    last_seq = sorted_run.empty() ? 0 : 1;
    SHARDY_RETURN_IF_ERROR(UploadStaged());
  }
  SHARDY_ASSIGN_OR_RETURN(uint64_t manifest_bytes, CommitManifest(last_seq, std::move(sorted_run)));
  SealResult result;
  result.db_bytes = sst_bytes_ + manifest_bytes;
  return result;
}

Status SlateDbShardWriter::UploadStaged() {
  for (const std::string& name : staged_) {
    const std::string dest = ctx_.db_key + "/" + name;
    const std::string path = "/" + build_root_ + "/" + name;
    PutOptions put;
    put.source_disposable = true;  // the staging directory is removed after
    Result<std::string> etag = ctx_.store->PutFile(dest, path, put);
    if (!etag.ok()) {
      return etag.status().annotate("uploading staged SlateDB SST " + path + " to " +
                                    ctx_.store->Url(dest));
    }
    uploaded_.push_back(dest);
  }
  return Status::OK();
}

// Direct mode: the L0 SSTs uploaded so far, as a SlateDB manifest holding
// them (base64), and the objects written. Local mode uploads nothing before
// the seal.
Result<nlohmann::json> SlateDbShardWriter::CheckpointState() {
  nlohmann::json j = {{"mode", direct() ? "direct" : "local"}, {"buffered_bytes", buffered_bytes_}};
  if (direct()) {
    DbManifest m;
    m.l0 = l0_;
    j["l0_manifest"] = Base64Encode(slatedb::EncodeManifestV1(m));
    j["uploaded"] = uploaded_;
    j["sst_bytes"] = sst_bytes_;
  }
  return j;
}

Status SlateDbShardWriter::RestoreState(const nlohmann::json& j) {
  const char* mode = direct() ? "direct" : "local";
  if (!j.is_object() || !j["mode"].is_string() || !j["buffered_bytes"].is_number_unsigned()) {
    return Status(ErrorCode::kShardWrite, "the SlateDB checkpoint of " + Where() + " is damaged");
  }
  if (j["mode"].get<std::string>() != mode) {
    return Status(ErrorCode::kConfigValidation,
                  "the checkpoint of " + Where() + " was written in SlateDB " +
                      j["mode"].get<std::string>() + " mode, this build uses " + mode +
                      " mode; resume with the mode the build started with");
  }
  buffered_bytes_ = j["buffered_bytes"].get<uint64_t>();
  if (!direct()) return Status::OK();
  std::optional<std::string> bytes;
  if (j["l0_manifest"].is_string()) bytes = Base64Decode(j["l0_manifest"].get<std::string>());
  if (!bytes || !j["uploaded"].is_array() || !j["sst_bytes"].is_number_unsigned()) {
    return Status(ErrorCode::kShardWrite, "the SlateDB checkpoint of " + Where() + " is damaged");
  }
  SHARDY_ASSIGN_OR_RETURN(DbManifest m,
                          slatedb::DecodeManifest(*bytes, "the checkpoint of " + Where()));
  l0_ = std::move(m.l0);
  uploaded_ = j["uploaded"].get<std::vector<std::string>>();
  sst_bytes_ = j["sst_bytes"].get<uint64_t>();
  return Status::OK();
}

void SlateDbShardWriter::OnAbandon() {
  // Without a manifest the uploaded SSTs are unreachable; remove them so a
  // failed attempt leaves nothing behind (best effort: a loser cleanup of
  // the attempt prefix catches what remains).
  if (!uploaded_.empty()) (void)ctx_.store->Delete(uploaded_);
  uploaded_.clear();
}

void SlateDbShardWriter::OnCleanup() {
  if (!direct() && !build_root_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all("/" + build_root_, ec);
  }
}

}  // namespace

std::shared_ptr<ShardWriterFactory> NewSlateDbWriterFactory(SlateDbWriterOptions options) {
  return std::make_shared<RunShardWriterFactory<SlateDbShardWriter, SlateDbWriterOptions>>(
      "slatedb", "SlateDB", options, ValidateOptions, KeyLimits{1, slatedb::kMaxKeyBytes});
}

}  // namespace shardyfusion
