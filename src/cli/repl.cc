#include "cli/repl.h"

#include <editline/readline.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/output.h"
#include "cli/shardy.h"

namespace shardyfusion::cli {

namespace {

constexpr const char* kHelp =
    "commands:\n"
    "  get KEY              the value of KEY\n"
    "  multiget KEY...      the values of several keys\n"
    "  route KEY            the shard KEY routes to\n"
    "  info | shards        the snapshot's metadata | its shards\n"
    "  health [SECS]        healthy, or degraded when older than SECS\n"
    "  history [N]          the N newest manifests (default 10)\n"
    "  refresh              follow _CURRENT to the newest snapshot\n"
    "  use --offset N | --ref REF | --latest\n"
    "                       read another manifest in this session (_CURRENT is not changed)\n"
    "  help | quit | exit\n";

// The next line: libedit on a terminal, else a plain line of `in`.
bool NextLine(std::istream& in, bool terminal, std::string* line) {
  if (terminal) {
    char* got = readline("shardy> ");
    if (got == nullptr) return false;
    *line = got;
    std::free(got);
    if (!line->empty()) add_history(line->c_str());
    return true;
  }
  if (!std::getline(in, *line)) return false;
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return true;
}

std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

std::optional<uint64_t> Number(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

}  // namespace

int RunRepl(ReadSession& session, std::istream& in, std::ostream& out, std::ostream& err,
            bool terminal) {
  auto usage = [&](const std::string& what) {
    EmitError("repl", what, std::nullopt, session.ctx().output, err);
  };
  if (terminal) out << "shardy: " << session.ctx().current_url << " (help for commands)\n";
  std::string line;
  while (NextLine(in, terminal, &line)) {
    const std::vector<std::string> w = Words(line);
    if (w.empty() || w[0].starts_with('#')) continue;
    const std::string& cmd = w[0];
    const std::vector<std::string> args(w.begin() + 1, w.end());
    if (cmd == "quit" || cmd == "exit") break;
    if (cmd == "help") {
      out << kHelp;
    } else if (cmd == "get" || cmd == "route") {
      if (args.size() != 1) {
        usage(cmd + " takes one KEY");
      } else if (cmd == "get") {
        RunGet(session, args[0], false, out, err);
      } else {
        RunRoute(session, args[0], out, err);
      }
    } else if (cmd == "multiget") {
      if (args.empty() || args[0] == "-") {
        usage("multiget takes one or more KEYs");
      } else {
        RunMultiGet(session, args, in, out, err);
      }
    } else if (cmd == "info" && args.empty()) {
      RunInfo(session, out, err);
    } else if (cmd == "shards" && args.empty()) {
      RunShards(session, out, err);
    } else if (cmd == "health" && args.size() <= 1) {
      std::optional<uint64_t> secs;
      if (!args.empty() && !(secs = Number(args[0]))) {
        usage("health takes a number of seconds");
      } else {
        RunHealth(session, secs, out, err);
      }
    } else if (cmd == "history" && args.size() <= 1) {
      std::optional<uint64_t> n = args.empty() ? 10 : Number(args[0]);
      if (!n) {
        usage("history takes a number of manifests");
      } else {
        RunHistory(session.ctx(), *n, out, err);
      }
    } else if (cmd == "refresh" && args.empty()) {
      Result<ShardedReader*> reader = session.Reader();
      Result<bool> changed = reader.ok() ? (*reader)->Refresh() : Result<bool>(reader.status());
      if (!changed.ok()) {
        EmitError("refresh", changed.status().ToString(), std::nullopt, session.ctx().output, err);
      } else {
        EmitResult({{"op", "refresh"}, {"changed", *changed}}, session.ctx().output, out);
      }
    } else if (cmd == "use") {
      std::optional<uint64_t> offset;
      if (args.size() == 1 && args[0] == "--latest") {
        session.Repin(std::nullopt, std::nullopt);
      } else if (args.size() == 2 && args[0] == "--ref") {
        session.Repin(args[1], std::nullopt);
      } else if (args.size() == 2 && args[0] == "--offset" && (offset = Number(args[1]))) {
        session.Repin(std::nullopt, offset);
      } else {
        usage("use takes --offset N, --ref REF or --latest");
        continue;
      }
      Result<ShardedReader*> reader = session.Reader();
      if (!reader.ok()) {
        EmitError("use", reader.status().ToString(), std::nullopt, session.ctx().output, err);
      } else {
        EmitResult({{"op", "use"}, {"manifest_ref", (*reader)->snapshot_info().manifest_ref}},
                   session.ctx().output, out);
      }
    } else {
      usage("unknown command \"" + line + "\"; type help for the commands");
    }
    out.flush();
  }
  return kExitOk;
}

}  // namespace shardyfusion::cli
