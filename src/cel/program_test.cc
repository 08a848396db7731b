#include "cel/program.h"

#include <gtest/gtest.h>

#include <string>

namespace shardyfusion::cel {
namespace {

// Compiles and evaluates `expr` with no variables; the result's debug form,
// "error: <message>" for an evaluation error, or "compile: <message>".
std::string EvalCel(const std::string& expr, bool check = true) {
  CompileOptions options;
  options.check = check;
  auto program = Program::Compile(expr, {}, options);
  if (!program.ok()) return "compile: " + program.status().message();
  Arena arena;
  Value v = (*program)->Evaluate({}, &arena);
  if (v.is_error()) return "error: " + std::string(v.str);
  return ValueDebugString(v);
}

std::string CheckedType(const std::string& expr, std::vector<Declaration> decls = {}) {
  auto program = Program::Compile(expr, std::move(decls));
  if (!program.ok()) return "compile: " + program.status().message();
  return TypeName((*program)->result_type());
}

bool IsError(const std::string& result) { return result.rfind("error: ", 0) == 0; }
bool IsCompileError(const std::string& result) { return result.rfind("compile: ", 0) == 0; }

TEST(CelEvalTest, IntegerArithmeticIsCheckedFor64BitOverflow) {
  EXPECT_EQ(EvalCel("1 + 2 * 3"), "7");
  EXPECT_EQ(EvalCel("9223372036854775807 - 1"), "9223372036854775806");
  EXPECT_TRUE(IsError(EvalCel("9223372036854775807 + 1")));
  EXPECT_TRUE(IsError(EvalCel("-9223372036854775808 - 1")));
  EXPECT_TRUE(IsError(EvalCel("-(-9223372036854775808)")));
  EXPECT_TRUE(IsError(EvalCel("4611686018427387904 * 2")));
  EXPECT_TRUE(IsError(EvalCel("-9223372036854775808 / -1")));
  EXPECT_EQ(EvalCel("-7 / 2"), "-3");
  EXPECT_EQ(EvalCel("-7 % 2"), "-1");
  EXPECT_TRUE(IsError(EvalCel("1 / 0")));
  EXPECT_TRUE(IsError(EvalCel("1 % 0")));
  EXPECT_EQ(EvalCel("18446744073709551615u"), "18446744073709551615u");
  EXPECT_TRUE(IsError(EvalCel("18446744073709551615u + 1u")));
  EXPECT_TRUE(IsError(EvalCel("0u - 1u")));
  EXPECT_TRUE(IsError(EvalCel("5u / 0u")));
  EXPECT_EQ(EvalCel("7u % 4u"), "3u");
  EXPECT_EQ(EvalCel("1.5 * 2.0"), "3");
  EXPECT_EQ(EvalCel("1.0 / 0.0"), "+Inf");
}

TEST(CelEvalTest, IntAndUintNeverMixInArithmetic) {
  EXPECT_TRUE(IsCompileError(EvalCel("1 + 1u")));
  EXPECT_TRUE(IsCompileError(EvalCel("1 + 1.0")));
  // Unchecked, the mismatch is an evaluation error, not a silent conversion.
  EXPECT_TRUE(IsError(EvalCel("1 + 1u", false)));
}

TEST(CelEvalTest, NumbersOfDifferentTypesCompareByValue) {
  EXPECT_EQ(EvalCel("1 < 1.5"), "true");
  EXPECT_EQ(EvalCel("2u > 1"), "true");
  EXPECT_EQ(EvalCel("-1 < 0u"), "true");
  EXPECT_EQ(EvalCel("9223372036854775807 < 9223372036854775808u"), "true");
  // int against double compares as doubles (the conformance suite's rule).
  EXPECT_EQ(EvalCel("dyn(9223372036854775807) < 9223372036854775808.0"), "false");
  EXPECT_EQ(EvalCel("18446744073709551615u > 1e19"), "true");
  EXPECT_EQ(EvalCel("18446744073709551615u < 18446744073709551616.0"), "false");  // as doubles
  EXPECT_EQ(EvalCel("1.0 / 0.0 > 9223372036854775807"), "true");
  EXPECT_EQ(EvalCel("dyn(1) == 1.0"), "true");
  EXPECT_EQ(EvalCel("dyn(1u) == 1"), "true");
  EXPECT_EQ(EvalCel("0.0 / 0.0 == 0.0 / 0.0"), "false");
  EXPECT_EQ(EvalCel("dyn(1) == 'a'"), "false");
  EXPECT_TRUE(IsCompileError(EvalCel("1 == 1u")));  // checked: same types only
  EXPECT_EQ(EvalCel("[1, 2] == [1, 2]"), "true");
  EXPECT_EQ(EvalCel("{'a': 1, 'b': 2} == {'b': 2, 'a': 1}"), "true");
  EXPECT_EQ(EvalCel("'abc' < 'abd'"), "true");
  EXPECT_EQ(EvalCel("b'\\x00' < b'\\xff'"), "true");
  EXPECT_EQ(EvalCel("false < true"), "true");
}

TEST(CelEvalTest, LogicalOperatorsAbsorbErrorsCommutatively) {
  EXPECT_EQ(EvalCel("false && (1 / 0 > 0)"), "false");
  EXPECT_EQ(EvalCel("(1 / 0 > 0) && false"), "false");
  EXPECT_EQ(EvalCel("true || (1 / 0 > 0)"), "true");
  EXPECT_EQ(EvalCel("(1 / 0 > 0) || true"), "true");
  EXPECT_TRUE(IsError(EvalCel("(1 / 0 > 0) && true")));
  EXPECT_TRUE(IsError(EvalCel("false || (1 / 0 > 0)")));
  EXPECT_EQ(EvalCel("'x' && false", false), "false");
  EXPECT_TRUE(IsError(EvalCel("'x' && true", false)));
  EXPECT_EQ(EvalCel("true ? 1 : 1 / 0"), "1");
  EXPECT_TRUE(IsError(EvalCel("1 / 0 > 0 ? 1 : 2")));
  EXPECT_EQ(EvalCel("!false"), "true");
}

TEST(CelEvalTest, ConversionsFailRatherThanWrap) {
  EXPECT_EQ(EvalCel("int(2.9)"), "2");
  EXPECT_EQ(EvalCel("int(-2.9)"), "-2");
  EXPECT_TRUE(IsError(EvalCel("int(9223372036854775807.0)")));
  EXPECT_TRUE(IsError(EvalCel("int(18446744073709551615u)")));
  EXPECT_TRUE(IsError(EvalCel("uint(-1)")));
  EXPECT_TRUE(IsError(EvalCel("uint(-0.5 - 1.0)")));
  EXPECT_TRUE(IsError(EvalCel("uint(-0.5)")));
  EXPECT_EQ(EvalCel("uint(-0.0)"), "0u");
  EXPECT_EQ(EvalCel("int('-42')"), "-42");
  EXPECT_TRUE(IsError(EvalCel("int('4x')")));
  EXPECT_TRUE(IsError(EvalCel("int('99999999999999999999')")));
  EXPECT_EQ(EvalCel("uint('7')"), "7u");
  EXPECT_EQ(EvalCel("double('2.5')"), "2.5");
  EXPECT_EQ(EvalCel("string(-4.5e-3)"), "\"-0.0045\"");
  EXPECT_EQ(EvalCel("string(12u)"), "\"12\"");
  EXPECT_EQ(EvalCel("string(b'abc')"), "\"abc\"");
  EXPECT_TRUE(IsError(EvalCel("string(b'\\xff')")));
  EXPECT_EQ(EvalCel("bytes('é')"), "b\"\\xc3\\xa9\"");
  EXPECT_EQ(EvalCel("bool('True')"), "true");
  EXPECT_TRUE(IsError(EvalCel("bool('yes')")));
  EXPECT_EQ(EvalCel("type(1) == int"), "true");
  EXPECT_EQ(EvalCel("type([]) == list"), "true");
  EXPECT_EQ(EvalCel("type(type(1))"), "type");
  EXPECT_EQ(EvalCel("type(7) == type(7u)"), "false");
  EXPECT_EQ(EvalCel("double('1e-400')"), "0");
  EXPECT_TRUE(IsError(EvalCel("double('1e400')")));
  EXPECT_EQ(EvalCel("1e-324 / 2.0"), "0");
  EXPECT_TRUE(IsCompileError(EvalCel("1e400")));
}

TEST(CelEvalTest, StringsListsAndMaps) {
  EXPECT_EQ(EvalCel("size('héllo')"), "5");
  EXPECT_EQ(EvalCel("size(b'h\\xc3\\xa9')"), "3");
  EXPECT_EQ(EvalCel("'hello'.startsWith('he') && 'hello'.endsWith('lo')"), "true");
  EXPECT_EQ(EvalCel("'hello'.contains('ell')"), "true");
  EXPECT_EQ(EvalCel("'us-east-1'.matches('^us-[a-z]+-[0-9]$')"), "true");
  EXPECT_TRUE(IsError(EvalCel("'x'.matches('(')")));
  EXPECT_EQ(EvalCel("'a' + 'b'"), "\"ab\"");
  EXPECT_EQ(EvalCel("[1, 2] + [3]"), "[1, 2, 3]");
  EXPECT_EQ(EvalCel("[1, 2, 3][1]"), "2");
  EXPECT_EQ(EvalCel("[7, 8][dyn(1u)]"), "8");
  EXPECT_EQ(EvalCel("[7, 8][dyn(1.0)]"), "8");
  EXPECT_TRUE(IsError(EvalCel("[7, 8][dyn(0.5)]")));
  EXPECT_TRUE(IsError(EvalCel("[1, 2, 3][3]")));
  EXPECT_TRUE(IsError(EvalCel("[1][-1]")));
  EXPECT_EQ(EvalCel("2 in [1, 2]"), "true");
  EXPECT_EQ(EvalCel("'b' in {'a': 1, 'b': 2}"), "true");
  EXPECT_EQ(EvalCel("{'a': 1}['a']"), "1");
  EXPECT_EQ(EvalCel("{'a': 1}.a"), "1");
  EXPECT_EQ(EvalCel("{'content-type': 'json'}.`content-type`"), "\"json\"");
  EXPECT_EQ(EvalCel("has({'a/b.c': 1}.`a/b.c`)"), "true");
  EXPECT_TRUE(IsCompileError(EvalCel("{'a': 1}.`a`()")));
  EXPECT_TRUE(IsCompileError(EvalCel("`a`")));
  EXPECT_TRUE(IsError(EvalCel("{'a': 1}['z']")));
  EXPECT_EQ(EvalCel("{1: 'x'}[dyn(1u)]"), "\"x\"");
  EXPECT_TRUE(IsError(EvalCel("{1: 'a', 1: 'b'}")));
  EXPECT_EQ(EvalCel("size({'a': 1, 'b': 2})"), "2");
  EXPECT_EQ(EvalCel("[1, 'a', 2.5]"), "[1, \"a\", 2.5]");  // heterogeneous literal: list(dyn)
  EXPECT_EQ(CheckedType("[1, 'a']"), "list(dyn)");
  // A dyn branch or element makes the join dyn (found by tools/cel-differential).
  EXPECT_EQ(CheckedType("false ? 'a' : dyn(1)"), "dyn");
  EXPECT_EQ(EvalCel("type(false ? 'a' : dyn(1))"), "int");
  EXPECT_EQ(EvalCel("bytes(false ? 'a' : dyn(b'x'))"), "b\"x\"");
  EXPECT_EQ(CheckedType("[1, dyn('a')]"), "list(dyn)");
}

TEST(CelEvalTest, MacrosExpandAndEvaluate) {
  EXPECT_EQ(EvalCel("[1, 2, 3].all(x, x > 0)"), "true");
  EXPECT_EQ(EvalCel("[1, 2, 3].exists(x, x == 2)"), "true");
  EXPECT_EQ(EvalCel("[1, 2, 3].exists_one(x, x > 1)"), "false");
  EXPECT_EQ(EvalCel("[1, 2, 3].existsOne(x, x > 2)"), "true");
  EXPECT_EQ(EvalCel("[1, 2, 3].map(x, x * 2)"), "[2, 4, 6]");
  EXPECT_EQ(EvalCel("[1, 2, 3].map(x, x > 1, x * 10)"), "[20, 30]");
  EXPECT_EQ(EvalCel("[1, 2, 3].filter(x, x != 2)"), "[1, 3]");
  EXPECT_EQ(EvalCel("{'a': 1, 'b': 2}.map(k, k + '!')"), "[\"a!\", \"b!\"]");
  EXPECT_EQ(EvalCel("has({'a': 1}.a) && !has({'a': 1}.b)"), "true");
  // all() absorbs an error when some element is false, like &&.
  EXPECT_EQ(EvalCel("[0, 1].all(x, 10 / x > 100)"), "false");
  EXPECT_TRUE(IsError(EvalCel("[0, 1].all(x, 10 / x > 0)")));
  EXPECT_EQ(EvalCel("[1, 2].exists(i, v, i == 1 && v == 2)"), "true");
  EXPECT_EQ(EvalCel("[[1], [2, 3]].map(l, l.map(x, x + 1))"), "[[2], [3, 4]]");
  EXPECT_EQ(CheckedType("[].map(x, x + 1)"), "list(int)");
  EXPECT_EQ(CheckedType("[1, 2].filter(x, x > 1)"), "list(int)");
  EXPECT_TRUE(IsCompileError(EvalCel("[1].all(x.y, true)")));
  EXPECT_TRUE(IsCompileError(EvalCel("[1].all(__result__, true)")));
  EXPECT_TRUE(IsCompileError(EvalCel("has(1)")));
}

TEST(CelCheckTest, UnknownNamesAndWrongTypesFailAtCompileWithPositions) {
  std::vector<Declaration> decls = {{"key", Type::Of(TypeKind::kInt)},
                                    {"region", Type::Of(TypeKind::kString)}};
  EXPECT_EQ(CheckedType("key % 4", decls), "int");
  EXPECT_EQ(CheckedType("shard_hash(region) % 8u", decls), "uint");
  EXPECT_EQ(CheckedType("region + ':' + string(key)", decls), "string");
  std::string r = CheckedType("key + nope", decls);
  EXPECT_NE(r.find("line 1, column 7"), std::string::npos) << r;
  EXPECT_NE(r.find("undeclared reference to 'nope'"), std::string::npos) << r;
  r = CheckedType("frobnicate(key)", decls);
  EXPECT_NE(r.find("undeclared reference to function 'frobnicate'"), std::string::npos) << r;
  r = CheckedType("key % 4u", decls);
  EXPECT_NE(r.find("no matching overload for '_%_' applied to (int, uint)"), std::string::npos)
      << r;
  r = CheckedType("region.startsWith(1)", decls);
  EXPECT_NE(r.find("'.startsWith' applied to (string, int)"), std::string::npos) << r;
  r = CheckedType("key ? 1 : 2", decls);
  EXPECT_NE(r.find("must be bool"), std::string::npos) << r;
  r = CheckedType("key.field", decls);
  EXPECT_NE(r.find("does not support field selection"), std::string::npos) << r;
}

TEST(CelCheckTest, QualifiedNamesResolveToTheLongestDeclaredPrefix) {
  std::vector<Declaration> decls = {{"a.b", Type::Map(Type::Of(TypeKind::kString), Type::Dyn())},
                                    {"a", Type::Dyn()}};
  auto program = Program::Compile("a.b.c", decls);
  ASSERT_TRUE(program.ok()) << program.status().ToString();
  Arena arena;
  MapRep* m = arena.NewMap();
  m->keys.push_back(Value::String("c"));
  m->values.push_back(Value::Int(7));
  Value vars[2] = {Value::Map(m), Value::Null()};
  Value v = (*program)->Evaluate(vars, &arena);
  EXPECT_EQ(ValueDebugString(v), "7");
}

TEST(CelEvalTest, ShardHashEqualsTheHashRoutingDigest) {
  // Golden digests of the routing contract (docs/format/routing.md).
  EXPECT_EQ(EvalCel("shard_hash(0)"), "14374147212387527897u");
  EXPECT_EQ(EvalCel("shard_hash(-1)"), "5841669975847748627u");
  EXPECT_EQ(EvalCel("shard_hash(42u)"), "15395265915043915720u");
  EXPECT_EQ(EvalCel("shard_hash('')"), "3244421341483603138u");
  EXPECT_EQ(EvalCel("shard_hash('hello') == shard_hash(b'hello')"), "true");
  EXPECT_EQ(EvalCel("shard_hash(b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00') == shard_hash(0)"),
            "true");
  EXPECT_EQ(EvalCel("shard_hash(42) % 100u"), "20u");
  EXPECT_TRUE(IsError(EvalCel("shard_hash(9223372036854775808u)")));
  EXPECT_TRUE(IsCompileError(EvalCel("shard_hash(1.5)")));
}

// Found by fuzzing: nine nested map() calls over ten elements ran for hours.
TEST(CelEvalTest, HostileLoopsAndGrowthEndInABudgetError) {
  std::string nested = "l";
  for (int i = 0; i < 9; ++i) nested = "l.map(x" + std::to_string(i) + ", " + nested + ")";
  std::string l = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]";
  auto program = Program::Compile(nested, {{"l", Type::List(Type::Of(TypeKind::kInt))}});
  ASSERT_TRUE(program.ok()) << program.status().ToString();
  Arena arena;
  ListRep* list = arena.NewList();
  for (int i = 0; i < 10; ++i) list->elems.push_back(Value::Int(i));
  Value var = Value::List(list);
  Value v = (*program)->Evaluate(std::span<const Value>(&var, 1), &arena);
  ASSERT_TRUE(v.is_error());
  EXPECT_NE(std::string(v.str).find("budget"), std::string::npos);
  // Doubling a list: 2^40 elements would exhaust memory.
  std::string doubling = "[1]";
  for (int i = 0; i < 40; ++i) doubling = "[" + doubling + "].map(a, a + a)[0]";
  EXPECT_TRUE(IsError(EvalCel(doubling))) << EvalCel(doubling).substr(0, 100);
  // The budget is per evaluation: the next one starts afresh.
  EXPECT_EQ(EvalCel("[1, 2, 3].map(x, x * 2)"), "[2, 4, 6]");
}

TEST(CelEvalTest, UncheckedUnknownsAreEvaluationErrors) {
  EXPECT_TRUE(IsError(EvalCel("x", false)));
  EXPECT_TRUE(IsError(EvalCel("f(1)", false)));
  EXPECT_EQ(EvalCel("x || true", false), "true");
}

TEST(CelEvalTest, ArenaResetReusesMemoryAcrossEvaluations) {
  auto program = Program::Compile("s + '-' + s", {{"s", Type::Of(TypeKind::kString)}});
  ASSERT_TRUE(program.ok());
  Arena arena;
  for (int i = 0; i < 1000; ++i) {
    std::string s = "value" + std::to_string(i);
    Value var = Value::String(s);
    Value v = (*program)->Evaluate(std::span<const Value>(&var, 1), &arena);
    ASSERT_EQ(v.str, s + "-" + s);
    arena.Reset();
  }
}

}  // namespace
}  // namespace shardyfusion::cel
