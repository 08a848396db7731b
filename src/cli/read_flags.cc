#include "cli/read_flags.h"

#include <CLI/CLI.hpp>

#include "cli/reader_config.h"
#include "core/status_internal.h"

namespace shardyfusion::cli {

void AddReadFlags(CLI::App& app, ReadFlags* f) {
  app.add_option("--current-url", f->current_url,
                 "Full URL of the snapshot's _CURRENT pointer, e.g. file:///data/snap/_CURRENT "
                 "(default: $SHARDY_CURRENT). Read commands only.");
  f->output_format_option =
      app.add_option("--output-format", f->output_format,
                     "jsonl (one JSON object per line), json (indented), table or text")
          ->check(CLI::IsMember({"json", "jsonl", "table", "text"}))
          ->capture_default_str();
  f->value_encoding_option =
      app.add_option("--value-encoding", f->value_encoding,
                     "How values are printed: base64, hex, or utf8 (invalid bytes become U+FFFD)")
          ->check(CLI::IsMember({"base64", "hex", "utf8"}))
          ->capture_default_str();
  f->null_repr_option =
      app.add_option("--null-repr", f->null_repr, "What a missing value prints as")
          ->capture_default_str();
  f->local_root_option = app.add_option(
      "--local-root", f->local_root,
      "Reader cache directory for shard files (default: $TMPDIR/shardyfusion-reader)");
  app.add_option("--config", f->config,
                 "reader.toml with [reader] and [output] settings that the flags override "
                 "(default: $SHARDY_CONFIG, ./reader.toml, ~/.config/shardy/reader.toml)");
  f->ref_option = app.add_option(
      "--ref", f->ref, "Read this manifest (its full URL) instead of the one _CURRENT names");
  f->offset_option = app.add_option(
      "--offset", f->offset, "Read the Nth newest manifest instead (0 = latest); see `history`");
  f->ref_option->excludes(f->offset_option);
}

void ApplyReaderConfig(const ReaderConfig& config, ReadFlags* f) {
  auto fill = [](CLI::Option* given, const std::optional<std::string>& v, std::string* out) {
    if (v && given->count() == 0) *out = *v;
  };
  fill(f->output_format_option, config.output_format, &f->output_format);
  fill(f->value_encoding_option, config.value_encoding, &f->value_encoding);
  fill(f->null_repr_option, config.null_repr, &f->null_repr);
  fill(f->local_root_option, config.local_root, &f->local_root);
  f->config_current_url = config.current_url.value_or("");
}

CLI::App* AddReadSubcommand(CLI::App& app, const std::string& name,
                            const std::string& description) {
  CLI::App* sub = app.add_subcommand(name, description);
  sub->fallthrough();
  return sub;
}

void AddRoutingContextFlag(CLI::App* sub, std::vector<std::string>* routing_context) {
  sub->add_option("--routing-context", *routing_context,
                  "NAME=VALUE, repeatable: a CEL column's value for snapshots whose expression "
                  "reads columns other than the key (VALUE read by the column's type; bytes "
                  "as base64)")
      ->allow_extra_args(false);
}

Result<ReadContext> ToReadContext(const CommandContext& ctx,
                                  std::vector<std::string> routing_context) {
  const ReadFlags& f = ctx.read;
  ReadContext read;
  read.current_url = f.current_url;
  if (read.current_url.empty()) read.current_url = ctx.getenv("SHARDY_CURRENT").value_or("");
  if (read.current_url.empty()) read.current_url = f.config_current_url;
  if (read.current_url.empty()) {
    return Status(ErrorCode::kInvalidArgument,
                  "no snapshot given: pass --current-url URL (the full URL of _CURRENT), set "
                  "SHARDY_CURRENT, or set [reader] current_url in reader.toml (--config)");
  }
  SHARDY_RETURN_IF_ERROR(SplitCurrentUrl(read.current_url).status());
  read.output.format = *ParseOutputFormat(f.output_format);
  read.output.value_encoding = *ParseValueEncoding(f.value_encoding);
  read.output.null_repr = f.null_repr;
  read.local_root = f.local_root;
  read.s3 = ctx.s3;
  if (f.ref_option->count() > 0) read.ref = f.ref;
  if (f.offset_option->count() > 0) read.offset = f.offset;
  read.routing_context = std::move(routing_context);
  return read;
}

}  // namespace shardyfusion::cli
