#include "cli/build_command.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include "cli/progress.h"
#include "shardyfusion/sqlite_backend.h"

namespace shardyfusion::cli {

namespace {

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

void PrintError(std::ostream& err, const Status& status) {
  err << "shardy build: " << status.ToString() << '\n';
}

// The input stream: `in` for "-", else the opened file (kept in `*file`).
Result<std::istream*> OpenInput(const std::string& input, std::istream& in,
                                std::unique_ptr<std::ifstream>* file) {
  if (input == "-") return &in;
  *file = std::make_unique<std::ifstream>(input, std::ios::binary);
  if (!**file) {
    return Status(ErrorCode::kInvalidArgument,
                  fmt::format("cannot open input file \"{}\": {}", input, std::strerror(errno)));
  }
  return static_cast<std::istream*>(file->get());
}

// The first of the two passes --max-keys-per-shard needs: the shard count is
// derived from the record count before the writer opens.
Result<uint64_t> CountRecords(const BuildArgs& args) {
  std::ifstream file(args.input, std::ios::binary);
  if (!file) {
    return Status(ErrorCode::kInvalidArgument, fmt::format("cannot open input file \"{}\": {}",
                                                           args.input, std::strerror(errno)));
  }
  std::unique_ptr<RecordSource> source = NewRecordSource(args.format, &file);
  Record record;
  uint64_t count = 0;
  for (;;) {
    SHARDY_ASSIGN_OR_RETURN(bool more, source->Next(&record));
    if (!more) return count;
    ++count;
  }
}

Result<std::shared_ptr<ShardWriterFactory>> WriterFactoryFor(const BuildArgs& args) {
  if (args.backend == "sqlite") {
    SqliteWriterOptions options;
    options.sort_memory_bytes = args.sort_memory_bytes;
    return NewSqliteWriterFactory(options);
  }
  if (args.backend == "slatedb") {
    SlateDbWriterOptions options = args.slatedb;
    options.sort_memory_bytes = args.sort_memory_bytes;
    return NewSlateDbWriterFactory(options);
  }
  const std::string& backend = args.backend;
  return Status(ErrorCode::kConfigValidation,
                fmt::format("unknown backend \"{}\" (supported: slatedb, sqlite)", backend));
}

// Feeds every record of `source` to `writer`. On error the caller aborts.
Status WriteRecords(RecordSource* source, const RecordMapping& mapping, HashShardedWriter* writer,
                    Progress* progress, uint64_t* records) {
  Record record;
  Key key;
  std::string value;
  for (;;) {
    SHARDY_ASSIGN_OR_RETURN(bool more, source->Next(&record));
    if (!more) return Status::OK();
    SHARDY_RETURN_IF_ERROR(ExtractKey(mapping, record, &key));
    SHARDY_RETURN_IF_ERROR(ExtractValue(mapping, record, &value));
    Status st = writer->Add(key, value);
    if (!st.ok()) return st.annotate(fmt::format("line {}", record.line));
    ++*records;
    progress->Update(*records);
  }
}

}  // namespace

std::optional<SlateDbCompression> ParseSlateDbCompression(std::string_view name) {
  if (name == "none") return SlateDbCompression::kNone;
  if (name == "snappy") return SlateDbCompression::kSnappy;
  if (name == "zlib") return SlateDbCompression::kZlib;
  if (name == "lz4") return SlateDbCompression::kLz4;
  if (name == "zstd") return SlateDbCompression::kZstd;
  return std::nullopt;
}

nlohmann::ordered_json BuildResultToJson(const BuildResult& result) {
  nlohmann::ordered_json winners = nlohmann::ordered_json::array();
  for (const ShardMeta& w : result.winners) {
    winners.push_back({{"db_id", w.db_id},
                       {"db_url", w.db_url ? nlohmann::ordered_json(*w.db_url) : nullptr},
                       {"row_count", w.row_count},
                       {"db_bytes", w.db_bytes}});
  }
  const BuildDurations& d = result.stats.durations;
  return {{"run_id", result.run_id},
          {"num_dbs", result.num_dbs},
          {"manifest_ref", result.manifest_ref},
          {"rows_written", result.stats.rows_written},
          {"num_winners", result.stats.num_winners},
          {"winners", std::move(winners)},
          {"durations",
           {{"write_ms", d.write_ms}, {"manifest_ms", d.manifest_ms}, {"total_ms", d.total_ms}}}};
}

int RunBuild(const BuildArgs& args, std::istream& in, std::ostream& out, std::ostream& err,
             bool progress_enabled) {
  if (args.num_dbs.has_value() == args.max_keys_per_shard.has_value()) {
    err << "shardy build: exactly one of --num-dbs and --max-keys-per-shard is required\n";
    return kExitUsage;
  }
  if (args.max_keys_per_shard && args.input == "-") {
    err << "shardy build: --max-keys-per-shard needs the record count up front, which stdin "
           "cannot give; use --num-dbs, or pass the input as a file\n";
    return kExitUsage;
  }

  HashShardedWriteConfig config;
  config.s3_prefix = args.prefix;
  if (args.prefix.starts_with("s3://")) {
    Result<StoreLocation> loc = OpenStoreForUrl(args.prefix, args.s3);
    if (!loc.ok()) {
      PrintError(err, loc.status());
      return kExitUsage;
    }
    config.store = loc->store;
  }
  config.run_id = args.run_id;
  config.local_root = args.local_root;
  config.key_encoding = args.key_encoding.value_or(DefaultKeyEncoding(args.mapping.key_type));
  config.batch_size = args.batch_size;
  config.num_dbs = args.num_dbs;
  config.max_keys_per_shard = args.max_keys_per_shard;
  Result<std::shared_ptr<ShardWriterFactory>> factory = WriterFactoryFor(args);
  if (!factory.ok()) {
    PrintError(err, factory.status());
    return kExitUsage;
  }
  config.adapter_factory = *factory;
  WriteOptions options;
  options.max_total_batched_items = args.max_total_batched_items;
  options.max_total_batched_bytes = args.max_total_batched_bytes;

  std::optional<uint64_t> record_count;
  if (args.max_keys_per_shard) {
    Result<uint64_t> count = CountRecords(args);
    if (!count.ok()) {
      PrintError(err, count.status());
      return kExitError;
    }
    record_count = *count;
  }

  std::unique_ptr<std::ifstream> file;
  Result<std::istream*> input = OpenInput(args.input, in, &file);
  if (!input.ok()) {
    PrintError(err, input.status());
    return kExitError;
  }
  Result<std::unique_ptr<HashShardedWriter>> writer =
      HashShardedWriter::Open(config, options, record_count);
  if (!writer.ok()) {
    PrintError(err, writer.status());
    return kExitError;
  }

  std::unique_ptr<RecordSource> source = NewRecordSource(args.format, *input);
  Progress progress(&err, progress_enabled);
  uint64_t records = 0;
  Status st = WriteRecords(source.get(), args.mapping, writer->get(), &progress, &records);
  progress.Finish(records);
  if (!st.ok()) {
    (*writer)->Abort();
    PrintError(err, st);
    return kExitError;
  }
  Result<BuildResult> result = (*writer)->Finish();
  if (!result.ok()) {
    PrintError(err, result.status());
    return kExitError;
  }
  out << BuildResultToJson(*result).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
      << '\n';
  return 0;
}

}  // namespace shardyfusion::cli
