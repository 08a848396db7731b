#include "cel/lexer.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "cel/numeric.h"
#include "core/utf8.h"

namespace shardyfusion::cel {

namespace {

constexpr uint64_t kMaxIntMagnitude = uint64_t{1} << 63;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsIdentStart(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// Scans one source text; tracks the line and column of `pos_`.
class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  Result<std::vector<Token>> Run() {
    std::vector<Token> tokens;
    while (true) {
      SkipSpaceAndComments();
      Token tok;
      tok.position = Here();
      size_t start = pos_;
      if (AtEnd()) {
        tok.kind = TokenKind::kEof;
        tokens.push_back(std::move(tok));
        return tokens;
      }
      Status st = LexOne(&tok);
      if (!st.ok()) return st;
      tok.text = src_.substr(start, pos_ - start);
      tokens.push_back(std::move(tok));
    }
  }

 private:
  bool AtEnd() const { return pos_ >= src_.size(); }
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
  }
  SourcePosition Here() const { return SourcePosition{line_, column_}; }
  void Advance() {
    if (src_[pos_] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
    ++pos_;
  }
  void Advance(size_t n) {
    for (size_t i = 0; i < n; ++i) Advance();
  }

  void SkipSpaceAndComments() {
    while (!AtEnd()) {
      char c = Peek();
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        Advance();
      } else if (c == '/' && Peek(1) == '/') {
        while (!AtEnd() && Peek() != '\n') Advance();
      } else {
        return;
      }
    }
  }

  Status LexOne(Token* tok) {
    char c = Peek();
    if (IsDigit(c) || (c == '.' && IsDigit(Peek(1)))) return LexNumber(tok);
    if (c == '"' || c == '\'') return LexString(tok, /*raw=*/false, /*bytes=*/false);
    if (c == '`') return LexQuotedIdent(tok);
    if (IsIdentStart(c)) {
      // String prefixes, any case: b (bytes), then r (raw); BYTES_LIT is
      // [bB] STRING_LIT in the spec, so "rb" is not a prefix.
      size_t n = 0;
      bool raw = false, bytes = false;
      if (Peek(n) == 'b' || Peek(n) == 'B') {
        bytes = true;
        ++n;
      }
      if (Peek(n) == 'r' || Peek(n) == 'R') {
        raw = true;
        ++n;
      }
      if (n > 0 && (Peek(n) == '"' || Peek(n) == '\'')) {
        Advance(n);
        return LexString(tok, raw, bytes);
      }
      return LexWord(tok);
    }
    return LexPunct(tok);
  }

  // `name`: a field name that need not be an identifier (cel-spec
  // ESC_IDENT: letters, digits, '_', '.', '-', '/' and spaces).
  Status LexQuotedIdent(Token* tok) {
    SourcePosition at = Here();
    Advance();
    size_t start = pos_;
    while (!AtEnd() && Peek() != '`') {
      char c = Peek();
      bool ok = IsIdentChar(c) || c == '.' || c == '-' || c == '/' || c == ' ';
      if (!ok) return SyntaxError(Here(), "invalid character in a `quoted` field name");
      Advance();
    }
    if (AtEnd()) return SyntaxError(at, "unterminated `quoted` field name");
    if (pos_ == start) return SyntaxError(at, "empty `quoted` field name");
    tok->kind = TokenKind::kQuotedIdent;
    tok->string_value = std::string(src_.substr(start, pos_ - start));
    Advance();
    return Status::OK();
  }

  Status LexWord(Token* tok) {
    size_t start = pos_;
    while (!AtEnd() && IsIdentChar(Peek())) Advance();
    std::string_view word = src_.substr(start, pos_ - start);
    if (word == "true") {
      tok->kind = TokenKind::kTrue;
    } else if (word == "false") {
      tok->kind = TokenKind::kFalse;
    } else if (word == "null") {
      tok->kind = TokenKind::kNull;
    } else if (word == "in") {
      tok->kind = TokenKind::kIn;
    } else {
      tok->kind = TokenKind::kIdent;
    }
    return Status::OK();
  }

  Status LexPunct(Token* tok) {
    struct Punct {
      const char* text;
      TokenKind kind;
    };
    // Two-character operators first so that "<=" wins over "<".
    static constexpr std::array<Punct, 24> kPuncts = {{
        {"==", TokenKind::kEq},    {"!=", TokenKind::kNe},      {"<=", TokenKind::kLe},
        {">=", TokenKind::kGe},    {"&&", TokenKind::kAnd},     {"||", TokenKind::kOr},
        {"<", TokenKind::kLt},     {">", TokenKind::kGt},       {"!", TokenKind::kBang},
        {"+", TokenKind::kPlus},   {"-", TokenKind::kMinus},    {"*", TokenKind::kStar},
        {"/", TokenKind::kSlash},  {"%", TokenKind::kPercent},  {"(", TokenKind::kLParen},
        {")", TokenKind::kRParen}, {"[", TokenKind::kLBracket}, {"]", TokenKind::kRBracket},
        {"{", TokenKind::kLBrace}, {"}", TokenKind::kRBrace},   {".", TokenKind::kDot},
        {",", TokenKind::kComma},  {":", TokenKind::kColon},    {"?", TokenKind::kQuestion},
    }};
    std::string_view rest = src_.substr(pos_);
    for (const Punct& p : kPuncts) {
      std::string_view t(p.text);
      if (rest.substr(0, t.size()) == t) {
        tok->kind = p.kind;
        Advance(t.size());
        return Status::OK();
      }
    }
    char c = Peek();
    std::string msg;
    if (c == '=' || c == '&' || c == '|') {
      msg = std::string("unexpected character '") + c + "' (did you mean '" + c + c + "'?)";
    } else if (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7F) {
      msg = std::string("unexpected character '") + c + "'";
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "0x%02X", static_cast<unsigned char>(c));
      msg = std::string("unexpected character ") + buf;
    }
    return SyntaxError(Here(), msg);
  }

  Status LexNumber(Token* tok) {
    SourcePosition at = Here();
    size_t start = pos_;
    if (Peek() == '0' && (Peek(1) == 'x' || Peek(1) == 'X')) {
      if (!IsHexDigit(Peek(2))) return SyntaxError(at, "malformed hexadecimal literal");
      Advance(2);
      uint64_t v = 0;
      bool overflow = false;
      while (IsHexDigit(Peek())) {
        if (v > (std::numeric_limits<uint64_t>::max() >> 4)) overflow = true;
        v = (v << 4) | static_cast<uint64_t>(HexValue(Peek()));
        Advance();
      }
      return FinishInteger(tok, at, v, overflow);
    }
    while (IsDigit(Peek())) Advance();
    bool is_double = false;
    if (Peek() == '.' && IsDigit(Peek(1))) {
      is_double = true;
      Advance();
      while (IsDigit(Peek())) Advance();
    }
    if ((Peek() == 'e' || Peek() == 'E') &&
        (IsDigit(Peek(1)) || ((Peek(1) == '+' || Peek(1) == '-') && IsDigit(Peek(2))))) {
      is_double = true;
      Advance(2);
      while (IsDigit(Peek())) Advance();
    }
    std::string_view text = src_.substr(start, pos_ - start);
    if (is_double) {
      std::optional<double> d = ParseDecimalDouble(text);
      if (!d) {
        return SyntaxError(at, "double literal out of range");
      }
      tok->kind = TokenKind::kDouble;
      tok->double_value = *d;
      return Status::OK();
    }
    uint64_t v = 0;
    bool overflow = false;
    for (char c : text) {
      uint64_t digit = static_cast<uint64_t>(c - '0');
      if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) overflow = true;
      v = v * 10 + digit;
    }
    return FinishInteger(tok, at, v, overflow);
  }

  Status FinishInteger(Token* tok, SourcePosition at, uint64_t v, bool overflow) {
    if (Peek() == 'u' || Peek() == 'U') {
      Advance();
      if (overflow) return SyntaxError(at, "uint literal out of range");
      tok->kind = TokenKind::kUint;
    } else {
      if (overflow || v > kMaxIntMagnitude) return SyntaxError(at, "int literal out of range");
      tok->kind = TokenKind::kInt;
    }
    tok->int_value = v;
    return Status::OK();
  }

  // At the opening quote; `raw` and `bytes` come from the consumed prefix.
  Status LexString(Token* tok, bool raw, bool bytes) {
    SourcePosition at = tok->position;
    char quote = Peek();
    bool triple = Peek(1) == quote && Peek(2) == quote;
    Advance(triple ? 3 : 1);
    std::string out;
    while (true) {
      if (AtEnd()) return SyntaxError(at, "unterminated string literal");
      char c = Peek();
      if (c == quote) {
        if (!triple) {
          Advance();
          break;
        }
        if (Peek(1) == quote && Peek(2) == quote) {
          Advance(3);
          break;
        }
      }
      if (!triple && (c == '\n' || c == '\r')) {
        return SyntaxError(at, "unterminated string literal");
      }
      if (c == '\\' && !raw) {
        Status st = LexEscape(bytes, &out);
        if (!st.ok()) return st;
        continue;
      }
      out.push_back(c);
      Advance();
    }
    tok->kind = bytes ? TokenKind::kBytes : TokenKind::kString;
    tok->string_value = std::move(out);
    return Status::OK();
  }

  // At a backslash inside a non-raw literal.
  Status LexEscape(bool bytes, std::string* out) {
    SourcePosition at = Here();
    char e = Peek(1);
    char simple = 0;
    switch (e) {
      case 'a':
        simple = '\a';
        break;
      case 'b':
        simple = '\b';
        break;
      case 'f':
        simple = '\f';
        break;
      case 'n':
        simple = '\n';
        break;
      case 'r':
        simple = '\r';
        break;
      case 't':
        simple = '\t';
        break;
      case 'v':
        simple = '\v';
        break;
      case '\\':
        simple = '\\';
        break;
      case '?':
        simple = '?';
        break;
      case '"':
        simple = '"';
        break;
      case '\'':
        simple = '\'';
        break;
      case '`':
        simple = '`';
        break;
      default:
        break;
    }
    if (simple != 0) {
      out->push_back(simple);
      Advance(2);
      return Status::OK();
    }
    uint32_t value = 0;
    if (e >= '0' && e <= '3') {
      if (!(Peek(2) >= '0' && Peek(2) <= '7' && Peek(3) >= '0' && Peek(3) <= '7')) {
        return SyntaxError(at, "invalid octal escape (want \\[0-3][0-7][0-7])");
      }
      value = static_cast<uint32_t>((e - '0') * 64 + (Peek(2) - '0') * 8 + (Peek(3) - '0'));
      Advance(4);
    } else if (e == 'x' || e == 'X' || e == 'u' || e == 'U') {
      size_t digits = (e == 'u') ? 4 : (e == 'U') ? 8 : 2;
      if (bytes && (e == 'u' || e == 'U')) {
        return SyntaxError(at, "\\u and \\U escapes are not allowed in bytes literals");
      }
      for (size_t i = 0; i < digits; ++i) {
        char h = Peek(2 + i);
        if (!IsHexDigit(h)) return SyntaxError(at, "invalid hexadecimal escape");
        value = (value << 4) | static_cast<uint32_t>(HexValue(h));
      }
      Advance(2 + digits);
      if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
        return SyntaxError(at, "invalid unicode code point in escape");
      }
    } else {
      return SyntaxError(at, "invalid escape sequence");
    }
    if (bytes) {
      out->push_back(static_cast<char>(value));
    } else {
      AppendUtf8(value, out);
    }
    return Status::OK();
  }

  std::string_view src_;
  size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
};

}  // namespace

const char* TokenKindName(TokenKind kind) {
  switch (kind) {
    case TokenKind::kEof:
      return "end of input";
    case TokenKind::kInt:
      return "int literal";
    case TokenKind::kUint:
      return "uint literal";
    case TokenKind::kDouble:
      return "double literal";
    case TokenKind::kString:
      return "string literal";
    case TokenKind::kBytes:
      return "bytes literal";
    case TokenKind::kIdent:
      return "identifier";
    case TokenKind::kTrue:
      return "'true'";
    case TokenKind::kFalse:
      return "'false'";
    case TokenKind::kNull:
      return "'null'";
    case TokenKind::kIn:
      return "'in'";
    case TokenKind::kLParen:
      return "'('";
    case TokenKind::kRParen:
      return "')'";
    case TokenKind::kLBracket:
      return "'['";
    case TokenKind::kRBracket:
      return "']'";
    case TokenKind::kLBrace:
      return "'{'";
    case TokenKind::kRBrace:
      return "'}'";
    case TokenKind::kDot:
      return "'.'";
    case TokenKind::kComma:
      return "','";
    case TokenKind::kColon:
      return "':'";
    case TokenKind::kQuestion:
      return "'?'";
    case TokenKind::kPlus:
      return "'+'";
    case TokenKind::kMinus:
      return "'-'";
    case TokenKind::kStar:
      return "'*'";
    case TokenKind::kSlash:
      return "'/'";
    case TokenKind::kPercent:
      return "'%'";
    case TokenKind::kBang:
      return "'!'";
    case TokenKind::kEq:
      return "'=='";
    case TokenKind::kNe:
      return "'!='";
    case TokenKind::kLt:
      return "'<'";
    case TokenKind::kLe:
      return "'<='";
    case TokenKind::kGt:
      return "'>'";
    case TokenKind::kGe:
      return "'>='";
    case TokenKind::kAnd:
      return "'&&'";
    case TokenKind::kOr:
      return "'||'";
    case TokenKind::kQuotedIdent:
      return "quoted field name";
  }
  return "token";
}

bool IsReservedWord(std::string_view word) {
  static constexpr std::array<std::string_view, 17> kReserved = {
      "as",  "break", "const",   "continue",  "else",   "for", "function", "if",   "import",
      "let", "loop",  "package", "namespace", "return", "var", "void",     "while"};
  for (std::string_view r : kReserved) {
    if (r == word) return true;
  }
  return false;
}

Status SyntaxError(SourcePosition position, std::string_view message) {
  return Status(ErrorCode::kConfigValidation, "line " + std::to_string(position.line) +
                                                  ", column " + std::to_string(position.column) +
                                                  ": " + std::string(message));
}

Result<std::vector<Token>> Tokenize(std::string_view source) { return Lexer(source).Run(); }

}  // namespace shardyfusion::cel
