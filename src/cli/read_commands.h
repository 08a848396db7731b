// shardy's read commands (get, multiget, info, shards, route, history) as
// library functions: each opens what it needs from the `_CURRENT` URL, prints
// one result object (output.h) on `out` or an error object on `err`, and
// returns the process exit code.
//
// Thread-safety: the functions share no state; distinct calls may run
// concurrently with distinct streams.
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "cli/output.h"
#include "shardyfusion/key.h"
#include "shardyfusion/manifest.h"
#include "shardyfusion/reader.h"
#include "shardyfusion/s3.h"
#include "shardyfusion/status.h"

namespace shardyfusion::cli {

struct ReadContext {
  std::string current_url;  // full URL of the `_CURRENT` object
  OutputOptions output;
  std::string local_root;  // reader cache; empty = the library default
  // Pins (mutually exclusive): a manifest URL, or the Nth newest manifest.
  std::optional<std::string> ref;
  std::optional<uint64_t> offset;
  S3Config s3;  // for s3:// URLs
  // get, multiget, route: --routing-context NAME=VALUE arguments, read by the
  // snapshot's declared column types (cel_command.h).
  std::vector<std::string> routing_context;
};

// Splits a `_CURRENT` URL at its last '/' into the snapshot prefix and the
// pointer's name. A URL without a '/' or ending in one is kInvalidArgument.
Result<std::pair<std::string, std::string>> SplitCurrentUrl(const std::string& url);

// One reader shared by several commands (the interactive mode): opened on
// the first command that needs it, kept until the pin changes.
class ReadSession {
 public:
  explicit ReadSession(ReadContext ctx);
  ~ReadSession();
  const ReadContext& ctx() const { return ctx_; }
  // The reader, opened on first use with ctx()'s pin.
  Result<ShardedReader*> Reader();
  // Pins another manifest (or none: `_CURRENT`); the next Reader() opens it.
  void Repin(std::optional<std::string> ref, std::optional<uint64_t> offset);

 private:
  ReadContext ctx_;
  std::unique_ptr<ShardedReader> reader_;
};

// The manifest store of the snapshot `ctx.current_url` names.
Result<ManifestStore> OpenManifestStore(const ReadContext& ctx);

// The lookup key for a command-line argument under the snapshot's encoding:
// u64be/u32be need an integer, raw takes the text's UTF-8 bytes, utf8 the
// text. A non-integer is kInvalidArgument naming the argument.
Result<Key> CoerceKey(KeyEncoding encoding, const std::string& arg);

// Each command also runs in a session, on its reader.
int RunGet(ReadSession& session, const std::string& key, bool strict, std::ostream& out,
           std::ostream& err);
int RunMultiGet(ReadSession& session, const std::vector<std::string>& keys, std::istream& in,
                std::ostream& out, std::ostream& err);
int RunInfo(ReadSession& session, std::ostream& out, std::ostream& err);
int RunShards(ReadSession& session, std::ostream& out, std::ostream& err);
int RunRoute(ReadSession& session, const std::string& key, std::ostream& out, std::ostream& err);
int RunHealth(ReadSession& session, std::optional<uint64_t> staleness_threshold_seconds,
              std::ostream& out, std::ostream& err);

int RunGet(const ReadContext& ctx, const std::string& key, bool strict, std::ostream& out,
           std::ostream& err);
// `keys` == {"-"} reads the keys from `in`, one per line (empty lines skipped).
int RunMultiGet(const ReadContext& ctx, const std::vector<std::string>& keys, std::istream& in,
                std::ostream& out, std::ostream& err);
int RunInfo(const ReadContext& ctx, std::ostream& out, std::ostream& err);
int RunShards(const ReadContext& ctx, std::ostream& out, std::ostream& err);
int RunRoute(const ReadContext& ctx, const std::string& key, std::ostream& out, std::ostream& err);
int RunHistory(const ReadContext& ctx, uint64_t limit, std::ostream& out, std::ostream& err);
// {"op":"health","status","manifest_ref","manifest_age_seconds","num_shards",
// "is_closed","reasons"} (ShardedReader::Health). Exit 0 healthy, 1 degraded,
// 2 unhealthy: the snapshot cannot be opened (the error is the reason).
int RunHealth(const ReadContext& ctx, std::optional<uint64_t> staleness_threshold_seconds,
              std::ostream& out, std::ostream& err);

}  // namespace shardyfusion::cli
