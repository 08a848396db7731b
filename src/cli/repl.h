// `shardy` with no subcommand: an interactive session on one snapshot, the
// reference's REPL. One reader serves the whole session (ReadSession).
//
//   get KEY | multiget KEY... | route KEY | info | shards | health [SECS]
//   history [N] | refresh | use --offset N | use --ref REF | use --latest
//   help | quit | exit   (end of input quits too)
//
// `use` pins this session to another manifest; `_CURRENT` is never touched.
// On a terminal (`terminal`) lines are read with libedit (line editing and
// history) after a `shardy> ` prompt and jsonl output is shown as indented
// json; otherwise plain lines are read from `in`, with no prompt, so
//   printf 'get 1\nquit\n' | shardy --current-url ...
// works. Each command prints as its subcommand does; an error is printed and
// the session goes on. Returns 0 at the end.
//
// Thread-safety: one session per call.
#pragma once

#include <istream>
#include <ostream>

#include "cli/read_commands.h"

namespace shardyfusion::cli {

int RunRepl(ReadSession& session, std::istream& in, std::ostream& out, std::ostream& err,
            bool terminal);

}  // namespace shardyfusion::cli
