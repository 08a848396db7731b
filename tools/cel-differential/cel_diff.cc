// cel_diff: our CEL engine's side of the differential test against
// @bufbuild/cel (tools/cel-differential, run.sh).
//
//   cel_diff CASES_JSONL RESULTS_JSONL
//
// Reads one case per line,
//   {"expr": "...", "vars": [{"name": "x", "type": "int", "value": "5"}]}
// (int and uint values as decimal strings, bytes as base64, doubles as JSON
// numbers or "NaN" / "Infinity" / "-Infinity" / "-0"), and writes one result
// per line, in the same order:
//   {"compile_error": msg, "unchecked": R}      the checker (or parser) said no
//   {"error": msg, "static_type": T, "unchecked": R}
//   {"type": name, "value": V, "static_type": T, "unchecked": R}
// R is the same expression compiled without the type checker (CEL's
// unchecked mode, the only mode @bufbuild/cel 0.6.1 has) and evaluated: an
// object of the first three forms without "unchecked" and "static_type".
// It lets compare.mjs judge an expression our checker rejects by what it
// does at run time, and check that checking never changes a result.
//
// V is the canonical value encoding shared with cel_eval.mjs (README.md):
// {"int": "-5"}, {"uint": "5"}, {"double": "1.5e+0"} (shortest round-trip
// digits, exponent form; "-0e+0", "NaN", "Infinity", "-Infinity"),
// {"string": s}, {"bytes": base64}, {"bool": b}, {"null": null},
// {"type": name}, {"list": [V...]}, {"map": [[K, V]...]} with entries sorted
// by the JSON text of K.
//
// Exit status 0 when every line was processed, 2 on unreadable input.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cel/program.h"
#include "cel/types.h"
#include "cel/value.h"
#include "core/base64.h"

namespace {

using nlohmann::json;
namespace cel = shardyfusion::cel;

// Shortest round-trip digits in exponent form with the exponent's leading
// zeros dropped ("1.5e+0", "1e+308"): exactly what JavaScript's
// Number.prototype.toExponential() prints, so both sides agree on the text.
std::string CanonicalDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string s(buf, ec == std::errc() ? static_cast<size_t>(end - buf) : 0);
  size_t e = s.find('e');
  if (e == std::string::npos || e + 2 > s.size()) return s;
  size_t digits = e + 2;  // after "e+" or "e-"
  while (digits + 1 < s.size() && s[digits] == '0') s.erase(digits, 1);
  return s;
}

json Canonical(const cel::Value& v) {
  switch (v.kind) {
    case cel::ValueKind::kNull:
      return {{"null", nullptr}};
    case cel::ValueKind::kBool:
      return {{"bool", v.b}};
    case cel::ValueKind::kInt:
      return {{"int", std::to_string(v.i)}};
    case cel::ValueKind::kUint:
      return {{"uint", std::to_string(v.u)}};
    case cel::ValueKind::kDouble:
      return {{"double", CanonicalDouble(v.d)}};
    case cel::ValueKind::kString:
      return {{"string", std::string(v.str)}};
    case cel::ValueKind::kBytes:
      return {{"bytes", shardyfusion::Base64Encode(v.str)}};
    case cel::ValueKind::kType:
      return {{"type", std::string(v.str)}};
    case cel::ValueKind::kList: {
      json elems = json::array();
      for (const cel::Value& e : v.list->elems) elems.push_back(Canonical(e));
      return {{"list", std::move(elems)}};
    }
    case cel::ValueKind::kMap: {
      // Insertion order is not part of a map's value; sorting makes equal
      // maps print equal.
      std::vector<std::pair<std::string, json>> entries;
      for (size_t i = 0; i < v.map->keys.size(); ++i) {
        json k = Canonical(v.map->keys[i]);
        std::string text = k.dump();
        entries.emplace_back(std::move(text),
                             json::array({std::move(k), Canonical(v.map->values[i])}));
      }
      std::sort(entries.begin(), entries.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      json out = json::array();
      for (auto& e : entries) out.push_back(std::move(e.second));
      return {{"map", std::move(out)}};
    }
    case cel::ValueKind::kError:
      // An error nested in a list or map cannot happen (construction
      // propagates it), but say so rather than crash if it ever does.
      return {{"error", std::string(v.str)}};
  }
  return nullptr;
}

json Outcome(const cel::Value& v) {
  if (v.is_error()) return {{"error", std::string(v.str)}};
  return {{"type", std::string(cel::TypeNameOf(v))}, {"value", Canonical(v)}};
}

// A case's variables: their declarations and their values. Bytes and
// strings are owned here, so the Values may point into them.
struct Bindings {
  std::vector<cel::Declaration> decls;
  std::vector<cel::Value> values;
  std::vector<std::unique_ptr<std::string>> storage;
};

std::optional<double> ParseDouble(const json& j) {
  if (j.is_number()) return j.get<double>();
  if (!j.is_string()) return std::nullopt;
  std::string s = j.get<std::string>();
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s == "Infinity") return std::numeric_limits<double>::infinity();
  if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  if (s == "-0") return -0.0;
  return std::nullopt;
}

template <typename T>
std::optional<T> ParseInteger(const json& j) {
  if (!j.is_string()) return std::nullopt;
  std::string s = j.get<std::string>();
  T out{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return out;
}

// nullopt (with a message on stderr) when a variable is malformed: that is
// a generator bug, not an engine difference.
std::optional<Bindings> ParseVars(const json& vars) {
  Bindings b;
  for (const json& var : vars) {
    std::string name = var.at("name").get<std::string>();
    std::string type = var.at("type").get<std::string>();
    const json& value = var.at("value");
    cel::Value v;
    cel::TypeKind kind;
    if (type == "int") {
      auto i = ParseInteger<int64_t>(value);
      if (!i) return std::nullopt;
      kind = cel::TypeKind::kInt;
      v = cel::Value::Int(*i);
    } else if (type == "uint") {
      auto u = ParseInteger<uint64_t>(value);
      if (!u) return std::nullopt;
      kind = cel::TypeKind::kUint;
      v = cel::Value::Uint(*u);
    } else if (type == "double") {
      auto d = ParseDouble(value);
      if (!d) return std::nullopt;
      kind = cel::TypeKind::kDouble;
      v = cel::Value::Double(*d);
    } else if (type == "bool") {
      if (!value.is_boolean()) return std::nullopt;
      kind = cel::TypeKind::kBool;
      v = cel::Value::Bool(value.get<bool>());
    } else if (type == "string") {
      if (!value.is_string()) return std::nullopt;
      kind = cel::TypeKind::kString;
      b.storage.push_back(std::make_unique<std::string>(value.get<std::string>()));
      v = cel::Value::String(*b.storage.back());
    } else if (type == "bytes") {
      if (!value.is_string()) return std::nullopt;
      auto raw = shardyfusion::Base64Decode(value.get<std::string>());
      if (!raw) return std::nullopt;
      kind = cel::TypeKind::kBytes;
      b.storage.push_back(std::make_unique<std::string>(std::move(*raw)));
      v = cel::Value::Bytes(*b.storage.back());
    } else {
      return std::nullopt;
    }
    b.decls.push_back({name, cel::Type::Of(kind)});
    b.values.push_back(v);
  }
  return b;
}

// Compiles with or without the checker and evaluates once.
json Run(const std::string& expr, const Bindings& b, bool check, std::string* static_type) {
  cel::CompileOptions options;
  options.check = check;
  auto program = cel::Program::Compile(expr, b.decls, options);
  if (!program.ok()) return {{"compile_error", program.status().message()}};
  if (static_type != nullptr) *static_type = cel::TypeName((*program)->result_type());
  cel::Arena arena;
  return Outcome((*program)->Evaluate(b.values, &arena));
}

json RunCase(const json& c) {
  std::string expr = c.at("expr").get<std::string>();
  std::optional<Bindings> b = ParseVars(c.value("vars", json::array()));
  if (!b) return {{"bad_case", "malformed vars"}};
  std::string static_type;
  json out = Run(expr, *b, /*check=*/true, &static_type);
  if (!out.contains("compile_error")) out["static_type"] = static_type;
  out["unchecked"] = Run(expr, *b, /*check=*/false, nullptr);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: cel_diff CASES_JSONL RESULTS_JSONL\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  std::ofstream out(argv[2]);
  if (!in || !out) {
    std::cerr << "cel_diff: cannot open " << (in ? argv[2] : argv[1]) << "\n";
    return 2;
  }
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    json c = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (c.is_discarded() || !c.contains("expr")) {
      std::cerr << "cel_diff: line " << n << " is not a case\n";
      return 2;
    }
    // Replace, not throw, on invalid UTF-8: a string result the engine
    // built from bytes must still produce a line.
    out << RunCase(c).dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  }
  return 0;
}
