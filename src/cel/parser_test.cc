#include "cel/parser.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "cel/ast_debug.h"

namespace shardyfusion::cel {
namespace {

// The debug form of `src`, or "error: <message>".
std::string P(std::string_view src) {
  auto r = Parse(src);
  if (!r.ok()) {
    EXPECT_EQ(r.status().code(), ErrorCode::kConfigValidation);
    return "error: " + r.status().message();
  }
  return DebugString(r->root);
}

TEST(CelParserTest, Literals) {
  EXPECT_EQ(P("1"), "1");
  EXPECT_EQ(P("0x10"), "16");
  EXPECT_EQ(P("7u"), "7u");
  EXPECT_EQ(P("0xFFu"), "255u");
  EXPECT_EQ(P("1.5"), "1.5");
  EXPECT_EQ(P("1e3"), "1000.0");
  EXPECT_EQ(P(".5"), "0.5");
  EXPECT_EQ(P("'s'"), "\"s\"");
  EXPECT_EQ(P("\"a\\\"b\""), "\"a\\\"b\"");
  EXPECT_EQ(P(R"(b"\xff\x00")"), R"(b"\xff\x00")");
  EXPECT_EQ(P(R"(r"raw\n")"), R"("raw\\n")");
  EXPECT_EQ(P("'''multi\nline'''"), R"("multi\nline")");
  EXPECT_EQ(P("true"), "true");
  EXPECT_EQ(P("false"), "false");
  EXPECT_EQ(P("null"), "null");
}

TEST(CelParserTest, ConstantValues) {
  auto r = Parse("-9223372036854775808");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->root.kind, ExprKind::kConst);
  EXPECT_EQ(r->root.constant.kind, ConstKind::kInt);
  EXPECT_EQ(r->root.constant.int_value, std::numeric_limits<int64_t>::min());
  r = Parse("18446744073709551615u");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->root.constant.uint_value, std::numeric_limits<uint64_t>::max());
  r = Parse("b'\\377'");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->root.constant.kind, ConstKind::kBytes);
  EXPECT_EQ(r->root.constant.string_value, "\xff");
  r = Parse("-2.5");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->root.constant.kind, ConstKind::kDouble);
  EXPECT_DOUBLE_EQ(r->root.constant.double_value, -2.5);
}

TEST(CelParserTest, IntegerRange) {
  EXPECT_EQ(P("9223372036854775807"), "9223372036854775807");
  EXPECT_EQ(P("-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(P("x - 1"), "_-_(x, 1)");
  EXPECT_EQ(P("x * -1"), "_*_(x, -1)");
  EXPECT_EQ(P("9223372036854775808"), "error: line 1, column 1: int literal out of range");
  EXPECT_EQ(P("-9223372036854775809"), "error: line 1, column 2: int literal out of range");
  EXPECT_EQ(P("-1u"), "error: line 1, column 1: a uint literal cannot be negative");
  EXPECT_EQ(P("18446744073709551616u"), "error: line 1, column 1: uint literal out of range");
}

TEST(CelParserTest, Precedence) {
  EXPECT_EQ(P("1 + 2 * x"), "_+_(1, _*_(2, x))");
  EXPECT_EQ(P("(1 + 2) * x"), "_*_(_+_(1, 2), x)");
  EXPECT_EQ(P("a - b - c"), "_-_(_-_(a, b), c)");
  EXPECT_EQ(P("a / b % c * d"), "_*_(_%_(_/_(a, b), c), d)");
  EXPECT_EQ(P("a + b < c * d"), "_<_(_+_(a, b), _*_(c, d))");
  EXPECT_EQ(P("a < b == c"), "_==_(_<_(a, b), c)");
  EXPECT_EQ(P("a <= b != c >= d > e"), "_>_(_>=_(_!=_(_<=_(a, b), c), d), e)");
  EXPECT_EQ(P("a == b && c"), "_&&_(_==_(a, b), c)");
  EXPECT_EQ(P("a || b && c"), "_||_(a, _&&_(b, c))");
  EXPECT_EQ(P("a && b || c && d"), "_||_(_&&_(a, b), _&&_(c, d))");
  EXPECT_EQ(P("a || b || c"), "_||_(_||_(a, b), c)");
  EXPECT_EQ(P("a ? b : c"), "_?_:_(a, b, c)");
  EXPECT_EQ(P("a ? b : c ? d : e"), "_?_:_(a, b, _?_:_(c, d, e))");
  EXPECT_EQ(P("a || b ? c + 1 : d"), "_?_:_(_||_(a, b), _+_(c, 1), d)");
  EXPECT_EQ(P("(a ? b : c) ? d : e"), "_?_:_(_?_:_(a, b, c), d, e)");
  EXPECT_EQ(P("x in y && z"), "_&&_(@in(x, y), z)");
  EXPECT_EQ(P("x + 1 in y"), "@in(_+_(x, 1), y)");
}

TEST(CelParserTest, Unary) {
  EXPECT_EQ(P("!a"), "!_(a)");
  EXPECT_EQ(P("!!a"), "a");
  EXPECT_EQ(P("!!!a"), "!_(a)");
  EXPECT_EQ(P("-a"), "-_(a)");
  EXPECT_EQ(P("--a"), "a");
  EXPECT_EQ(P("-a.b"), "-_(a.b)");
  EXPECT_EQ(P("!a && b"), "_&&_(!_(a), b)");
  EXPECT_EQ(P("-(1)"), "-_(1)");
  EXPECT_EQ(P("-x * 2"), "_*_(-_(x), 2)");
  EXPECT_EQ(P("-!a"), "error: line 1, column 2: '!' and '-' cannot be mixed without parentheses");
  EXPECT_EQ(P("-(!a)"), "-_(!_(a))");
}

TEST(CelParserTest, PostfixChains) {
  EXPECT_EQ(P("a.b.c"), "a.b.c");
  EXPECT_EQ(P("a.b(1).c"), "a.b(1).c");
  EXPECT_EQ(P("a[0][1]"), "_[_](_[_](a, 0), 1)");
  EXPECT_EQ(P("a.b[c.d]"), "_[_](a.b, c.d)");
  EXPECT_EQ(P("m[\"k\"].size()"), "_[_](m, \"k\").size()");
  EXPECT_EQ(P("f(x).g(y, z)[0]"), "_[_](f(x).g(y, z), 0)");
  EXPECT_EQ(P("'abc'.size()"), "\"abc\".size()");
  EXPECT_EQ(P("[1, 2][0]"), "_[_]([1, 2], 0)");
  EXPECT_EQ(P("(a + b).c"), "_+_(a, b).c");
  EXPECT_EQ(P(".a.b"), ".a.b");
  EXPECT_EQ(P(".f(1)"), ".f(1)");
  EXPECT_EQ(P("a.`true`"), "a.true");  // a keyword names a field only when quoted
  EXPECT_EQ(P("a.if"), "a.if");
}

TEST(CelParserTest, CallsListsMaps) {
  EXPECT_EQ(P("f()"), "f()");
  EXPECT_EQ(P("f(1, 2,)"), "error: line 1, column 8: unexpected ')', expected expression");
  EXPECT_EQ(P("[]"), "[]");
  EXPECT_EQ(P("[1]"), "[1]");
  EXPECT_EQ(P("[1, 2, 3,]"), "[1, 2, 3]");
  EXPECT_EQ(P("[[1], []]"), "[[1], []]");
  EXPECT_EQ(P("{}"), "{}");
  EXPECT_EQ(P("{'a': 1, 2: [x],}"), "{\"a\": 1, 2: [x]}");
  EXPECT_EQ(P("{a: {b: c}}"), "{a: {b: c}}");
  EXPECT_EQ(P("has(a.b)"), "has(a.b)");  // macros stay calls at this stage
  EXPECT_EQ(P("l.all(x, x > 0)"), "l.all(x, _>_(x, 0))");
}

TEST(CelParserTest, ReservedWords) {
  EXPECT_EQ(P("if"), "error: line 1, column 1: reserved identifier 'if'");
  EXPECT_EQ(P("a + while"), "error: line 1, column 5: reserved identifier 'while'");
  EXPECT_EQ(P("namespace(1)"), "error: line 1, column 1: reserved identifier 'namespace'");
  EXPECT_EQ(P(".let"), "error: line 1, column 2: reserved identifier 'let'");
  EXPECT_EQ(P("in"), "error: line 1, column 1: unexpected 'in', expected expression");
  EXPECT_EQ(P("ifx"), "ifx");
}

TEST(CelParserTest, Errors) {
  EXPECT_EQ(P(""), "error: line 1, column 1: unexpected end of input, expected expression");
  EXPECT_EQ(P("1 +"), "error: line 1, column 4: unexpected end of input, expected expression");
  EXPECT_EQ(P("(1"), "error: line 1, column 3: unexpected end of input, expected ')'");
  EXPECT_EQ(P("a."),
            "error: line 1, column 3: unexpected end of input, expected field name after '.'");
  EXPECT_EQ(P("{1:}"), "error: line 1, column 4: unexpected '}', expected expression");
  EXPECT_EQ(P("{1}"), "error: line 1, column 3: unexpected '}', expected ':'");
  EXPECT_EQ(P("[1 2]"), "error: line 1, column 4: unexpected int literal, expected ',' or ']'");
  EXPECT_EQ(P("f(1 2)"), "error: line 1, column 5: unexpected int literal, expected ',' or ')'");
  EXPECT_EQ(P("a b"), "error: line 1, column 3: unexpected identifier 'b', expected end of input");
  EXPECT_EQ(P("a ? b"), "error: line 1, column 6: unexpected end of input, expected ':'");
  EXPECT_EQ(P("a[1"), "error: line 1, column 4: unexpected end of input, expected ']'");
  EXPECT_EQ(P("self.true == 1"),
            "error: line 1, column 6: unexpected 'true', expected field name after '.'");
  EXPECT_EQ(P("a.`b`()"), "error: line 1, column 3: a `quoted` name cannot be called");
  EXPECT_EQ(P("x == 'abc"), "error: line 1, column 6: unterminated string literal");
  EXPECT_EQ(P("rb'x'"),
            "error: line 1, column 3: unexpected string literal, expected end of input");
  EXPECT_EQ(P("'\\z'"), "error: line 1, column 2: invalid escape sequence");
  EXPECT_EQ(P("a.1"), "error: line 1, column 2: unexpected double literal, expected end of input");
  EXPECT_EQ(P("x +\n  )"), "error: line 2, column 3: unexpected ')', expected expression");
  EXPECT_EQ(P("Msg{f: 1}"),
            "error: line 1, column 4: message construction (Type{...}) is not supported");
  EXPECT_EQ(P("a.b.Msg{}"),
            "error: line 1, column 8: message construction (Type{...}) is not supported");
}

TEST(CelParserTest, DepthLimit) {
  std::string deep(300, '(');
  deep += "1";
  deep += std::string(300, ')');
  std::string got = P(deep);
  EXPECT_NE(got.find("expression nested too deeply (limit 250)"), std::string::npos) << got;

  std::string ok(100, '(');
  ok += "1";
  ok += std::string(100, ')');
  EXPECT_EQ(P(ok), "1");

  // Long flat operator chains nest the tree too; they are bounded as well.
  std::string chain = "a";
  for (int i = 0; i < 100000; ++i) chain += " + a";
  got = P(chain);
  EXPECT_NE(got.find("nested too deeply"), std::string::npos);
  std::string dots = "a";
  for (int i = 0; i < 100000; ++i) dots += ".b";
  EXPECT_NE(P(dots).find("nested too deeply"), std::string::npos);
  std::string lists(100000, '[');
  EXPECT_NE(P(lists).find("nested too deeply"), std::string::npos);
  std::string bangs(100000, '!');  // a run of '!' is one level, not 100000
  EXPECT_EQ(P(bangs + "a"), "a");

  ParseOptions small;
  small.max_depth = 3;
  EXPECT_TRUE(Parse("((1))", small).ok());
  EXPECT_FALSE(Parse("((((1))))", small).ok());
}

// Inputs just inside the default depth limit parse on a 1 MB thread stack
// (the parser keeps its recursive frames small; a regression would crash).
TEST(CelParserTest, DeepInputsFitASmallStack) {
  static std::vector<std::string> inputs;
  const int n = 240;
  std::string s;
  inputs.push_back(std::string(n, '(') + "1" + std::string(n, ')'));
  inputs.push_back(std::string(n, '[') + std::string(n, ']'));
  for (int i = 0; i < n; ++i) s += "f(";
  inputs.push_back(s + "1" + std::string(n, ')'));
  s = "a";
  for (int i = 0; i < n; ++i) s += "[a";
  inputs.push_back(s + std::string(n, ']'));
  s.clear();
  for (int i = 0; i < n; ++i) s += "{1:";
  inputs.push_back(s + "1" + std::string(n, '}'));
  s.clear();
  for (int i = 0; i < n; ++i) s += "x.y(";
  inputs.push_back(s + std::string(n, ')'));
  static int parsed = 0;
  auto run = [](void*) -> void* {
    // Postfix steps count as levels too, so some inputs reach the limit.
    for (const std::string& in : inputs) {
      auto r = Parse(in);
      bool limited = !r.ok() && r.status().message().find("too deeply") != std::string::npos;
      parsed += (r.ok() || limited) ? 1 : 0;
    }
    return nullptr;
  };
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  // 1 MiB in an optimised build. AddressSanitizer's unoptimised frames with
  // redzones, and ThreadSanitizer's instrumented ones, are several times
  // larger, so those builds get the usual 8 MiB main-thread size: still a
  // fixed bound the depth limit must respect.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  constexpr size_t kStack = 8 << 20;
#else
  constexpr size_t kStack = 1 << 20;
#endif
  ASSERT_EQ(pthread_attr_setstacksize(&attr, kStack), 0);
  pthread_t thread;
  ASSERT_EQ(pthread_create(&thread, &attr, run, nullptr), 0);
  ASSERT_EQ(pthread_join(thread, nullptr), 0);
  pthread_attr_destroy(&attr);
  EXPECT_EQ(parsed, static_cast<int>(inputs.size()));
}

TEST(CelParserTest, IdsAndPositions) {
  auto r = Parse("a +\n  f(b)");
  ASSERT_TRUE(r.ok());
  const Expr& root = r->root;
  EXPECT_EQ(root.name, "_+_");
  EXPECT_EQ(root.position.line, 1);
  EXPECT_EQ(root.position.column, 3);
  ASSERT_EQ(root.args.size(), 2u);
  EXPECT_EQ(root.args[1].kind, ExprKind::kCall);
  EXPECT_EQ(root.args[1].position.line, 2);
  EXPECT_EQ(root.args[1].position.column, 3);
  EXPECT_EQ(root.args[1].args[0].position.column, 5);
  std::set<int64_t> ids = {root.id, root.args[0].id, root.args[1].id, root.args[1].args[0].id};
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(*ids.begin(), 1);
  EXPECT_EQ(r->max_id, 4);

  r = Parse("{1: 2}");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->root.entries.size(), 1u);
  EXPECT_EQ(r->max_id, 4);  // map, key, entry, value
  EXPECT_EQ(r->root.entries[0].position.column, 3);
}

TEST(CelParserTest, RealisticExpressions) {
  struct Case {
    const char* src;
    const char* want;
  };
  const Case kCases[] = {
      {"shard_hash(key) % 8u", "_%_(shard_hash(key), 8u)"},
      {"region == \"eu\" ? 0 : 1", "_?_:_(_==_(region, \"eu\"), 0, 1)"},
      {"key % 4u", "_%_(key, 4u)"},
      {"x in [1, 2, 3]", "@in(x, [1, 2, 3])"},
      {"m[\"k\"].size() > 0", "_>_(_[_](m, \"k\").size(), 0)"},
      {"b\"\\xff\\x00\"", "b\"\\xff\\x00\""},
      {"r\"raw\\n\"", "\"raw\\\\n\""},
      {"'''multi\nline'''", "\"multi\\nline\""},
      {"key.startsWith('user:') && size(key) < 64",
       "_&&_(key.startsWith(\"user:\"), _<_(size(key), 64))"},
      {"int(key) / 1000 % 16", "_%_(_/_(int(key), 1000), 16)"},
      {"uint(shard_hash(key)) % uint(num_dbs)", "_%_(uint(shard_hash(key)), uint(num_dbs))"},
      {"region in ['eu', 'us'] ? region : 'other'",
       "_?_:_(@in(region, [\"eu\", \"us\"]), region, \"other\")"},
      {"{'eu': 0, 'us': 1}[region]", "_[_]({\"eu\": 0, \"us\": 1}, region)"},
      {"has(record.tenant) ? record.tenant : 'default'",
       "_?_:_(has(record.tenant), record.tenant, \"default\")"},
      {"ts >= timestamp('2024-01-01T00:00:00Z')", "_>=_(ts, timestamp(\"2024-01-01T00:00:00Z\"))"},
      {"duration('1h') > duration('30m')", "_>_(duration(\"1h\"), duration(\"30m\"))"},
      {"key.matches('^[a-f0-9]+$')", "key.matches(\"^[a-f0-9]+$\")"},
      {"tags.exists(t, t == 'hot')", "tags.exists(t, _==_(t, \"hot\"))"},
      {"items.map(i, i * 2).filter(j, j > 10)", "items.map(i, _*_(i, 2)).filter(j, _>_(j, 10))"},
      {"a.b.c == .pkg.Const", "_==_(a.b.c, .pkg.Const)"},
      {"!(a || b) && !c", "_&&_(!_(_||_(a, b)), !_(c))"},
      {"x != null && x.y == 1.0", "_&&_(_!=_(x, null), _==_(x.y, 1.0))"},
      {"score * 1e-3 + 0.5", "_+_(_*_(score, 0.001), 0.5)"},
      {"b'abc' + bytes('d')", "_+_(b\"abc\", bytes(\"d\"))"},
      {"size(list) == 0 || list[0] == 'x'",
       "_||_(_==_(size(list), 0), _==_(_[_](list, 0), \"x\"))"},
      {"// route by region\nregion == 'eu' // EU first\n ? 0 : 1",
       "_?_:_(_==_(region, \"eu\"), 0, 1)"},
      {"0x7fffffffffffffff + -0x8000000000000000",
       "_+_(9223372036854775807, -9223372036854775808)"},
      {"string(key)[0:2]", "error: line 1, column 14: unexpected ':', expected ']'"},
      {"a == b == c", "_==_(_==_(a, b), c)"},
      {"[1, 2, 3].size() % 2u == 1u", "_==_(_%_([1, 2, 3].size(), 2u), 1u)"},
      {"\"\\u00e9t\\u00e9\" == '\xc3\xa9t\xc3\xa9'",
       "_==_(\"\xc3\xa9t\xc3\xa9\", \"\xc3\xa9t\xc3\xa9\")"},
  };
  for (const Case& c : kCases) EXPECT_EQ(P(c.src), c.want) << c.src;
}

TEST(CelParserTest, Deterministic) {
  const char* src = "a.b(c, [d, {e: f}])[g] ? -h : !i";
  EXPECT_EQ(P(src), P(src));
  EXPECT_EQ(P(src), "_?_:_(_[_](a.b(c, [d, {e: f}]), g), -_(h), !_(i))");
}

}  // namespace
}  // namespace shardyfusion::cel
