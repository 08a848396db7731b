#include "cli/build_command.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <span>
#include <type_traits>

#include "cli/progress.h"
#include "cli/shardy.h"
#include "core/ids.h"
#include "core/status_internal.h"
#include "shardyfusion/sqlite_backend.h"

namespace shardyfusion::cli {

namespace {

void PrintError(std::ostream& err, const Status& status) {
  err << "shardy build: " << status.ToString() << '\n';
}

// Opens the input file `input` into `*file`.
Status OpenInputFile(const std::string& input, std::unique_ptr<std::ifstream>* file) {
  std::error_code ec;
  if (std::filesystem::is_directory(input, ec)) {
    return Status(ErrorCode::kInvalidArgument,
                  fmt::format("input \"{}\" is a directory; give a file, or - for stdin", input));
  }
  *file = std::make_unique<std::ifstream>(input, std::ios::binary);
  if (!**file) {
    return Status(ErrorCode::kInvalidArgument,
                  fmt::format("cannot open input file \"{}\": {}", input, std::strerror(errno)));
  }
  return Status::OK();
}

// The input stream: `in` for "-", else the opened file (kept in `*file`).
Result<std::istream*> OpenInput(const std::string& input, std::istream& in,
                                std::unique_ptr<std::ifstream>* file) {
  if (input == "-") return &in;
  SHARDY_RETURN_IF_ERROR(OpenInputFile(input, file));
  return static_cast<std::istream*>(file->get());
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

// An error once an interrupt signal arrived (InstallInterruptHandlers).
Status CheckInterrupt() {
  const int signal = InterruptSignal();
  if (signal == 0) return Status::OK();
  return Status(ErrorCode::kInvalidArgument,
                fmt::format("interrupted by signal {} ({}) while reading the input; nothing was "
                            "published",
                            signal, strsignal(signal)));
}

// The first of the two passes --max-keys-per-shard (the record count) and
// --infer-routing-values (the tokens) need: every record of the input file.
Status ForEachFileRecord(const BuildArgs& args, const std::function<Status(const Record&)>& visit) {
  std::unique_ptr<std::ifstream> file;
  SHARDY_RETURN_IF_ERROR(OpenInputFile(args.input, &file));
  std::unique_ptr<RecordSource> source = NewRecordSource(args.format, file.get());
  Record record;
  for (;;) {
    SHARDY_RETURN_IF_ERROR(CheckInterrupt());
    SHARDY_ASSIGN_OR_RETURN(bool more, source->Next(&record));
    if (!more) return Status::OK();
    SHARDY_RETURN_IF_ERROR(visit(record));
  }
}

// The columns read from each record: none in key-only mode, where the key is
// the expression's one column.
std::vector<CelColumn> RecordColumns(const BuildArgs& args) {
  if (!args.cel) return {};
  const std::vector<CelColumn>& c = args.cel->columns;
  if (c.size() == 1 && c[0].name == "key") return {};
  return c;
}

// What the build hands each record to: the hash or the CEL writer.
struct RecordSink {
  std::function<Status(const Key&, std::string_view, std::span<const CelValue>)> add;
  std::function<Result<BuildResult>()> finish;
  std::function<void(const Status&)> abort;  // with the cause, for the run record
  std::function<std::optional<std::string>()> resume_position;
  std::function<uint64_t()> records_added;
};

template <typename Writer>
RecordSink SinkFor(std::shared_ptr<Writer> writer) {
  return {[writer](const Key& key, std::string_view value, std::span<const CelValue> columns) {
            if constexpr (std::is_same_v<Writer, CelShardedWriter>) {
              return writer->Add(key, value, columns);
            } else {
              return writer->Add(key, value);
            }
          },
          [writer] { return writer->Finish(); },
          [writer](const Status& cause) { writer->Abort(cause); },
          [writer] { return writer->resume_position(); },
          [writer] { return writer->records_added(); }};
}

// What a resume must find unchanged about the input: the file (path, size,
// modification time) and how records are read from it.
Result<std::string> InputIdentity(const BuildArgs& args) {
  struct stat st;
  if (::stat(args.input.c_str(), &st) != 0) {
    return Status(ErrorCode::kInvalidArgument,
                  fmt::format("cannot stat input \"{}\": {}", args.input, std::strerror(errno)));
  }
  std::error_code ec;
  const std::filesystem::path path = std::filesystem::canonical(args.input, ec);
  const nlohmann::json identity = {
      {"path", ec ? args.input : path.string()},
      {"size", static_cast<uint64_t>(st.st_size)},
      {"mtime_ns", static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec},
      {"format", static_cast<int>(args.format)},
      {"key_field", args.mapping.key_field},
      {"key_type", static_cast<int>(args.mapping.key_type)},
      {"value_field",
       args.mapping.value_field ? nlohmann::json(*args.mapping.value_field) : nlohmann::json()}};
  return identity.dump();
}

// Whether the build takes checkpoints (a whole build from a file).
bool Checkpointing(const BuildArgs& args) {
  const bool whole = !args.no_publish && !(args.cel && args.cel->infer_routing_values);
  return whole && args.input != "-" && (args.checkpoint_seconds > 0 || args.checkpoint_records > 0);
}

// The settings both strategies share.
Status FillWriteConfig(const BuildArgs& args, WriteConfig* config) {
  config->s3_prefix = args.prefix;
  if (args.prefix.starts_with("s3://")) {
    SHARDY_ASSIGN_OR_RETURN(StoreLocation loc, OpenStoreForUrl(args.prefix, args.s3));
    config->store = loc.store;
  }
  config->run_id = args.run_id;
  config->stage_only = args.no_publish;
  config->only_shards = args.only_shards;
  config->local_root = args.local_root;
  config->key_encoding = args.key_encoding.value_or(DefaultKeyEncoding(args.mapping.key_type));
  config->batch_size = args.batch_size;
  config->max_writes_per_second = args.max_writes_per_second;
  config->max_write_bytes_per_second = args.max_write_bytes_per_second;
  config->write_run_record = args.write_run_record;
  if (args.shard_retries) {
    RetryConfig retry;
    retry.max_retries = *args.shard_retries;
    retry.initial_backoff_seconds = args.retry_backoff_seconds;
    config->shard_retry = retry;
  }
  config->metrics = args.metrics;
  SHARDY_ASSIGN_OR_RETURN(config->adapter_factory, WriterFactoryFor(args));
  config->resume = args.resume;
  if (Checkpointing(args) || args.resume) {
    config->checkpoint.every_seconds = args.checkpoint_seconds;
    config->checkpoint.every_records = args.checkpoint_records;
    config->checkpoint.input_position = args.input_position;
    SHARDY_ASSIGN_OR_RETURN(config->checkpoint.input_identity_json, InputIdentity(args));
  }
  return Status::OK();
}

// The first pass of --infer-routing-values: every record's token.
Status ObserveRecords(const BuildArgs& args, CelShardedWriter* writer) {
  const std::vector<CelColumn> columns = RecordColumns(args);
  Key key;
  std::vector<CelValue> values;
  return ForEachFileRecord(args, [&](const Record& record) -> Status {
    SHARDY_RETURN_IF_ERROR(ExtractKey(args.mapping, record, &key));
    SHARDY_RETURN_IF_ERROR(ExtractColumns(columns, record, &values));
    Status st = writer->Observe(key, values);
    return st.ok() ? st : st.annotate(fmt::format("line {}", record.line));
  });
}

// The writer for the build's strategy, opened (and for inferred tokens, fed
// the first pass). Usage errors are kInvalidArgument.
Result<RecordSink> OpenSink(const BuildArgs& args, const WriteOptions& options) {
  if (!args.cel) {
    HashShardedWriteConfig config;
    SHARDY_RETURN_IF_ERROR(FillWriteConfig(args, &config));
    config.num_dbs = args.num_dbs;
    config.max_keys_per_shard = args.max_keys_per_shard;
    std::optional<uint64_t> record_count;
    if (args.max_keys_per_shard) {
      uint64_t count = 0;
      SHARDY_RETURN_IF_ERROR(ForEachFileRecord(args, [&count](const Record&) {
        ++count;
        return Status::OK();
      }));
      record_count = count;
    }
    SHARDY_ASSIGN_OR_RETURN(std::shared_ptr<HashShardedWriter> writer,
                            HashShardedWriter::Open(config, options, record_count));
    return SinkFor(std::move(writer));
  }
  CelShardedWriteConfig config;
  SHARDY_RETURN_IF_ERROR(FillWriteConfig(args, &config));
  config.cel_expr = args.cel->expr;
  config.cel_columns = args.cel->columns;
  config.routing_values = args.cel->routing_values;
  config.infer_routing_values_from_data = args.cel->infer_routing_values;
  SHARDY_ASSIGN_OR_RETURN(std::shared_ptr<CelShardedWriter> writer,
                          CelShardedWriter::Open(config, options));
  if (config.infer_routing_values_from_data) {
    Status st = ObserveRecords(args, writer.get());
    if (!st.ok()) {
      writer->Abort(st);
      return st;
    }
  }
  return SinkFor(std::move(writer));
}

// A usage problem with the routing flags, or nullopt.
std::optional<std::string> RoutingUsageError(const BuildArgs& args) {
  const bool hash = args.num_dbs.has_value() || args.max_keys_per_shard.has_value();
  if (args.cel) {
    if (hash) {
      return "--cel-expr routes by the expression, so --num-dbs and --max-keys-per-shard do not "
             "apply (CEL direct mode counts the shards from the data; categorical mode has one "
             "per --routing-value)";
    }
    if (args.cel->columns.empty()) {
      return "--cel-expr needs at least one --cel-column NAME:TYPE (e.g. --cel-column key:int "
             "to route by the key)";
    }
    if (args.cel->infer_routing_values && args.cel->routing_values) {
      return "--infer-routing-values and --routing-value are exclusive";
    }
    if (args.cel->infer_routing_values && args.input == "-") {
      return "--infer-routing-values reads the input twice, which stdin cannot give; pass the "
             "input as a file";
    }
    return std::nullopt;
  }
  if (args.num_dbs.has_value() == args.max_keys_per_shard.has_value()) {
    return "exactly one of --num-dbs, --max-keys-per-shard and --cel-expr is required";
  }
  if (args.max_keys_per_shard && args.input == "-") {
    return "--max-keys-per-shard needs the record count up front, which stdin cannot give; use "
           "--num-dbs, or pass the input as a file";
  }
  return std::nullopt;
}

// Feeds every record of `source` to `sink`. On error the caller aborts.
// `*position` is the source's position before the record being added (what
// a checkpoint taken as it is added covers).
Status WriteRecords(RecordSource* source, const BuildArgs& args, const RecordSink& sink,
                    Progress* progress, uint64_t* records, std::string* position) {
  const std::vector<CelColumn> columns = RecordColumns(args);
  Record record;
  Key key;
  std::string value;
  std::vector<CelValue> column_values;
  for (;;) {
    SHARDY_RETURN_IF_ERROR(CheckInterrupt());
    if (position) *position = source->Position();
    SHARDY_ASSIGN_OR_RETURN(bool more, source->Next(&record));
    if (!more) return Status::OK();
    SHARDY_RETURN_IF_ERROR(ExtractKey(args.mapping, record, &key));
    SHARDY_RETURN_IF_ERROR(ExtractValue(args.mapping, record, &value));
    SHARDY_RETURN_IF_ERROR(ExtractColumns(columns, record, &column_values));
    Status st = sink.add(key, value, column_values);
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

std::optional<std::pair<uint32_t, uint32_t>> ParseShardRange(std::string_view text) {
  auto number = [](std::string_view t) -> std::optional<uint32_t> {
    if (t.empty() || t.size() > 9) return std::nullopt;
    uint32_t v = 0;
    for (char c : t) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + static_cast<uint32_t>(c - '0');
    }
    return v;
  };
  const size_t dash = text.find('-');
  std::optional<uint32_t> first = number(text.substr(0, dash));
  std::optional<uint32_t> last =
      dash == std::string_view::npos ? first : number(text.substr(dash + 1));
  if (!first || !last || *first > *last) return std::nullopt;
  return std::pair{*first, *last};
}

int RunPublish(const std::string& prefix, const std::string& run_id, const S3Config& s3,
               std::ostream& out, std::ostream& err) {
  PublishStagedOptions options;
  options.s3_prefix = prefix;
  options.run_id = run_id;
  if (prefix.starts_with("s3://")) {
    Result<StoreLocation> loc = OpenStoreForUrl(prefix, s3);
    if (!loc.ok()) {
      PrintError(err, loc.status());
      return kExitError;
    }
    options.store = loc->store;
  }
  Result<BuildResult> result = PublishStagedRun(options);
  if (!result.ok()) {
    PrintError(err, result.status());
    return kExitError;
  }
  out << BuildResultToJson(*result).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
      << '\n';
  return 0;
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
  return {
      {"run_id", result.run_id},
      {"num_dbs", result.num_dbs},
      {"manifest_ref", result.manifest_ref.empty() ? nlohmann::ordered_json(nullptr)
                                                   : nlohmann::ordered_json(result.manifest_ref)},
      {"run_record_ref", result.run_record_ref.empty()
                             ? nlohmann::ordered_json(nullptr)
                             : nlohmann::ordered_json(result.run_record_ref)},
      {"rows_written", result.stats.rows_written},
      {"num_winners", result.stats.num_winners},
      {"winners", std::move(winners)},
      {"durations",
       {{"write_ms", d.write_ms},
        {"seal_ms", result.stats.seal_ms},
        {"manifest_ms", d.manifest_ms},
        {"total_ms", d.total_ms}}},
      {"checkpoints",
       {{"taken", result.stats.checkpoints},
        {"total_ms", result.stats.checkpoint_ms},
        {"resumed_records", result.stats.resumed_records},
        {"restore_ms", result.stats.restore_ms}}}};
}

namespace {

int RunBuildWith(const BuildArgs& args, std::istream& in, std::ostream& out, std::ostream& err,
                 bool progress_enabled);

}  // namespace

namespace {

std::atomic<int> g_interrupt_signal{0};

void OnInterrupt(int signal) {
  if (g_interrupt_signal.exchange(signal) != 0) {
    ::signal(signal, SIG_DFL);  // the second one: end the process now
    ::raise(signal);
  }
}

// OK if `path` can be written (created, or replaced) without writing it;
// otherwise a kConfigValidation error that names it.
Status CheckWritableFile(const std::string& flag, const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(path);
  const auto fail = [&](const std::string& why) {
    return Status(
        ErrorCode::kConfigValidation,
        fmt::format("{} \"{}\" cannot be written: {}; nothing was built", flag, path, why));
  };
  if (fs::is_directory(p, ec)) return fail("it is a directory");
  if (fs::exists(p, ec)) {
    if (::access(path.c_str(), W_OK) != 0) return fail(std::strerror(errno));
    return Status::OK();
  }
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec)) return fail("its directory does not exist");
  if (::access(dir.c_str(), W_OK | X_OK) != 0) return fail(std::strerror(errno));
  return Status::OK();
}

}  // namespace

void InstallInterruptHandlers() {
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) sigaction(signal, &action, nullptr);
}

int InterruptSignal() { return g_interrupt_signal.load(std::memory_order_relaxed); }

// With --metrics-file, the build's metrics go to a Prometheus collector
// whose final state is written after the build, whether it succeeded or not.
// The file is checked before the build writes anything; failing to write it
// afterwards is reported but never fails a build that has published.
int RunBuild(const BuildArgs& args, std::istream& in, std::ostream& out, std::ostream& err,
             bool progress_enabled) {
  if (args.metrics_file.empty()) return RunBuildWith(args, in, out, err, progress_enabled);
  if (Status writable = CheckWritableFile("--metrics-file", args.metrics_file); !writable.ok()) {
    PrintError(err, writable);
    return kExitError;
  }
  BuildArgs with_metrics = args;
  auto prometheus = std::make_shared<PrometheusCollector>();
  with_metrics.metrics = prometheus;
  const int rc = RunBuildWith(with_metrics, in, out, err, progress_enabled);
  std::ofstream metrics(args.metrics_file, std::ios::trunc);
  metrics << prometheus->RenderText();
  metrics.close();
  if (!metrics) {
    err << "shardy build: warning: cannot write --metrics-file " << args.metrics_file
        << " (the build's own result is unchanged)\n";
  }
  return rc;
}

namespace {

int RunBuildWith(const BuildArgs& args, std::istream& in, std::ostream& out, std::ostream& err,
                 bool progress_enabled) {
  if (std::optional<std::string> usage = RoutingUsageError(args)) {
    err << "shardy build: " << *usage << '\n';
    return kExitUsage;
  }
  WriteOptions options;
  options.max_total_batched_items = args.max_total_batched_items;
  options.max_total_batched_bytes = args.max_total_batched_bytes;
  options.parallel = args.parallel;
  options.workers = args.workers;

  std::unique_ptr<std::ifstream> file;
  Result<std::istream*> input = OpenInput(args.input, in, &file);
  if (!input.ok()) {
    PrintError(err, input.status());
    return kExitError;
  }
  // Read by the writer at each checkpoint, on this thread.
  auto position = std::make_shared<std::string>();
  BuildArgs with_position = args;
  // Known before the build, so that a killed build can be named.
  if (Checkpointing(args) && !with_position.run_id) with_position.run_id = NewUuid4Hex();
  auto told = std::make_shared<bool>(!progress_enabled);
  with_position.input_position = [position, told, &err, run_id = with_position.run_id] {
    if (!*told) {
      *told = true;
      err << "\rshardy build: checkpoint taken; if this build is killed, continue it with "
             "--resume "
          << run_id.value_or("") << "\n";
    }
    return *position;
  };
  Result<RecordSink> sink = OpenSink(with_position, options);
  if (!sink.ok()) {
    PrintError(err, sink.status());
    return kExitError;
  }

  std::unique_ptr<RecordSource> source = NewRecordSource(args.format, *input);
  uint64_t records = sink->records_added();
  if (std::optional<std::string> resume_at = sink->resume_position()) {
    if (Status st = source->SeekTo(*resume_at); !st.ok()) {
      sink->abort(st);
      PrintError(err, st);
      return kExitError;
    }
    if (progress_enabled) {
      err << fmt::format("shardy build: resuming run {} after {} records (input {})\n",
                         *args.run_id, records, *resume_at);
    }
  }
  Progress progress(&err, progress_enabled);
  Status st;
  try {
    st = WriteRecords(source.get(), args, *sink, &progress, &records,
                      Checkpointing(args) || args.resume ? position.get() : nullptr);
  } catch (const std::bad_alloc&) {
    // The run record then says why, instead of staying `running`.
    st = Status(ErrorCode::kInternal,
                fmt::format("out of memory after {} records; lower --batch-size, "
                            "--sort-memory-mib or --max-total-batched-bytes",
                            records));
  }
  progress.Finish(records);
  if (!st.ok()) {
    sink->abort(st);
    PrintError(err, st);
    return kExitError;
  }
  Result<BuildResult> result = sink->finish();
  if (!result.ok()) {
    PrintError(err, result.status());
    return kExitError;
  }
  out << BuildResultToJson(*result).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
      << '\n';
  return 0;
}

}  // namespace

}  // namespace shardyfusion::cli
