// cel_conformance: runs the official CEL conformance tests (the CEL spec's
// simple tests and cel-go's parser cases, from @bufbuild/cel-spec; dumped to
// JSON by dump.mjs) against src/cel's Program.
//
//   cel_conformance [--verbose] [--failures FILE] [--known-failures FILE] DATA_DIR
//
// DATA_DIR holds conformance.json and parsing.json. Prints one line per file
// (passed / failed / skipped), the skip reasons with their counts, and a
// total with the pass rate over the tests that ran. --verbose prints every
// failure (and every skip) to stdout, --failures FILE writes the failures
// there, one per line:
//   file/section/name: expr => expected X, got Y
//
// What a test needs to pass:
// - `value`: evaluation gives that value under a strict comparison: same
//   kind (1 and 1u differ, unlike CEL's ==), doubles equal or both NaN,
//   lists elementwise, maps as sets of entries.
// - `evalError` / `anyEvalErrors`: the expression compiles and evaluation
//   gives an error value; the message texts are loose hints and are not
//   compared. A compile error fails such a test ("compile error instead of
//   eval error"), with one exception: when the checker is on and the
//   expected message says "no such overload" / "no matching overload", a
//   checked implementation legitimately rejects the call at compile time.
// - `typedResult`: the checker's result type (TypeName) equals the deduced
//   type, and unless `checkOnly`, the value matches as for `value`.
// - no matcher: the result is `true`.
// - cel-go parsing cases: one with an `ast` must compile with the checker
//   off (parse and macro expansion); one without must fail to. cel-go runs
//   them with a recursion limit of 32, and so does this runner.
//
// A test is skipped, with a reason, only when it needs something this
// engine does not claim: protobuf messages, enums or well-known types, a
// `container`, timestamps and durations, function declarations, the
// extension libraries, unknowns. See SkipReason and README.md.
//
// Exit status: 0 when every failure is listed in the known-failures file
// (`file/section/name  # reason` per line), 1 otherwise, 2 on usage or data
// errors. Listed tests that now pass are printed so the list can be trimmed.

#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cel/program.h"
#include "cel/types.h"
#include "cel/value.h"
#include "core/base64.h"

namespace shardyfusion::cel {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------------------
// Skip decisions.

// Files that only test protobuf message, enum and wrapper semantics.
const std::set<std::string> kProtobufFiles = {"dynamic",    "enums",  "proto2",
                                              "proto2_ext", "proto3", "wrappers"};
// Files of extension libraries the engine does not offer.
const std::map<std::string, std::string> kExtensionFiles = {
    {"bindings_ext", "extension: cel.bind (bindings_ext)"},
    {"block_ext", "extension: cel.@block (block_ext)"},
    {"encoders_ext", "extension: base64 encoders (encoders_ext)"},
    {"math_ext", "extension: math library (math_ext)"},
    {"optionals", "extension: optional values"},
    {"string_ext", "extension: string library (string_ext)"},
};

constexpr char kSkipMessages[] = "needs protobuf messages, enums or well-known types";
constexpr char kSkipTime[] = "needs timestamps/durations";
constexpr char kSkipOptionals[] = "extension: optional values";

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// A message literal `Name{...}` (a map literal's `{` never follows an
// identifier, except the `in` operator's right operand).
bool HasMessageConstruction(const std::string& expr) {
  static const std::regex kIdentBrace(R"(([A-Za-z_][A-Za-z0-9_]*)\s*\{)");
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), kIdentBrace);
       it != std::sregex_iterator(); ++it) {
    const size_t at = static_cast<size_t>(it->position(1));
    const bool starts_word =
        at == 0 || !(std::isalnum(static_cast<unsigned char>(expr[at - 1])) || expr[at - 1] == '_');
    if (starts_word && (*it)[1] != "in") return true;
  }
  return false;
}

// The names of the conformance suite's message and enum types, and the
// well-known types' package.
bool MentionsMessageTypes(const std::string& expr) {
  static const std::regex kNames(
      R"(TestAllTypes|NestedMessage|GlobalEnum|NestedEnum|google\.protobuf|cel\.expr\.conformance)");
  return std::regex_search(expr, kNames) || HasMessageConstruction(expr);
}

bool MentionsTime(const std::string& expr) {
  static const std::regex kTime(R"(\b(timestamp|duration)\s*\()");
  return std::regex_search(expr, kTime);
}

// Whether a JSON type or value (anywhere inside `j`) is a message, enum,
// well-known type, wrapper or abstract (optional, user-defined) type.
bool HasProtobufJson(const json& j, bool* optional_type) {
  if (j.is_object()) {
    for (const auto& [key, v] : j.items()) {
      if (key == "abstractType" && v.is_object() && v.value("name", "") == "optional_type") {
        *optional_type = true;
      }
      if (key == "messageType" || key == "wellKnown" || key == "wrapper" || key == "objectValue" ||
          key == "enumValue" || key == "abstractType") {
        return true;
      }
      if (key == "typeValue" && v.is_string() && Contains(v.get<std::string>(), ".")) return true;
      if (HasProtobufJson(v, optional_type)) return true;
    }
  } else if (j.is_array()) {
    for (const json& v : j) {
      if (HasProtobufJson(v, optional_type)) return true;
    }
  }
  return false;
}

// Why a conformance test cannot run here, or nullopt if it should.
std::optional<std::string> SkipReason(const std::string& file, const json& test) {
  if (kProtobufFiles.count(file)) return std::string("protobuf-only file");
  if (auto ext = kExtensionFiles.find(file); ext != kExtensionFiles.end()) return ext->second;
  if (file == "timestamps") return std::string(kSkipTime);
  if (test.contains("container")) return std::string("sets a container");
  if (test.contains("unknown") || test.contains("anyUnknowns")) {
    return std::string("unknown/anyUnknowns matcher");
  }
  for (const json& decl : test.value("typeEnv", json::array())) {
    if (decl.contains("function")) return std::string("declares functions");
  }
  const std::string expr = test.value("expr", "");
  // macros2 tests the two-variable comprehensions: the engine has the
  // all/exists/existsOne forms, not the transformList/transformMap ones.
  if (file == "macros2" && (Contains(expr, "transformList") || Contains(expr, "transformMap"))) {
    return std::string("extension: transformList/transformMap (macros2)");
  }
  if (Contains(expr, "optional.") || Contains(expr, ".?") || Contains(expr, "[?")) {
    return std::string(kSkipOptionals);
  }
  if (MentionsTime(expr)) return std::string(kSkipTime);
  json matter = test;  // what the test declares, binds and expects
  matter.erase("name");
  matter.erase("description");
  matter.erase("expr");
  bool optional_type = false;
  if (HasProtobufJson(matter, &optional_type)) {
    return std::string(optional_type ? kSkipOptionals : kSkipMessages);
  }
  if (MentionsMessageTypes(expr)) return std::string(kSkipMessages);
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// JSON -> cel::Type and cel::Value.

// nullopt for the types this engine has no counterpart of (messages,
// well-known types, wrappers, abstract types, type parameters).
std::optional<Type> ParseType(const json& j) {
  if (!j.is_object()) return std::nullopt;
  if (j.contains("primitive")) {
    static const std::map<std::string, TypeKind> kPrimitives = {
        {"BOOL", TypeKind::kBool},     {"INT64", TypeKind::kInt},     {"UINT64", TypeKind::kUint},
        {"DOUBLE", TypeKind::kDouble}, {"STRING", TypeKind::kString}, {"BYTES", TypeKind::kBytes}};
    auto it = kPrimitives.find(j["primitive"].get<std::string>());
    if (it == kPrimitives.end()) return std::nullopt;
    return Type::Of(it->second);
  }
  if (j.contains("listType")) {
    std::optional<Type> elem = ParseType(j["listType"].value("elemType", json::object()));
    if (!elem) return std::nullopt;
    return Type::List(std::move(*elem));
  }
  if (j.contains("mapType")) {
    std::optional<Type> key = ParseType(j["mapType"].value("keyType", json::object()));
    std::optional<Type> value = ParseType(j["mapType"].value("valueType", json::object()));
    if (!key || !value) return std::nullopt;
    return Type::Map(std::move(*key), std::move(*value));
  }
  if (j.contains("dyn")) return Type::Dyn();
  if (j.contains("null")) return Type::Of(TypeKind::kNull);
  if (j.contains("type")) {
    std::optional<Type> of = ParseType(j["type"]);
    if (!of) return std::nullopt;
    return Type::TypeOf(std::move(*of));
  }
  return std::nullopt;
}

double ParseJsonDouble(const json& j) {
  if (j.is_number()) return j.get<double>();
  const std::string s = j.get<std::string>();
  if (s == "Infinity") return INFINITY;
  if (s == "-Infinity") return -INFINITY;
  if (s == "NaN") return NAN;
  return std::stod(s);
}

// A protobuf-JSON cel.expr.Value, with its strings, lists and maps in
// `arena`. nullopt for messages and enums.
std::optional<Value> ParseValue(const json& j, Arena* arena) {
  if (j.contains("nullValue")) return Value::Null();
  if (j.contains("boolValue")) return Value::Bool(j["boolValue"].get<bool>());
  if (j.contains("int64Value")) {
    const json& v = j["int64Value"];
    return Value::Int(v.is_string() ? std::stoll(v.get<std::string>()) : v.get<int64_t>());
  }
  if (j.contains("uint64Value")) {
    const json& v = j["uint64Value"];
    return Value::Uint(v.is_string() ? std::stoull(v.get<std::string>()) : v.get<uint64_t>());
  }
  if (j.contains("doubleValue")) return Value::Double(ParseJsonDouble(j["doubleValue"]));
  if (j.contains("stringValue")) {
    return Value::String(arena->Intern(j["stringValue"].get<std::string>()));
  }
  if (j.contains("bytesValue")) {
    std::optional<std::string> bytes = Base64Decode(j["bytesValue"].get<std::string>());
    if (!bytes) return std::nullopt;
    return Value::Bytes(arena->Intern(*bytes));
  }
  if (j.contains("typeValue")) return Value::Type(arena->Intern(j["typeValue"].get<std::string>()));
  if (j.contains("listValue")) {
    ListRep* list = arena->NewList();
    for (const json& e : j["listValue"].value("values", json::array())) {
      std::optional<Value> v = ParseValue(e, arena);
      if (!v) return std::nullopt;
      list->elems.push_back(*v);
    }
    return Value::List(list);
  }
  if (j.contains("mapValue")) {
    MapRep* map = arena->NewMap();
    for (const json& e : j["mapValue"].value("entries", json::array())) {
      std::optional<Value> k = ParseValue(e.value("key", json::object()), arena);
      std::optional<Value> v = ParseValue(e.value("value", json::object()), arena);
      if (!k || !v) return std::nullopt;
      map->keys.push_back(*k);
      map->values.push_back(*v);
    }
    return Value::Map(map);
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Strict comparison: unlike CEL's == (ValuesEqual), 1 and 1u and 1.0 differ,
// and NaN matches NaN.

bool StrictEqual(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case ValueKind::kNull:
      return true;
    case ValueKind::kBool:
      return a.b == b.b;
    case ValueKind::kInt:
      return a.i == b.i;
    case ValueKind::kUint:
      return a.u == b.u;
    case ValueKind::kDouble:
      return a.d == b.d || (std::isnan(a.d) && std::isnan(b.d));
    case ValueKind::kString:
    case ValueKind::kBytes:
    case ValueKind::kType:
    case ValueKind::kError:
      return a.str == b.str;
    case ValueKind::kList: {
      if (a.list->elems.size() != b.list->elems.size()) return false;
      for (size_t i = 0; i < a.list->elems.size(); ++i) {
        if (!StrictEqual(a.list->elems[i], b.list->elems[i])) return false;
      }
      return true;
    }
    case ValueKind::kMap: {
      // Keys are unique in both maps, so equal sizes and every entry of a
      // found in b make them equal.
      if (a.map->keys.size() != b.map->keys.size()) return false;
      for (size_t i = 0; i < a.map->keys.size(); ++i) {
        bool found = false;
        for (size_t k = 0; k < b.map->keys.size() && !found; ++k) {
          found = StrictEqual(a.map->keys[i], b.map->keys[k]) &&
                  StrictEqual(a.map->values[i], b.map->values[k]);
        }
        if (!found) return false;
      }
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------
// Running one test.

enum class Outcome { kPass, kFail, kSkip };

struct TestResult {
  Outcome outcome;
  std::string detail;  // the failure ("expected X, got Y"), the skip reason, or a pass's note
};

// `note` marks a pass by the compile-time overload rule (see the top).
TestResult Pass(std::string note = "") { return {Outcome::kPass, std::move(note)}; }
TestResult Fail(std::string why) { return {Outcome::kFail, std::move(why)}; }
TestResult Skip(std::string why) { return {Outcome::kSkip, std::move(why)}; }

bool ExpectsEvalError(const json& test) {
  return test.contains("evalError") || test.contains("anyEvalErrors");
}

// Whether the expected error is an overload mismatch, which a checked
// implementation reports at compile time instead.
bool ExpectsOverloadError(const json& test) {
  const json& err = test.contains("evalError") ? test["evalError"] : test["anyEvalErrors"];
  const std::string text = err.dump();
  return Contains(text, "no such overload") || Contains(text, "no matching overload") ||
         Contains(text, "no_such_overload");
}

TestResult RunConformanceTest(const json& test) {
  Arena arena;
  std::vector<Declaration> decls;
  std::set<std::string> declared;
  for (const json& d : test.value("typeEnv", json::array())) {
    std::optional<Type> type = ParseType(d["ident"].value("type", json::object()));
    if (!type) return Skip(kSkipMessages);
    declared.insert(d["name"].get<std::string>());
    decls.push_back({d["name"].get<std::string>(), std::move(*type)});
  }
  std::map<std::string, Value> bound;
  const json bindings = test.value("bindings", json::object());  // outlives items()
  for (const auto& [name, binding] : bindings.items()) {
    std::optional<Value> v = ParseValue(binding.value("value", json::object()), &arena);
    if (!v) return Skip(kSkipMessages);
    bound[name] = *v;
    if (!declared.count(name)) decls.push_back({name, Type::Dyn()});
  }
  std::vector<Value> vars;
  for (const Declaration& d : decls) {
    auto it = bound.find(d.name);
    // A declared but unbound variable reads as an error, as in CEL's
    // activation without that attribute.
    vars.push_back(it != bound.end()
                       ? it->second
                       : arena.NewError("no value bound for variable '" + d.name + "'"));
  }

  CompileOptions options;
  options.check = !test.value("disableCheck", false);
  options.expand_macros = !test.value("disableMacros", false);
  const std::string expr = test["expr"].get<std::string>();
  auto program = Program::Compile(expr, decls, options);
  if (!program.ok()) {
    if (ExpectsEvalError(test)) {
      if (options.check && ExpectsOverloadError(test)) {
        return Pass("overload error at compile time: " + program.status().message());
      }
      return Fail("compile error instead of eval error: " + program.status().message());
    }
    return Fail("compile error: " + program.status().message());
  }

  std::optional<Value> expected;
  if (test.contains("typedResult")) {
    const json& typed = test["typedResult"];
    std::optional<Type> want = ParseType(typed.value("deducedType", json::object()));
    if (!want) return Skip(kSkipMessages);
    const std::string got = TypeName((*program)->result_type());
    if (got != TypeName(*want)) {
      return Fail("expected type " + TypeName(*want) + ", got type " + got);
    }
    if (test.value("checkOnly", false) || !typed.contains("result")) return Pass();
    expected = ParseValue(typed["result"], &arena);
    if (!expected) return Skip(kSkipMessages);
  } else if (test.value("checkOnly", false)) {
    return Pass();
  }

  const Value got = (*program)->Evaluate(vars, &arena);
  if (ExpectsEvalError(test)) {
    if (got.is_error()) return Pass();
    return Fail("expected an eval error, got " + ValueDebugString(got));
  }
  if (!expected) {
    if (test.contains("value")) {
      expected = ParseValue(test["value"], &arena);
      if (!expected) return Skip(kSkipMessages);
    } else {
      expected = Value::Bool(true);
    }
  }
  if (StrictEqual(*expected, got)) return Pass();
  return Fail("expected " + ValueDebugString(*expected) + ", got " + ValueDebugString(got));
}

// A cel-go parser case: accepted (it has an `ast`) or rejected.
TestResult RunParsingTest(const json& test) {
  const std::string expr = test["original"]["expr"].get<std::string>();
  const bool accept = test.contains("ast");
  if (accept && HasMessageConstruction(expr)) return Skip(kSkipMessages);
  // cel-go leaves escaped field names (a.`b-c`) off in these cases; the
  // spec allows them (conformance fields/quoted_map_fields), so an engine
  // that accepts them is right.
  if (!accept && Contains(test.value("error", ""), "unsupported syntax: '`'")) {
    return Skip("cel-go option: escaped field names off");
  }
  CompileOptions options;
  options.check = false;
  options.parse.max_depth = 32;  // cel-go's parser tests' limit
  auto program = Program::Compile(expr, {}, options);
  if (accept && !program.ok()) return Fail("expected to parse, got " + program.status().message());
  if (!accept && program.ok()) return Fail("expected a parse error, but it compiled");
  return Pass();
}

// ---------------------------------------------------------------------------
// The run over both suites, and the report.

struct FileCounts {
  int passed = 0;
  int failed = 0;
  int skipped = 0;
};

struct Report {
  std::vector<std::string> file_order;
  std::map<std::string, FileCounts> files;
  std::map<std::string, int> skip_reasons;
  std::vector<std::pair<std::string, std::string>> failures;  // id, line
  std::vector<std::pair<std::string, std::string>> skips;     // id, reason
  std::set<std::string> passed_ids;
  std::vector<std::pair<std::string, std::string>> noted_passes;  // id, note

  void Add(const std::string& file, const std::string& id, const std::string& expr,
           const TestResult& r) {
    if (!files.count(file)) file_order.push_back(file);
    FileCounts& c = files[file];
    switch (r.outcome) {
      case Outcome::kPass:
        ++c.passed;
        passed_ids.insert(id);
        if (!r.detail.empty()) noted_passes.emplace_back(id, r.detail);
        break;
      case Outcome::kFail:
        ++c.failed;
        failures.emplace_back(id, id + ": " + OneLine(expr) + " => " + r.detail);
        break;
      case Outcome::kSkip:
        ++c.skipped;
        ++skip_reasons[r.detail];
        skips.emplace_back(id, r.detail);
        break;
    }
  }

  // Expressions and messages may span lines; a report line must not.
  static std::string OneLine(const std::string& s) {
    std::string out;
    for (char ch : s) {
      if (ch == '\n') {
        out += "\\n";
      } else if (ch == '\t') {
        out += "\\t";
      } else if (ch == '\r') {
        out += "\\r";
      } else {
        out += ch;
      }
    }
    return out;
  }
};

// Runs one test, turning a malformed test (an unexpected JSON shape) into
// a failure rather than ending the run.
template <typename F>
TestResult Guarded(F run) {
  try {
    return run();
  } catch (const std::exception& e) {
    return Fail(std::string("runner: malformed test: ") + e.what());
  }
}

void RunConformanceSuite(const json& suite, Report* report) {
  for (const json& file : suite.value("suites", json::array())) {
    const std::string fname = file["name"].get<std::string>();
    for (const json& section : file.value("suites", json::array())) {
      const std::string sname = section["name"].get<std::string>();
      for (const json& t : section.value("tests", json::array())) {
        const json& test = t["original"];
        const std::string id = fname + "/" + sname + "/" + test.value("name", "");
        const std::string expr = test.value("expr", "");
        std::optional<std::string> skip = SkipReason(fname, test);
        TestResult r = skip ? Skip(*skip) : Guarded([&] { return RunConformanceTest(test); });
        report->Add(fname, id, expr, r);
      }
    }
  }
}

void RunParsingSuite(const json& suite, Report* report) {
  const json& tests = suite.at("tests");
  for (size_t i = 0; i < tests.size(); ++i) {
    const json& t = tests[i];
    // The cases have no names; their position in the pinned suite is stable.
    const std::string id = std::string("parsing/") + (t.contains("ast") ? "accept" : "reject") +
                           "/" + std::to_string(i);
    report->Add("parsing", id, t["original"].value("expr", ""),
                Guarded([&] { return RunParsingTest(t); }));
  }
}

std::optional<json> LoadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cel_conformance: cannot read %s (run dump.mjs first)\n", path.c_str());
    return std::nullopt;
  }
  try {
    return json::parse(in);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cel_conformance: %s: %s\n", path.c_str(), e.what());
    return std::nullopt;
  }
}

// The ids in a known-failures file: the first word of each line, without
// blank lines and `#` comments.
std::optional<std::set<std::string>> LoadKnownFailures(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cel_conformance: cannot read %s\n", path.c_str());
    return std::nullopt;
  }
  std::set<std::string> ids;
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos) continue;
    const size_t end = line.find_first_of(" \t", start);
    ids.insert(line.substr(start, end == std::string::npos ? std::string::npos : end - start));
  }
  return ids;
}

int Usage() {
  std::fprintf(stderr,
               "usage: cel_conformance [--verbose] [--failures FILE] [--known-failures FILE] "
               "DATA_DIR\n");
  return 2;
}

int Main(int argc, char** argv) {
  bool verbose = false;
  std::string failures_path, known_path, data_dir;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--verbose") {
      verbose = true;
    } else if (arg == "--failures" && i + 1 < argc) {
      failures_path = argv[++i];
    } else if (arg == "--known-failures" && i + 1 < argc) {
      known_path = argv[++i];
    } else if (!arg.starts_with("--") && data_dir.empty()) {
      data_dir = arg;
    } else {
      return Usage();
    }
  }
  if (data_dir.empty()) return Usage();
  std::set<std::string> known;
  if (!known_path.empty()) {
    std::optional<std::set<std::string>> k = LoadKnownFailures(known_path);
    if (!k) return 2;
    known = std::move(*k);
  }
  std::optional<json> conformance = LoadJson(data_dir + "/conformance.json");
  std::optional<json> parsing = LoadJson(data_dir + "/parsing.json");
  if (!conformance || !parsing) return 2;

  Report report;
  RunConformanceSuite(*conformance, &report);
  RunParsingSuite(*parsing, &report);

  FileCounts total;
  for (const std::string& file : report.file_order) {
    const FileCounts& c = report.files[file];
    std::printf("%-16s passed %4d  failed %4d  skipped %4d\n", file.c_str(), c.passed, c.failed,
                c.skipped);
    total.passed += c.passed;
    total.failed += c.failed;
    total.skipped += c.skipped;
  }
  const int run = total.passed + total.failed;
  std::printf("%-16s passed %4d  failed %4d  skipped %4d  (%.1f%% of %d run tests pass)\n", "total",
              total.passed, total.failed, total.skipped, run > 0 ? 100.0 * total.passed / run : 0.0,
              run);
  std::printf("skipped, by reason:\n");
  for (const auto& [reason, n] : report.skip_reasons) std::printf("  %5d  %s\n", n, reason.c_str());

  std::printf("%d evalError tests passed with an overload error at compile time\n",
              static_cast<int>(report.noted_passes.size()));
  if (verbose) {
    for (const auto& [id, note] : report.noted_passes) {
      std::printf("pass %s: %s\n", id.c_str(), note.c_str());
    }
    for (const auto& [id, reason] : report.skips)
      std::printf("skip %s: %s\n", id.c_str(), reason.c_str());
    for (const auto& [id, line] : report.failures) {
      std::printf("FAIL %s%s\n", line.c_str(), known.count(id) ? "  (known)" : "");
    }
  }
  if (!failures_path.empty()) {
    std::ofstream out(failures_path, std::ios::trunc);
    for (const auto& [id, line] : report.failures) out << line << "\n";
    if (!out) {
      std::fprintf(stderr, "cel_conformance: cannot write %s\n", failures_path.c_str());
      return 2;
    }
  }

  int unexpected = 0;
  for (const auto& [id, line] : report.failures) {
    if (known.count(id)) continue;
    ++unexpected;
    if (!verbose) std::printf("FAIL %s\n", line.c_str());
  }
  std::set<std::string> seen;
  for (const auto& [id, line] : report.failures) seen.insert(id);
  for (const std::string& id : known) {
    if (report.passed_ids.count(id)) {
      std::printf("known failure now passes (remove it from the list): %s\n", id.c_str());
    } else if (!seen.count(id)) {
      std::printf("known failure not run (skipped or no such test): %s\n", id.c_str());
    }
  }
  const int known_failed = static_cast<int>(report.failures.size()) - unexpected;
  std::printf("%d failures, %d of them known\n", static_cast<int>(report.failures.size()),
              known_failed);
  return unexpected > 0 ? 1 : 0;
}

}  // namespace
}  // namespace shardyfusion::cel

int main(int argc, char** argv) { return shardyfusion::cel::Main(argc, argv); }
