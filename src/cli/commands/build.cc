// `shardy build`: its flags, converted to BuildArgs for RunBuild
// (cli/build_command.h).
#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "cli/build_command.h"
#include "cli/cel_command.h"
#include "cli/commands/commands.h"
#include "cli/s3_flags.h"
#include "core/status_internal.h"

namespace shardyfusion::cli {

namespace {

// > 0, said plainly: kPositive names its range up to DBL_MAX, a
// 300-digit number.
const CLI::Validator kPositive(
    [](std::string& text) -> std::string {
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size() || !(v > 0)) {
        return "must be a number greater than 0 (got " + text + ")";
      }
      return "";
    },
    "> 0");

// Flags as typed; ToBuildArgs converts them once CLI11 has validated them.
struct BuildFlags {
  std::string input;
  std::string format;
  std::string key_field;
  std::string value_field;
  std::string key_type;
  uint32_t num_dbs = 0;
  uint64_t max_keys_per_shard = 0;
  std::string prefix;
  std::string backend = "slatedb";
  std::string slatedb_mode = "direct";
  std::string compression = "none";
  uint64_t l0_sst_mib = 64;
  uint64_t max_sst_mib = 256;
  std::string key_encoding;
  uint64_t batch_size = 50000;
  std::string run_id;
  std::string only_shards;
  bool no_publish = false;
  std::string resume;
  double checkpoint_seconds = 30;
  uint64_t checkpoint_records = 0;
  std::string local_root;
  uint64_t max_total_batched_items = 0;
  uint64_t max_total_batched_bytes = 0;
  uint64_t sort_memory_mib = 256;
  std::string cel_expr;
  std::vector<std::string> cel_columns;
  std::vector<std::string> routing_values;
  bool infer_routing_values = false;
  double max_writes_per_second = 0;
  double max_write_bytes_per_second = 0;
  std::string metrics_file;
  bool no_run_record = false;
  bool parallel = false;
  uint32_t workers = 0;
  uint32_t shard_retries = 0;
  double retry_backoff = 1.0;
  S3Flags s3;  // the S3 flags given after `build`

  // The options of the flags whose absence means BuildArgs's default
  // (nullopt), set by Register.
  struct {
    CLI::Option* value_field = nullptr;
    CLI::Option* num_dbs = nullptr;
    CLI::Option* max_keys_per_shard = nullptr;
    CLI::Option* key_encoding = nullptr;
    CLI::Option* run_id = nullptr;
    CLI::Option* only_shards = nullptr;
    CLI::Option* max_total_batched_items = nullptr;
    CLI::Option* max_total_batched_bytes = nullptr;
    CLI::Option* max_writes_per_second = nullptr;
    CLI::Option* max_write_bytes_per_second = nullptr;
    CLI::Option* cel_expr = nullptr;
    CLI::Option* resume = nullptr;
    CLI::Option* checkpoint_seconds = nullptr;
    CLI::Option* checkpoint_records = nullptr;
  } given;
  // The --slatedb-* options, which apply to --backend slatedb only.
  std::vector<CLI::Option*> slatedb_options;
};

constexpr const char* kBuildFooter =
    "Keys: --key-type int takes JSON integers (CSV/TSV: integer text), str takes strings, bytes "
    "takes standard padded base64 strings. A key that appears more than once keeps the value of "
    "its last record (last write wins). Values: --value-field stores that field (a string "
    "as its UTF-8 bytes, anything else as compact JSON); without it the whole record is stored "
    "as compact JSON. Routing: --num-dbs or --max-keys-per-shard hash the key; --cel-expr routes "
    "by a CEL expression over --cel-column fields instead (docs/format/routing.md, \"CEL "
    "routing\"). Any bad record stops the build and nothing is published. On success the "
    "build result is printed as one JSON object. A build from a file checkpoints every 30 s; if it "
    "is killed, the same command with --resume RUN_ID continues it (docs/resume.md). Scale-out: processes that each run "
    "`--run-id R --no-publish --only-shards A-B` over the same input stage a run's shards; "
    "`shardy publish --prefix P --run-id R` then publishes it once.\n\nExamples:\n"
    "  shardy build --input events.jsonl --format jsonl --key-field id --key-type int "
    "--num-dbs 8 --prefix ./snap\n"
    "  shardy build --input events.jsonl --format jsonl --key-field id --key-type int "
    "--num-dbs 8 --prefix ./snap --run-id r1 --no-publish --only-shards 0-3\n"
    "  shardy build --input events.jsonl --format jsonl --key-field id --key-type int "
    "--num-dbs 8 --prefix ./snap --resume r2   # continue r2, killed after a checkpoint";

// What the records are: --input, --format, --key-field, --value-field, --key-type.
void AddRecordFlags(CLI::App* b, BuildFlags* f) {
  b->add_option("--input", f->input, "Input file, or - for stdin")->required();
  b->add_option("--format", f->format,
                "Input format: jsonl (one JSON object per line), csv (RFC 4180, header row), tsv "
                "(header row, tab-separated, no quoting)")
      ->required()
      ->check(CLI::IsMember({"jsonl", "csv", "tsv"}));
  b->add_option("--key-field", f->key_field, "Name of the field holding the key")->required();
  f->given.value_field =
      b->add_option("--value-field", f->value_field,
                    "Field holding the value (default: the whole record as JSON)");
  b->add_option("--key-type", f->key_type, "How to read the key field: int, str or bytes (base64)")
      ->required()
      ->check(CLI::IsMember({"int", "str", "bytes"}));
}

// Hash routing: --num-dbs or --max-keys-per-shard.
void AddShardCountFlags(CLI::App* b, BuildFlags* f) {
  f->given.num_dbs =
      b->add_option("--num-dbs", f->num_dbs,
                    "Number of shards, at most 65536 (exclusive with --max-keys-per-shard)")
          ->check(CLI::Range(1u, UINT32_MAX));
  f->given.max_keys_per_shard = b->add_option("--max-keys-per-shard", f->max_keys_per_shard,
                                              "Shards = ceil(records / M), at most 65536; counts "
                                              "the records first, so the input must be "
                                              "a file")
                                    ->check(kPositive);
  f->given.num_dbs->excludes(f->given.max_keys_per_shard);
}

// Where the snapshot goes and in which shard format: --prefix, --backend,
// --slatedb-*.
void AddStorageFlags(CLI::App* b, BuildFlags* f) {
  b->add_option("--prefix", f->prefix,
                "Snapshot root: s3://bucket/prefix, a directory, or a file:// URL")
      ->required();
  b->add_option("--backend", f->backend,
                "Shard database format: slatedb (a SlateDB database per shard) or sqlite (one "
                "SQLite file per shard)")
      ->check(CLI::IsMember({"slatedb", "sqlite"}))
      ->capture_default_str();
  f->slatedb_options.push_back(
      b->add_option("--slatedb-mode", f->slatedb_mode,
                    "SlateDB backend: direct uploads an L0 SST whenever a shard has buffered "
                    "--slatedb-l0-sst-mib of input; local builds each shard as one sorted run on "
                    "local disk and uploads it when the shard is sealed (fewer SSTs per lookup)")
          ->check(CLI::IsMember({"direct", "local"}))
          ->capture_default_str());
  f->slatedb_options.push_back(
      b->add_option("--slatedb-compression", f->compression,
                    "SlateDB backend: block compression (none, snappy, zlib, lz4, zstd)")
          ->check(CLI::IsMember({"none", "snappy", "zlib", "lz4", "zstd"}))
          ->capture_default_str());
  f->slatedb_options.push_back(
      b->add_option("--slatedb-l0-sst-mib", f->l0_sst_mib,
                    "SlateDB direct mode: MiB of key+value input per L0 SST")
          ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 16))
          ->capture_default_str());
  f->slatedb_options.push_back(
      b->add_option("--slatedb-sst-mib", f->max_sst_mib,
                    "SlateDB local mode: MiB at which the sorted run starts a new SST")
          ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 16))
          ->capture_default_str());
}

// How the writer runs: key encoding, batching, run id and record, staging,
// limits and metrics.
void AddWriteFlags(CLI::App* b, BuildFlags* f) {
  f->given.key_encoding =
      b->add_option("--key-encoding", f->key_encoding,
                    "Stored key encoding: u64be, u32be, utf8 or raw (default: u64be for int "
                    "keys, utf8 for str, raw for bytes)")
          ->check(CLI::IsMember({"u64be", "u32be", "utf8", "raw"}));
  b->add_option("--batch-size", f->batch_size, "Records buffered per shard before a write")
      ->check(kPositive)
      ->capture_default_str();
  f->given.run_id = b->add_option("--run-id", f->run_id,
                                  "Run id of this build (default: a fresh uuid). It must be new: "
                                  "an id that already has objects under the prefix is refused, "
                                  "since rerunning it could damage its published snapshot "
                                  "(--no-publish: the staged run's id, shared by its processes)");
  CLI::Option* no_publish =
      b->add_flag("--no-publish", f->no_publish,
                  "Stage instead of publishing: seal the shards and record each one under the "
                  "run (--run-id, required), to be published once by `shardy publish` when "
                  "every shard of the run is staged. Several processes may stage one run")
          ->needs(f->given.run_id);
  f->given.only_shards =
      b->add_option("--only-shards", f->only_shards,
                    "With --no-publish: write only shards A..B (inclusive, e.g. 0-15, or one "
                    "shard N); records routed to other shards are read and skipped")
          ->needs(no_publish);
  b->add_option("--local-root", f->local_root,
                "Local staging directory (default: $TMPDIR/shardyfusion)");
  f->given.resume =
      b->add_option("--resume", f->resume,
                    "Continue run RUN_ID, which was killed (kill -9, a crash, a lost machine) "
                    "after a checkpoint, instead of starting over: give the same input file, "
                    "flags and --local-root; shards sealed before the kill are kept, the others "
                    "continue from their checkpointed runs and uploads, and the input is read "
                    "from where the checkpoint left it. Refused for a published run, another "
                    "input or other settings")
          ->excludes(f->given.run_id)
          ->excludes(no_publish);
  f->given.checkpoint_seconds =
      b->add_option("--checkpoint-interval", f->checkpoint_seconds,
                    "Seconds between checkpoints of a build from a file, which let --resume "
                    "continue it after a kill (0 = none; stdin: never)")
          ->check(CLI::Range(0.0, 1e6))
          ->capture_default_str();
  f->given.checkpoint_records =
      b->add_option("--checkpoint-records", f->checkpoint_records,
                    "Also take a checkpoint every N records (default: 0, by time only)");
  f->given.max_total_batched_items =
      b->add_option("--max-total-batched-items", f->max_total_batched_items,
                    "Cap on records buffered across all shards (default: none)")
          ->check(kPositive);
  f->given.max_total_batched_bytes =
      b->add_option("--max-total-batched-bytes", f->max_total_batched_bytes,
                    "Cap on key+value bytes buffered across all shards (default: "
                    "none)")
          ->check(kPositive);
  f->given.max_writes_per_second =
      b->add_option("--max-writes-per-second", f->max_writes_per_second,
                    "Records written per second, in total over all "
                    "shards (default: unlimited)")
          ->check(kPositive);
  f->given.max_write_bytes_per_second =
      b->add_option("--max-write-bytes-per-second", f->max_write_bytes_per_second,
                    "Key+value bytes written per second, in total (default: unlimited)")
          ->check(kPositive);
  b->add_option("--metrics-file", f->metrics_file,
                "Write the build's final metrics here, in the Prometheus text format");
  b->add_flag("--no-run-record", f->no_run_record,
              "Do not write the run record (runs/<ts>_run_id=<id>_<uuid>/run.yaml under the "
              "prefix), which says whether a build is running, succeeded or failed");
}

// Threads, retries and the sort's memory.
void AddEngineFlags(CLI::App* b, BuildFlags* f) {
  CLI::Option* parallel =
      b->add_flag("--parallel", f->parallel,
                  "Write shards on a pool of worker threads (--workers) while this thread reads, "
                  "routes and encodes; batches in flight are bounded to 256 MiB in total and "
                  "32 MiB per worker");
  b->add_option("--workers", f->workers,
                "Worker threads of --parallel (default: the number of cores); any number of "
                "shards share them")
      ->check(CLI::Range(1u, 4096u))
      ->needs(parallel);
  b->add_option("--shard-retries", f->shard_retries,
                "Retry a shard whose attempt fails with a transient error up to N times, "
                "rewriting it from a local spool into a new attempt=NN prefix (default: 0, no "
                "retries; the spool costs one local copy of the data)")
      ->check(CLI::Range(0u, 100u));
  b->add_option("--retry-backoff", f->retry_backoff,
                "Seconds before the first shard retry; each further retry waits twice as long")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  b->add_option("--sort-memory-mib", f->sort_memory_mib,
                "MiB of sorted runs kept in memory across all shards before "
                "spilling to local disk under --local-root (0 = always spill)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 20))
      ->capture_default_str();
}

// CEL routing: --cel-expr, --cel-column, --routing-value,
// --infer-routing-values. REQUIRES: AddShardCountFlags ran.
void AddCelRoutingFlags(CLI::App* b, BuildFlags* f) {
  CLI::Option* cel_expr =
      b->add_option("--cel-expr", f->cel_expr,
                    "Route by this CEL expression instead of hashing (exclusive with --num-dbs "
                    "and --max-keys-per-shard). Without --routing-value or "
                    "--infer-routing-values its result is the shard id (direct mode: ids "
                    "0..N-1, all used)");
  cel_expr->excludes(f->given.num_dbs);
  cel_expr->excludes(f->given.max_keys_per_shard);
  f->given.cel_expr = cel_expr;
  b->add_option("--cel-column", f->cel_columns,
                "A CEL column NAME:TYPE (int, uint, double, string, bytes, bool), repeatable; its "
                "value is the record's field NAME. Exactly one column named key (e.g. key:int) "
                "is the record's key instead (key-only mode)")
      ->allow_extra_args(false);
  b->add_option("--routing-value", f->routing_values,
                "Categorical token for shard i (the i-th given), repeatable: int:N, str:TEXT, "
                "bytes:BASE64, or plain TEXT (a string)")
      ->allow_extra_args(false);
  b->add_flag("--infer-routing-values", f->infer_routing_values,
              "Categorical tokens from the data: every distinct result, sorted ascending (reads "
              "the input file twice)");
}

// The --cel-* flags; a malformed one is kInvalidArgument.
Result<CelBuildArgs> ToCelBuildArgs(const BuildFlags& f) {
  CelBuildArgs cel;
  cel.expr = f.cel_expr;
  for (const std::string& spec : f.cel_columns) {
    SHARDY_ASSIGN_OR_RETURN(CelColumn column, ParseCelColumnSpec(spec));
    cel.columns.push_back(std::move(column));
  }
  if (!f.routing_values.empty()) {
    std::vector<RoutingToken> tokens;
    for (const std::string& spec : f.routing_values) {
      SHARDY_ASSIGN_OR_RETURN(RoutingToken token, ParseRoutingValueSpec(spec));
      tokens.push_back(std::move(token));
    }
    cel.routing_values = std::move(tokens);
  }
  cel.infer_routing_values = f.infer_routing_values;
  return cel;
}

// `value` when its option was given, else nullopt.
template <typename T>
std::optional<T> IfGiven(const CLI::Option* option, const T& value) {
  return option->count() > 0 ? std::optional<T>(value) : std::nullopt;
}

// The flags as BuildArgs (all but s3); a combination the flags' own checks
// cannot catch is kInvalidArgument.
Result<BuildArgs> ToBuildArgs(const BuildFlags& f) {
  BuildArgs args;
  args.input = f.input;
  args.format = *ParseRecordFormat(f.format);
  args.mapping.key_field = f.key_field;
  args.mapping.key_type = *ParseKeyType(f.key_type);
  args.mapping.value_field = IfGiven(f.given.value_field, f.value_field);
  args.num_dbs = IfGiven(f.given.num_dbs, f.num_dbs);
  args.max_keys_per_shard = IfGiven(f.given.max_keys_per_shard, f.max_keys_per_shard);
  args.prefix = f.prefix;
  args.backend = f.backend;
  if (f.given.key_encoding->count() > 0) args.key_encoding = ParseKeyEncoding(f.key_encoding);
  args.batch_size = f.batch_size;
  args.run_id = IfGiven(f.given.run_id, f.run_id);
  args.no_publish = f.no_publish;
  if (f.given.resume->count() > 0) {
    args.run_id = f.resume;
    args.resume = true;
  }
  args.checkpoint_seconds = f.checkpoint_seconds;
  args.checkpoint_records = f.checkpoint_records;
  const bool checkpoint_flags =
      f.given.checkpoint_seconds->count() > 0 || f.given.checkpoint_records->count() > 0;
  if ((args.resume || checkpoint_flags) && f.input == "-") {
    return Status(ErrorCode::kInvalidArgument,
                  std::string(args.resume ? "--resume" : "--checkpoint-interval/-records") +
                      " needs the input as a file: stdin cannot be read again from a "
                      "checkpoint's position");
  }
  if ((args.resume || checkpoint_flags) && (f.no_publish || f.infer_routing_values)) {
    return Status(ErrorCode::kInvalidArgument,
                  "checkpoints and --resume are for whole builds: not with --no-publish (a "
                  "staged range is staged again) or --infer-routing-values");
  }
  if (f.given.only_shards->count() > 0) {
    args.only_shards = ParseShardRange(f.only_shards);
    if (!args.only_shards) {
      return Status(ErrorCode::kInvalidArgument,
                    "--only-shards takes A-B (first and last shard, A <= B) or N, not \"" +
                        f.only_shards + "\"");
    }
  }
  args.local_root = f.local_root;
  args.max_total_batched_items =
      IfGiven(f.given.max_total_batched_items, f.max_total_batched_items);
  args.max_total_batched_bytes =
      IfGiven(f.given.max_total_batched_bytes, f.max_total_batched_bytes);
  args.max_writes_per_second = IfGiven(f.given.max_writes_per_second, f.max_writes_per_second);
  args.max_write_bytes_per_second =
      IfGiven(f.given.max_write_bytes_per_second, f.max_write_bytes_per_second);
  args.metrics_file = f.metrics_file;
  args.write_run_record = !f.no_run_record;
  args.parallel = f.parallel;
  args.workers = f.workers;
  if (f.shard_retries > 0) args.shard_retries = f.shard_retries;
  args.retry_backoff_seconds = f.retry_backoff;
  args.sort_memory_bytes = f.sort_memory_mib << 20;
  if (f.backend != "slatedb") {
    for (const CLI::Option* option : f.slatedb_options) {
      if (option->count() > 0) {
        return Status(ErrorCode::kInvalidArgument,
                      option->get_name() +
                          " applies to --backend slatedb only (this build "
                          "uses --backend " +
                          f.backend + ")");
      }
    }
  }
  args.slatedb.mode =
      f.slatedb_mode == "local" ? SlateDbWriteMode::kLocal : SlateDbWriteMode::kDirect;
  args.slatedb.compression = *ParseSlateDbCompression(f.compression);
  args.slatedb.l0_sst_size_bytes = f.l0_sst_mib << 20;
  args.slatedb.max_sst_size_bytes = f.max_sst_mib << 20;
  if (f.given.cel_expr->count() > 0) {
    SHARDY_ASSIGN_OR_RETURN(args.cel, ToCelBuildArgs(f));
  } else if (!f.cel_columns.empty() || !f.routing_values.empty() || f.infer_routing_values) {
    return Status(ErrorCode::kInvalidArgument,
                  "--cel-column, --routing-value and --infer-routing-values need --cel-expr");
  }
  return args;
}

class BuildCommand final : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    CLI::App* build = app.add_subcommand(
        "build", "Build a snapshot from a JSONL, CSV or TSV file (or stdin) and publish it.");
    build->footer(kBuildFooter);
    AddRecordFlags(build, &flags_);
    AddShardCountFlags(build, &flags_);
    AddStorageFlags(build, &flags_);
    AddWriteFlags(build, &flags_);
    AddEngineFlags(build, &flags_);
    AddCelRoutingFlags(build, &flags_);
    AddS3Flags(*build, &flags_.s3);
    return build;
  }

  const S3Flags* own_s3_flags() const override { return &flags_.s3; }

  int Run(const CommandContext& ctx) override {
    Result<BuildArgs> args = ToBuildArgs(flags_);
    if (!args.ok()) return UsageError(ctx.err, "shardy build", args.status().message());
    args->s3 = ctx.s3;
    return RunBuild(*args, ctx.in, ctx.out, ctx.err, ctx.env.progress);
  }

 private:
  BuildFlags flags_;
};

}  // namespace

std::unique_ptr<Command> NewBuildCommand() { return std::make_unique<BuildCommand>(); }

}  // namespace shardyfusion::cli
