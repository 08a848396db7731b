#include "cel/lexer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace shardyfusion::cel {
namespace {

std::vector<Token> Lex(std::string_view src) {
  auto r = Tokenize(src);
  EXPECT_TRUE(r.ok()) << src << ": " << r.status().ToString();
  return r.ok() ? std::move(r).value() : std::vector<Token>{};
}

Token LexOne(std::string_view src) {
  std::vector<Token> toks = Lex(src);
  EXPECT_EQ(toks.size(), 2u) << src;
  return toks.empty() ? Token{} : toks[0];
}

std::string LexError(std::string_view src) {
  auto r = Tokenize(src);
  EXPECT_FALSE(r.ok()) << src;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), ErrorCode::kConfigValidation);
  return r.status().message();
}

std::string Str(std::string_view src) {
  Token t = LexOne(src);
  EXPECT_EQ(t.kind, TokenKind::kString) << src;
  return t.string_value;
}

std::string Bytes(std::string_view src) {
  Token t = LexOne(src);
  EXPECT_EQ(t.kind, TokenKind::kBytes) << src;
  return t.string_value;
}

TEST(CelLexerTest, Integers) {
  Token t = LexOne("0");
  EXPECT_EQ(t.kind, TokenKind::kInt);
  EXPECT_EQ(t.int_value, 0u);
  EXPECT_EQ(LexOne("123").int_value, 123u);
  EXPECT_EQ(LexOne("0x1F").int_value, 31u);
  EXPECT_EQ(LexOne("0XfF").int_value, 255u);
  EXPECT_EQ(LexOne("9223372036854775808").int_value, uint64_t{1} << 63);  // for -x folding
  t = LexOne("42u");
  EXPECT_EQ(t.kind, TokenKind::kUint);
  EXPECT_EQ(t.int_value, 42u);
  EXPECT_EQ(LexOne("0xffU").kind, TokenKind::kUint);
  EXPECT_EQ(LexOne("18446744073709551615u").int_value, 18446744073709551615u);
  EXPECT_EQ(LexOne("0xffffffffffffffffu").int_value, 18446744073709551615u);
}

TEST(CelLexerTest, IntegerOverflow) {
  EXPECT_EQ(LexError("9223372036854775809"), "line 1, column 1: int literal out of range");
  EXPECT_EQ(LexError("x + 18446744073709551616u"), "line 1, column 5: uint literal out of range");
  EXPECT_EQ(LexError("0x10000000000000000"), "line 1, column 1: int literal out of range");
  EXPECT_EQ(LexError("0x"), "line 1, column 1: malformed hexadecimal literal");
}

TEST(CelLexerTest, Doubles) {
  Token t = LexOne("1.5");
  EXPECT_EQ(t.kind, TokenKind::kDouble);
  EXPECT_DOUBLE_EQ(t.double_value, 1.5);
  EXPECT_DOUBLE_EQ(LexOne("1e3").double_value, 1000.0);
  EXPECT_DOUBLE_EQ(LexOne("2.5E-2").double_value, 0.025);
  EXPECT_DOUBLE_EQ(LexOne("1e+2").double_value, 100.0);
  EXPECT_DOUBLE_EQ(LexOne(".5").double_value, 0.5);
  EXPECT_EQ(LexError("1e999"), "line 1, column 1: double literal out of range");
  // "1." is not a double: an int followed by '.'.
  std::vector<Token> toks = Lex("1.");
  ASSERT_EQ(toks.size(), 3u);
  EXPECT_EQ(toks[0].kind, TokenKind::kInt);
  EXPECT_EQ(toks[1].kind, TokenKind::kDot);
}

TEST(CelLexerTest, QuotedStrings) {
  EXPECT_EQ(Str("\"abc\""), "abc");
  EXPECT_EQ(Str("'abc'"), "abc");
  EXPECT_EQ(Str("'a\"b'"), "a\"b");
  EXPECT_EQ(Str("\"a'b\""), "a'b");
  EXPECT_EQ(Str("''"), "");
  EXPECT_EQ(Str("'''multi\nline'''"), "multi\nline");
  EXPECT_EQ(Str("\"\"\"a \"quoted\" \"\" b\"\"\""), "a \"quoted\" \"\" b");
  EXPECT_EQ(Str("'''it's'''"), "it's");
  EXPECT_EQ(Str("'h\xc3\xa9'"), "h\xc3\xa9");
}

TEST(CelLexerTest, Escapes) {
  EXPECT_EQ(Str(R"('\a\b\f\n\r\t\v')"), "\a\b\f\n\r\t\v");
  EXPECT_EQ(Str(R"('\\\?\"\'\`')"), "\\?\"'`");
  EXPECT_EQ(Str(R"('\101\060')"), "A0");
  EXPECT_EQ(Str(R"('\x41\X42')"), "AB");
  EXPECT_EQ(Str(R"('\xff')"), "\xc3\xbf");  // code point U+00FF in a string
  EXPECT_EQ(Str(R"('\377')"), "\xc3\xbf");
  EXPECT_EQ(Str(R"('\u00e9')"), "\xc3\xa9");
  EXPECT_EQ(Str(R"('\u20AC')"), "\xe2\x82\xac");
  EXPECT_EQ(Str(R"('\U0001F600')"), "\xf0\x9f\x98\x80");
  EXPECT_EQ(Str(R"('''\n''')"), "\n");
}

TEST(CelLexerTest, RawStrings) {
  EXPECT_EQ(Str(R"(r"raw\n")"), "raw\\n");
  EXPECT_EQ(Str(R"(R'\x')"), "\\x");
  EXPECT_EQ(Str(R"(r"\")"), "\\");
  EXPECT_EQ(Str(R"(r'''a\''')"), "a\\");
}

TEST(CelLexerTest, Bytes) {
  EXPECT_EQ(Bytes(R"(b"\xff\x00")"), std::string("\xff\x00", 2));
  EXPECT_EQ(Bytes(R"(B'\377')"), "\xff");
  EXPECT_EQ(Bytes(R"(b'abc')"), "abc");
  EXPECT_EQ(Bytes("b'\xc3\xbf'"), "\xc3\xbf");  // source text is UTF-8 bytes
  EXPECT_EQ(Bytes(R"(br'\x')"), "\\x");
  EXPECT_EQ(Bytes(R"(BR"\n")"), "\\n");
  // The spec's order is b then r: "rb" is an identifier before a string.
  std::vector<Token> toks = Lex(R"(rb'x')");
  ASSERT_EQ(toks.size(), 3u);
  EXPECT_EQ(toks[0].kind, TokenKind::kIdent);
  EXPECT_EQ(toks[1].kind, TokenKind::kString);
  EXPECT_EQ(Bytes(R"(bR'''\t''')"), "\\t");
  EXPECT_EQ(Bytes(R"(b'''\t''')"), "\t");
  EXPECT_EQ(LexError(R"(b'\u00ff')"),
            "line 1, column 3: \\u and \\U escapes are not allowed in bytes literals");
}

TEST(CelLexerTest, StringErrors) {
  EXPECT_EQ(LexError("x == \"abc"), "line 1, column 6: unterminated string literal");
  EXPECT_EQ(LexError("'a\nb'"), "line 1, column 1: unterminated string literal");
  EXPECT_EQ(LexError("'''abc''"), "line 1, column 1: unterminated string literal");
  EXPECT_EQ(LexError("\n  r'abc"), "line 2, column 3: unterminated string literal");
  EXPECT_EQ(LexError(R"('a\qb')"), "line 1, column 3: invalid escape sequence");
  EXPECT_EQ(LexError(R"('\x4')"), "line 1, column 2: invalid hexadecimal escape");
  EXPECT_EQ(LexError(R"('\u12')"), "line 1, column 2: invalid hexadecimal escape");
  EXPECT_EQ(LexError(R"('\400')"), "line 1, column 2: invalid escape sequence");
  EXPECT_EQ(LexError(R"('\08')"),
            "line 1, column 2: invalid octal escape (want \\[0-3][0-7][0-7])");
  EXPECT_EQ(LexError(R"('\ud800')"), "line 1, column 2: invalid unicode code point in escape");
  EXPECT_EQ(LexError(R"('\U00110000')"), "line 1, column 2: invalid unicode code point in escape");
}

TEST(CelLexerTest, KeywordsAndIdentifiers) {
  EXPECT_EQ(LexOne("true").kind, TokenKind::kTrue);
  EXPECT_EQ(LexOne("false").kind, TokenKind::kFalse);
  EXPECT_EQ(LexOne("null").kind, TokenKind::kNull);
  EXPECT_EQ(LexOne("in").kind, TokenKind::kIn);
  Token t = LexOne("_shard_hash2");
  EXPECT_EQ(t.kind, TokenKind::kIdent);
  EXPECT_EQ(t.text, "_shard_hash2");
  EXPECT_EQ(LexOne("trueish").kind, TokenKind::kIdent);
  EXPECT_EQ(LexOne("b").kind, TokenKind::kIdent);
  EXPECT_EQ(LexOne("rb").kind, TokenKind::kIdent);
  EXPECT_EQ(LexOne("if").kind, TokenKind::kIdent);  // the parser rejects it
  EXPECT_TRUE(IsReservedWord("if"));
  EXPECT_TRUE(IsReservedWord("namespace"));
  EXPECT_FALSE(IsReservedWord("key"));
  EXPECT_FALSE(IsReservedWord("in"));
}

TEST(CelLexerTest, Operators) {
  std::vector<Token> toks = Lex("== != <= >= < > && || ! + - * / % ( ) [ ] { } . , : ?");
  std::vector<TokenKind> want = {
      TokenKind::kEq,       TokenKind::kNe,       TokenKind::kLe,     TokenKind::kGe,
      TokenKind::kLt,       TokenKind::kGt,       TokenKind::kAnd,    TokenKind::kOr,
      TokenKind::kBang,     TokenKind::kPlus,     TokenKind::kMinus,  TokenKind::kStar,
      TokenKind::kSlash,    TokenKind::kPercent,  TokenKind::kLParen, TokenKind::kRParen,
      TokenKind::kLBracket, TokenKind::kRBracket, TokenKind::kLBrace, TokenKind::kRBrace,
      TokenKind::kDot,      TokenKind::kComma,    TokenKind::kColon,  TokenKind::kQuestion,
      TokenKind::kEof};
  ASSERT_EQ(toks.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(toks[i].kind, want[i]) << i;
  EXPECT_EQ(LexError("a = b"), "line 1, column 3: unexpected character '=' (did you mean '=='?)");
  EXPECT_EQ(LexError("a & b"), "line 1, column 3: unexpected character '&' (did you mean '&&'?)");
  EXPECT_EQ(LexError("a # b"), "line 1, column 3: unexpected character '#'");
  EXPECT_EQ(LexError("a \x01"), "line 1, column 3: unexpected character 0x01");
}

TEST(CelLexerTest, CommentsWhitespaceAndPositions) {
  std::vector<Token> toks = Lex("a // comment\n\t+ b // trailing");
  ASSERT_EQ(toks.size(), 4u);
  EXPECT_EQ(toks[0].position.line, 1);
  EXPECT_EQ(toks[0].position.column, 1);
  EXPECT_EQ(toks[1].kind, TokenKind::kPlus);
  EXPECT_EQ(toks[1].position.line, 2);
  EXPECT_EQ(toks[1].position.column, 2);
  EXPECT_EQ(toks[2].position.column, 4);
  EXPECT_EQ(toks[3].kind, TokenKind::kEof);
  EXPECT_EQ(Lex("").size(), 1u);
  EXPECT_EQ(Lex("// only a comment").size(), 1u);
  EXPECT_EQ(Lex(" \r\n\f\t").size(), 1u);
  toks = Lex("'''a\nb''' x");
  ASSERT_EQ(toks.size(), 3u);
  EXPECT_EQ(toks[1].position.line, 2);
  EXPECT_EQ(toks[1].position.column, 6);
}

}  // namespace
}  // namespace shardyfusion::cel
