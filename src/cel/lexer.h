// The CEL lexer: turns expression source text into tokens, following the
// lexical grammar of the CEL language definition (cel-spec doc/langdef.md).
//
// Literals are decoded here: ints and uints carry their magnitude (an int
// token may hold 2^63 so that the parser can fold a leading '-' into it, as
// cel-go does), doubles their value, strings their UTF-8 text and bytes
// their raw bytes, with every escape of the spec applied ("\x"/octal escapes
// are code points in strings and raw bytes in bytes literals; "\u"/"\U" are
// rejected in bytes). String prefixes are b (bytes), r (raw) and br, in
// any case; "rb" is not one (the spec's BYTES_LIT is [bB] STRING_LIT).
// Reserved words are lexed as identifiers; the parser rejects them where an
// identifier is required. "//" comments and whitespace are skipped. Source
// text is not checked for valid UTF-8.
//
// Errors are Status(kConfigValidation, "line L, column C: <message>"), with
// 1-based line and byte column of the offending token.
//
// Thread-safety: Tokenize is a pure function.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cel/ast.h"
#include "shardyfusion/status.h"

namespace shardyfusion::cel {

enum class TokenKind {
  kEof,
  kInt,
  kUint,
  kDouble,
  kString,
  kBytes,
  kIdent,
  kTrue,
  kFalse,
  kNull,
  kIn,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kLBrace,
  kRBrace,
  kDot,
  kComma,
  kColon,
  kQuestion,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kPercent,
  kBang,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,
  kOr,
  kQuotedIdent,  // `field name`: string_value holds the name (selectors only)
};

// A short human name for a token kind, e.g. "'+'" or "identifier".
const char* TokenKindName(TokenKind kind);

struct Token {
  TokenKind kind = TokenKind::kEof;
  std::string_view text;  // the token's source slice (empty for kEof)
  SourcePosition position;
  uint64_t int_value = 0;    // kInt (magnitude, <= 2^63), kUint
  double double_value = 0;   // kDouble
  std::string string_value;  // kString (UTF-8), kBytes (raw bytes)
};

// Returns every token of `source`, ending with one kEof token.
// The tokens' `text` views point into `source`.
Result<std::vector<Token>> Tokenize(std::string_view source);

// True for the words the spec reserves and forbids as identifiers
// (as, break, const, continue, else, for, function, if, import, let, loop,
// package, namespace, return, var, void, while).
bool IsReservedWord(std::string_view word);

// "line L, column C: <message>" as a kConfigValidation Status.
Status SyntaxError(SourcePosition position, std::string_view message);

}  // namespace shardyfusion::cel
