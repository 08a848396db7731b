// Shard backends: how one shard's key/value pairs become a database in the
// object store, and how a published shard is read back.
//
// Writer side: the engine asks a ShardWriterFactory for one ShardWriter per
// shard attempt, hands it batches, then calls Seal() once. Seal() makes the
// attempt's objects complete under `db_url` (the attempt prefix) and reports
// what was written. A writer never publishes anything: only the manifest
// makes an attempt visible. Abandon() (or destroying an unsealed writer)
// releases local files and uploads nothing further.
//
// Reader side: a ShardReaderFactory opens a ShardReader for one published
// shard (its db_url and checkpoint_id from the manifest).
//
// Thread-safety: a ShardWriter is used by one thread at a time. Factories are
// thread-safe. A ShardReader's Get() may be called by many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shardyfusion/kv_batch.h"
#include "shardyfusion/object_store.h"
#include "shardyfusion/status.h"

namespace shardyfusion {

struct SealResult {
  uint64_t db_bytes = 0;  // the backend's reported size (SQLite: the .db file size)
};

class ShardWriter {
 public:
  virtual ~ShardWriter() = default;
  // Takes the pairs of `batch`; the batch may be cleared by the caller after.
  virtual Status WriteBatch(const KvBatch& batch) = 0;
  // Finishes the database and uploads whatever is still local. After a
  // successful Seal the attempt's objects are complete.
  virtual Result<SealResult> Seal() = 0;
  // Drops local state; uploads nothing further. Safe to call at any time.
  virtual void Abandon() = 0;

  // Checkpoints (WriteConfig::checkpoint, a build that can resume after a
  // crash). Makes everything the writer accepted so far durable (its local
  // files synced to disk; its uploads stay) and returns a description from
  // which ShardWriterFactory::Resume rebuilds the writer at exactly this
  // point in another process. The writer goes on accepting batches; what it
  // no longer needs after the NEXT checkpoint it deletes then, so the files
  // a description names outlive it by one checkpoint. The default refuses
  // (a backend that cannot resume).
  virtual Result<std::string> Checkpoint() {
    return Status(ErrorCode::kConfigValidation, "this shard backend cannot checkpoint");
  }
  // Forgets the writer, leaving its files and uploads as its last
  // checkpoint (or the one it resumed from) names them: a build that stops
  // to be resumed later. Uploads nothing, deletes nothing of the
  // checkpoint. The default (a backend that cannot checkpoint) abandons.
  virtual void Detach() { Abandon(); }
};

struct ShardWriterContext {
  std::shared_ptr<ObjectStore> store;
  std::string db_key;     // the attempt prefix inside `store` (db_url's key)
  std::string local_dir;  // a fresh local directory owned by this attempt
};

// The sizes of encoded key a backend can store.
struct KeyLimits {
  size_t min_bytes = 0;
  size_t max_bytes = UINT32_MAX;
};

class ShardWriterFactory {
 public:
  virtual ~ShardWriterFactory() = default;
  // "sqlite", "slatedb", ...
  virtual std::string name() const = 0;
  // The writer engine refuses a key outside these limits when its record is
  // added (so the error names the record), before it reaches a shard.
  virtual KeyLimits key_limits() const { return {}; }
  virtual Result<std::unique_ptr<ShardWriter>> Open(const ShardWriterContext& ctx) = 0;

  // Whether the writers support Checkpoint() and Resume().
  virtual bool supports_checkpoints() const { return false; }
  // Reopens an attempt from a ShardWriter::Checkpoint() description, with
  // the context of the writer that wrote it (same store, db_key and
  // local_dir), typically in a new process after the old one died. Files in
  // local_dir that the description does not name are deleted. Objects the
  // old writer uploaded after the checkpoint are not known here: the caller
  // deletes what the attempt prefix holds beyond the description's.
  // kConfigValidation when the description does not fit this factory's
  // options (another backend or mode), kShardWrite when its files are gone.
  virtual Result<std::unique_ptr<ShardWriter>> Resume(const ShardWriterContext& /*ctx*/,
                                                      std::string_view /*state*/) {
    return Status(ErrorCode::kConfigValidation, "the " + name() + " shard backend cannot resume");
  }
};

class ShardReader {
 public:
  virtual ~ShardReader() = default;
  // The value stored under the encoded key, or nullopt.
  virtual Result<std::optional<std::string>> Get(std::string_view key) = 0;
};

struct ShardReaderContext {
  std::shared_ptr<ObjectStore> store;
  std::string db_key;         // the shard's db_url, as a key inside `store`
  std::string db_url;         // the db_url exactly as in the manifest
  std::string checkpoint_id;  // cache identity, may be empty
  std::string local_dir;      // a local directory this shard may cache into
  // The manifest's db_bytes (0 = not recorded). A backend whose db_bytes is
  // the size of what it downloads (SQLite's shard.db) checks it, so a cut or
  // damaged copy is refused instead of serving wrong values.
  uint64_t db_bytes = 0;
};

class ShardReaderFactory {
 public:
  virtual ~ShardReaderFactory() = default;
  virtual std::string name() const = 0;
  virtual Result<std::unique_ptr<ShardReader>> Open(const ShardReaderContext& ctx) = 0;
};

}  // namespace shardyfusion
