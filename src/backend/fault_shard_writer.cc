#include "backend/fault_shard_writer.h"

#include <thread>

#include "core/status_internal.h"

namespace shardyfusion {

namespace {

class FaultInjectingShardWriter : public ShardWriter {
 public:
  FaultInjectingShardWriter(FaultInjectingShardWriterFactory* factory, std::string db_key,
                            std::unique_ptr<ShardWriter> base)
      : factory_(factory), db_key_(std::move(db_key)), base_(std::move(base)) {}

  Status WriteBatch(const KvBatch& batch) override {
    SHARDY_RETURN_IF_ERROR(factory_->Check(ShardFault::Stage::kWriteBatch, db_key_));
    return base_->WriteBatch(batch);
  }
  Result<SealResult> Seal() override {
    SHARDY_RETURN_IF_ERROR(factory_->Check(ShardFault::Stage::kSeal, db_key_));
    return base_->Seal();
  }
  void Abandon() override { base_->Abandon(); }

 private:
  FaultInjectingShardWriterFactory* factory_;
  std::string db_key_;
  std::unique_ptr<ShardWriter> base_;
};

}  // namespace

FaultInjectingShardWriterFactory::FaultInjectingShardWriterFactory(
    std::shared_ptr<ShardWriterFactory> base)
    : base_(std::move(base)) {}

void FaultInjectingShardWriterFactory::AddFault(ShardFault fault) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back(Active{std::move(fault), 0});
}

int FaultInjectingShardWriterFactory::FaultsInjected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return injected_;
}

int FaultInjectingShardWriterFactory::Calls(ShardFault::Stage stage) const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_[static_cast<int>(stage)];
}

Status FaultInjectingShardWriterFactory::Check(ShardFault::Stage stage, const std::string& db_key) {
  std::chrono::milliseconds delay{0};
  Status error;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_[static_cast<int>(stage)];
    bool fired = false;
    for (Active& a : faults_) {
      if (a.fault.stage != stage || db_key.find(a.fault.db_key_contains) == std::string::npos) {
        continue;
      }
      ++a.matched;
      if (!fired && (a.fault.nth == 0 || a.matched == a.fault.nth)) {
        fired = true;
        delay = a.fault.delay;
        error = a.fault.error;
      }
    }
    if (!fired) return Status::OK();
    ++injected_;
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  if (error.ok()) return error;
  return error.annotate("shard " + db_key);
}

Result<std::unique_ptr<ShardWriter>> FaultInjectingShardWriterFactory::Open(
    const ShardWriterContext& ctx) {
  SHARDY_RETURN_IF_ERROR(Check(ShardFault::Stage::kOpen, ctx.db_key));
  SHARDY_ASSIGN_OR_RETURN(auto base, base_->Open(ctx));
  return std::unique_ptr<ShardWriter>(
      new FaultInjectingShardWriter(this, ctx.db_key, std::move(base)));
}

}  // namespace shardyfusion
