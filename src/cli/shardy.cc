#include "cli/shardy.h"

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli/build_command.h"
#include "cli/cel_command.h"
#include "cli/read_commands.h"
#include "cli/s3_flags.h"

#ifndef SHARDY_VERSION
#define SHARDY_VERSION "unknown"
#endif

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

constexpr int kExitUsage = 2;

// Flags as typed; converted to BuildArgs once CLI11 has validated them.
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
};

struct ReadFlags {
  std::string current_url;
  std::string output_format = "jsonl";
  std::string value_encoding = "base64";
  std::string null_repr = "null";
  std::string local_root;
  std::string ref;
  uint64_t offset = 0;
};

void AddBuildCommand(CLI::App& app, BuildFlags* f, CLI::App** cmd,
                     std::vector<CLI::Option*>* presence) {
  CLI::App* b = app.add_subcommand(
      "build", "Build a snapshot from a JSONL, CSV or TSV file (or stdin) and publish it.");
  *cmd = b;
  b->footer(
      "Keys: --key-type int takes JSON integers (CSV/TSV: integer text), str takes strings, bytes "
      "takes standard padded base64 strings. A key that appears more than once keeps the value of "
      "its last record (last write wins). Values: --value-field stores that field (a string "
      "as its UTF-8 bytes, anything else as compact JSON); without it the whole record is stored "
      "as compact JSON. Routing: --num-dbs or --max-keys-per-shard hash the key; --cel-expr routes "
      "by a CEL expression over --cel-column fields instead (docs/format/routing.md, \"CEL "
      "routing\"). Any bad record stops the build and nothing is published. On success the "
      "build result is printed as one JSON object.");
  b->add_option("--input", f->input, "Input file, or - for stdin")->required();
  b->add_option("--format", f->format,
                "Input format: jsonl (one JSON object per line), csv (RFC 4180, header row), tsv "
                "(header row, tab-separated, no quoting)")
      ->required()
      ->check(CLI::IsMember({"jsonl", "csv", "tsv"}));
  b->add_option("--key-field", f->key_field, "Name of the field holding the key")->required();
  presence->push_back(b->add_option("--value-field", f->value_field,
                                    "Field holding the value (default: the whole record as JSON)"));
  b->add_option("--key-type", f->key_type, "How to read the key field: int, str or bytes (base64)")
      ->required()
      ->check(CLI::IsMember({"int", "str", "bytes"}));
  CLI::Option* num_dbs =
      b->add_option("--num-dbs", f->num_dbs,
                    "Number of shards, at most 65536 (exclusive with --max-keys-per-shard)")
          ->check(CLI::Range(1u, UINT32_MAX));
  CLI::Option* max_keys = b->add_option("--max-keys-per-shard", f->max_keys_per_shard,
                                        "Shards = ceil(records / M), at most 65536; counts the "
                                        "records first, so the input must be "
                                        "a file")
                              ->check(kPositive);
  num_dbs->excludes(max_keys);
  presence->push_back(num_dbs);
  presence->push_back(max_keys);
  b->add_option("--prefix", f->prefix,
                "Snapshot root: s3://bucket/prefix, a directory, or a file:// URL")
      ->required();
  b->add_option("--backend", f->backend,
                "Shard database format: slatedb (a SlateDB database per shard) or sqlite (one "
                "SQLite file per shard)")
      ->check(CLI::IsMember({"slatedb", "sqlite"}))
      ->capture_default_str();
  std::vector<CLI::Option*> slatedb_flags;
  slatedb_flags.push_back(
      b->add_option("--slatedb-mode", f->slatedb_mode,
                    "SlateDB backend: direct uploads an L0 SST whenever a shard has buffered "
                    "--slatedb-l0-sst-mib of input; local builds each shard as one sorted run on "
                    "local disk and uploads it when the shard is sealed (fewer SSTs per lookup)")
          ->check(CLI::IsMember({"direct", "local"}))
          ->capture_default_str());
  slatedb_flags.push_back(
      b->add_option("--slatedb-compression", f->compression,
                    "SlateDB backend: block compression (none, snappy, zlib, lz4, zstd)")
          ->check(CLI::IsMember({"none", "snappy", "zlib", "lz4", "zstd"}))
          ->capture_default_str());
  slatedb_flags.push_back(b->add_option("--slatedb-l0-sst-mib", f->l0_sst_mib,
                                        "SlateDB direct mode: MiB of key+value input per L0 SST")
                              ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 16))
                              ->capture_default_str());
  slatedb_flags.push_back(
      b->add_option("--slatedb-sst-mib", f->max_sst_mib,
                    "SlateDB local mode: MiB at which the sorted run starts a new SST")
          ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 16))
          ->capture_default_str());
  presence->push_back(
      b->add_option("--key-encoding", f->key_encoding,
                    "Stored key encoding: u64be, u32be, utf8 or raw (default: u64be for int "
                    "keys, utf8 for str, raw for bytes)")
          ->check(CLI::IsMember({"u64be", "u32be", "utf8", "raw"})));
  b->add_option("--batch-size", f->batch_size, "Records buffered per shard before a write")
      ->check(kPositive)
      ->capture_default_str();
  presence->push_back(b->add_option("--run-id", f->run_id,
                                    "Run id of this build (default: a fresh uuid). It must be new: "
                                    "an id that already has objects under the prefix is refused, "
                                    "since rerunning it could damage its published snapshot"));
  b->add_option("--local-root", f->local_root,
                "Local staging directory (default: $TMPDIR/shardyfusion)");
  presence->push_back(b->add_option("--max-total-batched-items", f->max_total_batched_items,
                                    "Cap on records buffered across all shards (default: none)")
                          ->check(kPositive));
  presence->push_back(b->add_option("--max-total-batched-bytes", f->max_total_batched_bytes,
                                    "Cap on key+value bytes buffered across all shards (default: "
                                    "none)")
                          ->check(kPositive));
  presence->push_back(b->add_option("--max-writes-per-second", f->max_writes_per_second,
                                    "Records written per second, in total over all shards "
                                    "(default: unlimited)")
                          ->check(kPositive));
  presence->push_back(
      b->add_option("--max-write-bytes-per-second", f->max_write_bytes_per_second,
                    "Key+value bytes written per second, in total (default: unlimited)")
          ->check(kPositive));
  b->add_option("--metrics-file", f->metrics_file,
                "Write the build's final metrics here, in the Prometheus text format");
  b->add_flag("--no-run-record", f->no_run_record,
              "Do not write the run record (runs/<ts>_run_id=<id>_<uuid>/run.yaml under the "
              "prefix), which says whether a build is running, succeeded or failed");
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
  CLI::Option* cel_expr =
      b->add_option("--cel-expr", f->cel_expr,
                    "Route by this CEL expression instead of hashing (exclusive with --num-dbs "
                    "and --max-keys-per-shard). Without --routing-value or "
                    "--infer-routing-values its result is the shard id (direct mode: ids "
                    "0..N-1, all used)");
  cel_expr->excludes(num_dbs);
  cel_expr->excludes(max_keys);
  presence->push_back(cel_expr);
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
  presence->insert(presence->end(), slatedb_flags.begin(), slatedb_flags.end());
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

// presence: --value-field, --num-dbs, --max-keys-per-shard, --key-encoding,
// --run-id, --max-total-batched-items, --max-total-batched-bytes,
// --max-writes-per-second, --max-write-bytes-per-second, --cel-expr, then
// the --slatedb-* flags.
Result<BuildArgs> ToBuildArgs(const BuildFlags& f, const std::vector<CLI::Option*>& presence) {
  auto given = [&presence](size_t i) { return presence[i]->count() > 0; };
  BuildArgs args;
  args.input = f.input;
  args.format = *ParseRecordFormat(f.format);
  args.mapping.key_field = f.key_field;
  args.mapping.key_type = *ParseKeyType(f.key_type);
  if (given(0)) args.mapping.value_field = f.value_field;
  if (given(1)) args.num_dbs = f.num_dbs;
  if (given(2)) args.max_keys_per_shard = f.max_keys_per_shard;
  args.prefix = f.prefix;
  args.backend = f.backend;
  if (given(3)) args.key_encoding = ParseKeyEncoding(f.key_encoding);
  args.batch_size = f.batch_size;
  if (given(4)) args.run_id = f.run_id;
  args.local_root = f.local_root;
  if (given(5)) args.max_total_batched_items = f.max_total_batched_items;
  if (given(6)) args.max_total_batched_bytes = f.max_total_batched_bytes;
  if (given(7)) args.max_writes_per_second = f.max_writes_per_second;
  if (given(8)) args.max_write_bytes_per_second = f.max_write_bytes_per_second;
  args.metrics_file = f.metrics_file;
  args.write_run_record = !f.no_run_record;
  args.parallel = f.parallel;
  args.workers = f.workers;
  if (f.shard_retries > 0) args.shard_retries = f.shard_retries;
  args.retry_backoff_seconds = f.retry_backoff;
  args.sort_memory_bytes = f.sort_memory_mib << 20;
  if (f.backend != "slatedb") {
    for (size_t i = 10; i < presence.size(); ++i) {
      if (given(i)) {
        return Status(ErrorCode::kInvalidArgument,
                      presence[i]->get_name() +
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
  if (given(9)) {
    SHARDY_ASSIGN_OR_RETURN(args.cel, ToCelBuildArgs(f));
  } else if (!f.cel_columns.empty() || !f.routing_values.empty() || f.infer_routing_values) {
    return Status(ErrorCode::kInvalidArgument,
                  "--cel-column, --routing-value and --infer-routing-values need --cel-expr");
  }
  return args;
}

void AddReadOptions(CLI::App& app, ReadFlags* f, CLI::Option** ref, CLI::Option** offset) {
  app.add_option("--current-url", f->current_url,
                 "Full URL of the snapshot's _CURRENT pointer, e.g. file:///data/snap/_CURRENT "
                 "(default: $SHARDY_CURRENT). Read commands only.");
  app.add_option("--output-format", f->output_format,
                 "jsonl (one JSON object per line), json (indented), table or text")
      ->check(CLI::IsMember({"json", "jsonl", "table", "text"}))
      ->capture_default_str();
  app.add_option("--value-encoding", f->value_encoding,
                 "How values are printed: base64, hex, or utf8 (invalid bytes become U+FFFD)")
      ->check(CLI::IsMember({"base64", "hex", "utf8"}))
      ->capture_default_str();
  app.add_option("--null-repr", f->null_repr, "What a missing value prints as")
      ->capture_default_str();
  app.add_option("--local-root", f->local_root,
                 "Reader cache directory for shard files (default: $TMPDIR/shardyfusion-reader)");
  *ref = app.add_option("--ref", f->ref,
                        "Read this manifest (its full URL) instead of the one _CURRENT names");
  *offset = app.add_option("--offset", f->offset,
                           "Read the Nth newest manifest instead (0 = latest); see `history`");
  (*ref)->excludes(*offset);
}

std::optional<std::string> LookupEnv(const ShardyEnvironment& env, const std::string& name) {
  if (env.getenv) return env.getenv(name);
  const char* v = std::getenv(name.c_str());
  return v ? std::optional<std::string>(v) : std::nullopt;
}

}  // namespace

int RunShardy(int argc, const char* const* argv, std::istream& in, std::ostream& out,
              std::ostream& err, const ShardyEnvironment& env) {
  CLI::App app("Build and query shardyfusion snapshots: immutable, sharded key-value stores.",
               "shardy");
  app.set_version_flag("--version", std::string("shardy ") + SHARDY_VERSION,
                       "Print the version and exit");
  app.require_subcommand(1);
  app.footer(
      "Read commands take the global options before the subcommand, e.g.\n"
      "  shardy --current-url file:///data/snap/_CURRENT get 42\n"
      "Keys are read as the snapshot's key encoding needs: integers for u64be/u32be, text "
      "otherwise.\nExit codes: 0 ok, 1 failure (get --strict: also not found), 2 usage error.");

  ReadFlags rf;
  CLI::Option* ref_opt = nullptr;
  CLI::Option* offset_opt = nullptr;
  AddReadOptions(app, &rf, &ref_opt, &offset_opt);

  S3Flags global_s3;
  AddS3Flags(app, &global_s3);

  BuildFlags bf;
  CLI::App* build = nullptr;
  std::vector<CLI::Option*> build_presence;
  AddBuildCommand(app, &bf, &build, &build_presence);
  S3Flags build_s3;
  AddS3Flags(*build, &build_s3);

  std::string key;
  bool strict = false;
  std::vector<std::string> routing_context;
  const auto add_routing_context = [&routing_context](CLI::App* sub) {
    sub->add_option("--routing-context", routing_context,
                    "NAME=VALUE, repeatable: a CEL column's value for snapshots whose expression "
                    "reads columns other than the key (VALUE read by the column's type; bytes "
                    "as base64)")
        ->allow_extra_args(false);
  };
  CLI::App* get = app.add_subcommand("get", "Look up one key; prints {op, key, found, value}");
  get->add_option("KEY", key, "The key (an integer for u64be/u32be snapshots)")->required();
  get->add_flag("--strict", strict, "Exit 1 when the key is not found");
  add_routing_context(get);

  std::vector<std::string> keys;
  CLI::App* multiget =
      app.add_subcommand("multiget", "Look up several keys; prints {op, results: [...]}");
  multiget->add_option("KEYS", keys, "The keys, or - to read them from stdin, one per line")
      ->required();
  add_routing_context(multiget);

  CLI::App* info = app.add_subcommand("info", "Show the snapshot's metadata");
  CLI::App* shards = app.add_subcommand("shards", "List every shard: row count, key range, URL");

  CLI::App* route = app.add_subcommand("route", "Print the shard id a key routes to");
  route->add_option("KEY", key, "The key (an integer for u64be/u32be snapshots)")->required();
  add_routing_context(route);

  uint64_t limit = 10;
  CLI::App* history =
      app.add_subcommand("history", "List published manifests, newest first (offset 0 = latest)");
  history->add_option("--limit", limit, "Maximum number of manifests to list")
      ->capture_default_str();

  for (CLI::App* sub : {get, multiget, info, shards, route, history}) sub->fallthrough();

  CLI::App* cel = app.add_subcommand("cel", "CEL tools");
  cel->require_subcommand(1);
  std::string cel_expr;
  std::vector<std::string> cel_columns;
  CLI::App* cel_eval = cel->add_subcommand(
      "eval",
      "Evaluate a CEL expression; prints {\"value\": ..., \"type\": ...} or {\"error\": ...} "
      "(exit 0 either way). Bytes print as base64, non-finite doubles as \"NaN\", "
      "\"Infinity\", \"-Infinity\"");
  cel_eval->add_option("--expr", cel_expr, "The expression")->required();
  cel_eval
      ->add_option("--column", cel_columns,
                   "NAME:TYPE=VALUE, repeatable: a column and its value (int, uint, double, "
                   "string, bytes as base64, bool as true|false)")
      ->allow_extra_args(false);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e, out, err) == 0 ? 0 : kExitUsage;
  }

  const GetEnvFn getenv = [&env](const std::string& name) { return LookupEnv(env, name); };
  Result<S3Config> s3 =
      ResolveS3Config(*build ? MergeS3Flags(global_s3, build_s3) : global_s3, getenv);
  if (!s3.ok()) {
    err << "shardy: " << s3.status().message() << "\nRun with --help for more information.\n";
    return kExitUsage;
  }

  if (*build) {
    Result<BuildArgs> args = ToBuildArgs(bf, build_presence);
    if (!args.ok()) {
      err << "shardy build: " << args.status().message()
          << "\nRun with --help for more information.\n";
      return kExitUsage;
    }
    args->s3 = *s3;
    return RunBuild(*args, in, out, err, env.progress);
  }
  if (*cel_eval) return RunCelEval(cel_expr, cel_columns, out, err);

  ReadContext ctx;
  ctx.current_url = rf.current_url;
  if (ctx.current_url.empty()) ctx.current_url = LookupEnv(env, "SHARDY_CURRENT").value_or("");
  if (ctx.current_url.empty()) {
    err << "shardy: no snapshot given: pass --current-url URL (the full URL of _CURRENT) or "
           "set SHARDY_CURRENT\nRun with --help for more information.\n";
    return kExitUsage;
  }
  if (Result<std::pair<std::string, std::string>> split = SplitCurrentUrl(ctx.current_url);
      !split.ok()) {
    err << "shardy: " << split.status().message() << "\nRun with --help for more information.\n";
    return kExitUsage;
  }
  ctx.output.format = *ParseOutputFormat(rf.output_format);
  ctx.output.value_encoding = *ParseValueEncoding(rf.value_encoding);
  ctx.output.null_repr = rf.null_repr;
  ctx.local_root = rf.local_root;
  ctx.s3 = *s3;
  if (ref_opt->count() > 0) ctx.ref = rf.ref;
  if (offset_opt->count() > 0) ctx.offset = rf.offset;
  ctx.routing_context = routing_context;

  if (*get) return RunGet(ctx, key, strict, out, err);
  if (*multiget) return RunMultiGet(ctx, keys, in, out, err);
  if (*info) return RunInfo(ctx, out, err);
  if (*shards) return RunShards(ctx, out, err);
  if (*route) return RunRoute(ctx, key, out, err);
  if (*history) return RunHistory(ctx, limit, out, err);
  err << "shardy: no command given\nRun with --help for more information.\n";
  return kExitUsage;
}

}  // namespace shardyfusion::cli
