#include "cel/parser.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cel/lexer.h"
#include "core/status_internal.h"

namespace shardyfusion::cel {

namespace {

class Parser {
 public:
  Parser(std::vector<Token> tokens, const ParseOptions& options)
      : tokens_(std::move(tokens)), options_(options) {}

  Result<ParsedExpr> Run() {
    ParsedExpr parsed;
    SHARDY_RETURN_IF_ERROR(ParseExpr(&parsed.root));
    if (Cur().kind != TokenKind::kEof) return Unexpected("end of input");
    parsed.max_id = next_id_ - 1;
    return parsed;
  }

 private:
  // Counts one level of nesting for the lifetime of the guard.
  class DepthGuard {
   public:
    explicit DepthGuard(int* depth) : depth_(depth) { ++*depth_; }
    ~DepthGuard() { --*depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    int* depth_;
  };

  const Token& Cur() const { return tokens_[pos_]; }
  const Token& PeekTok(size_t ahead) const {
    size_t i = pos_ + ahead;
    return i < tokens_.size() ? tokens_[i] : tokens_.back();
  }
  bool At(TokenKind k) const { return Cur().kind == k; }
  const Token& Take() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }

  Status Unexpected(std::string_view expected) const {
    const Token& t = Cur();
    std::string msg;
    if (t.kind == TokenKind::kEof) {
      msg = "unexpected end of input, expected " + std::string(expected);
    } else {
      msg = "unexpected " + std::string(TokenKindName(t.kind));
      if (t.kind == TokenKind::kIdent) msg += " '" + std::string(t.text) + "'";
      msg += ", expected " + std::string(expected);
    }
    return SyntaxError(t.position, msg);
  }
  Status Expect(TokenKind k) {
    if (!At(k)) return Unexpected(TokenKindName(k));
    Take();
    return Status::OK();
  }
  Status CheckDepth() const {
    if (depth_ > options_.max_depth) {
      return SyntaxError(Cur().position, "expression nested too deeply (limit " +
                                             std::to_string(options_.max_depth) + ")");
    }
    return Status::OK();
  }

  Expr NewExpr(ExprKind kind, SourcePosition pos) {
    Expr e;
    e.id = next_id_++;
    e.position = pos;
    e.kind = kind;
    return e;
  }
  Expr NewCall(std::string name, SourcePosition pos, std::vector<Expr> args) {
    Expr e = NewExpr(ExprKind::kCall, pos);
    e.name = std::move(name);
    e.args = std::move(args);
    return e;
  }
  Expr NewBinary(const char* name, SourcePosition pos, Expr lhs, Expr rhs) {
    std::vector<Expr> args;
    args.push_back(std::move(lhs));
    args.push_back(std::move(rhs));
    return NewCall(name, pos, std::move(args));
  }

  // Replaces *out with a call `name` at `pos` whose first argument is the
  // old *out; returns the call. Building in place keeps the recursive
  // frames small (no Expr temporaries), which bounds stack use per level.
  Expr* WrapInCall(Expr* out, std::string name, SourcePosition pos) {
    Expr call = NewCall(std::move(name), pos, {});
    call.args.push_back(std::move(*out));
    *out = std::move(call);
    return out;
  }

  // Expr = ConditionalOr ["?" ConditionalOr ":" Expr]
  Status ParseExpr(Expr* out) {
    DepthGuard guard(&depth_);
    SHARDY_RETURN_IF_ERROR(CheckDepth());
    SHARDY_RETURN_IF_ERROR(ParseBinary(0, out));
    if (!At(TokenKind::kQuestion)) return Status::OK();
    WrapInCall(out, "_?_:_", Take().position);
    out->args.reserve(3);
    SHARDY_RETURN_IF_ERROR(ParseBinary(0, &out->args.emplace_back()));
    SHARDY_RETURN_IF_ERROR(Expect(TokenKind::kColon));
    return ParseExpr(&out->args.emplace_back());
  }

  // The precedence level (0 = loosest) of binary operator `k` and its
  // function name, or -1 when `k` is not a binary operator.
  static int BinaryLevel(TokenKind k, const char** name) {
    switch (k) {
      case TokenKind::kOr:
        *name = "_||_";
        return 0;
      case TokenKind::kAnd:
        *name = "_&&_";
        return 1;
      case TokenKind::kLt:
        *name = "_<_";
        return 2;
      case TokenKind::kLe:
        *name = "_<=_";
        return 2;
      case TokenKind::kGt:
        *name = "_>_";
        return 2;
      case TokenKind::kGe:
        *name = "_>=_";
        return 2;
      case TokenKind::kEq:
        *name = "_==_";
        return 2;
      case TokenKind::kNe:
        *name = "_!=_";
        return 2;
      case TokenKind::kIn:
        *name = "@in";
        return 2;
      case TokenKind::kPlus:
        *name = "_+_";
        return 3;
      case TokenKind::kMinus:
        *name = "_-_";
        return 3;
      case TokenKind::kStar:
        *name = "_*_";
        return 4;
      case TokenKind::kSlash:
        *name = "_/_";
        return 4;
      case TokenKind::kPercent:
        *name = "_%_";
        return 4;
      default:
        return -1;
    }
  }

  // Left-associative binary operators of level >= `min_level`, by
  // precedence climbing: one stack frame per operator rather than one per
  // precedence level, which keeps deep nesting cheap on the stack.
  Status ParseBinary(int min_level, Expr* out) {
    SHARDY_RETURN_IF_ERROR(ParseUnary(out));
    int saved_depth = depth_;
    while (true) {
      const char* op = nullptr;
      int level = BinaryLevel(Cur().kind, &op);
      if (level < min_level) break;
      WrapInCall(out, op, Take().position);
      ++depth_;  // the left operand sinks one level deeper
      SHARDY_RETURN_IF_ERROR(CheckDepth());
      SHARDY_RETURN_IF_ERROR(ParseBinary(level + 1, &out->args.emplace_back()));
    }
    depth_ = saved_depth;
    return Status::OK();
  }

  // Unary = Member | "!" {"!"} Member | "-" {"-"} Member
  Status ParseUnary(Expr* out) {
    if (!At(TokenKind::kBang) && !At(TokenKind::kMinus)) return ParseMember(out);
    TokenKind op_kind = Cur().kind;
    SourcePosition pos = Cur().position;
    if (op_kind == TokenKind::kMinus && IsNumber(PeekTok(1).kind)) {
      return ParseMember(out);  // the literal takes the sign
    }
    int count = 0;
    while (At(op_kind)) {
      Take();
      ++count;
    }
    if (At(TokenKind::kBang) || At(TokenKind::kMinus)) {
      return SyntaxError(Cur().position, "'!' and '-' cannot be mixed without parentheses");
    }
    SHARDY_RETURN_IF_ERROR(ParseMember(out));
    if (count % 2 == 1) WrapInCall(out, op_kind == TokenKind::kBang ? "!_" : "-_", pos);
    return Status::OK();
  }
  static bool IsNumber(TokenKind k) {
    return k == TokenKind::kInt || k == TokenKind::kUint || k == TokenKind::kDouble;
  }

  // Member = Primary {"." SELECTOR ["(" args ")"] | "[" Expr "]"}
  Status ParseMember(Expr* out) {
    SHARDY_RETURN_IF_ERROR(ParsePrimary(out));
    int saved_depth = depth_;
    while (true) {
      if (At(TokenKind::kDot)) {
        SourcePosition pos = Take().position;
        ++depth_;
        SHARDY_RETURN_IF_ERROR(CheckDepth());
        const Token& field = Cur();
        if (!IsSelector(field.kind)) return Unexpected("field name after '.'");
        Take();
        bool is_call = At(TokenKind::kLParen);
        Expr node = NewExpr(is_call ? ExprKind::kCall : ExprKind::kSelect, pos);
        node.name =
            field.kind == TokenKind::kQuotedIdent ? field.string_value : std::string(field.text);
        if (is_call && field.kind == TokenKind::kQuotedIdent) {
          return SyntaxError(field.position, "a `quoted` name cannot be called");
        }
        node.target = std::make_unique<Expr>(std::move(*out));
        *out = std::move(node);
        if (is_call) SHARDY_RETURN_IF_ERROR(ParseArgs(&out->args));
      } else if (At(TokenKind::kLBracket)) {
        WrapInCall(out, "_[_]", Take().position);
        ++depth_;
        SHARDY_RETURN_IF_ERROR(CheckDepth());
        SHARDY_RETURN_IF_ERROR(ParseExpr(&out->args.emplace_back()));
        SHARDY_RETURN_IF_ERROR(Expect(TokenKind::kRBracket));
      } else if (At(TokenKind::kLBrace) && IsQualifiedName(*out)) {
        return SyntaxError(Cur().position, "message construction (Type{...}) is not supported");
      } else {
        break;
      }
    }
    depth_ = saved_depth;
    return Status::OK();
  }
  // A field name is an identifier (reserved words included, as in cel-go,
  // but not the keywords true, false, null and in) or a `quoted` name.
  static bool IsSelector(TokenKind k) {
    return k == TokenKind::kIdent || k == TokenKind::kQuotedIdent;
  }
  static bool IsQualifiedName(const Expr& e) {
    if (e.kind == ExprKind::kIdent) return true;
    return e.kind == ExprKind::kSelect && IsQualifiedName(*e.target);
  }

  // "(" [Expr {"," Expr}] ")"; at the '('.
  Status ParseArgs(std::vector<Expr>* args) {
    Take();
    if (At(TokenKind::kRParen)) {
      Take();
      return Status::OK();
    }
    while (true) {
      SHARDY_RETURN_IF_ERROR(ParseExpr(&args->emplace_back()));
      if (At(TokenKind::kComma)) {
        Take();
        continue;
      }
      if (At(TokenKind::kRParen)) {
        Take();
        return Status::OK();
      }
      return Unexpected("',' or ')'");
    }
  }

  Status ParsePrimary(Expr* out) {
    switch (Cur().kind) {
      case TokenKind::kMinus:
      case TokenKind::kInt:
      case TokenKind::kUint:
      case TokenKind::kDouble:
      case TokenKind::kString:
      case TokenKind::kBytes:
      case TokenKind::kTrue:
      case TokenKind::kFalse:
      case TokenKind::kNull:
        return ParseLiteral(out);
      case TokenKind::kDot:
      case TokenKind::kIdent:
        return ParseIdentOrCall(out);
      case TokenKind::kLParen:
        Take();
        SHARDY_RETURN_IF_ERROR(ParseExpr(out));
        return Expect(TokenKind::kRParen);
      case TokenKind::kLBracket:
        return ParseList(out);
      case TokenKind::kLBrace:
        return ParseMap(out);
      default:
        return Unexpected("expression");
    }
  }

  Status ParseLiteral(Expr* out) {
    SourcePosition pos = Cur().position;
    bool negative = false;
    if (At(TokenKind::kMinus)) {
      Take();
      negative = true;
    }
    const Token& t = Take();
    *out = NewExpr(ExprKind::kConst, pos);
    Constant& c = out->constant;
    switch (t.kind) {
      case TokenKind::kInt:
        if (!negative && t.int_value > uint64_t{std::numeric_limits<int64_t>::max()}) {
          return SyntaxError(pos, "int literal out of range");
        }
        c.kind = ConstKind::kInt;
        // Two's complement wrap gives INT64_MIN for a magnitude of 2^63.
        c.int_value =
            negative ? static_cast<int64_t>(0 - t.int_value) : static_cast<int64_t>(t.int_value);
        break;
      case TokenKind::kUint:
        if (negative) return SyntaxError(pos, "a uint literal cannot be negative");
        c.kind = ConstKind::kUint;
        c.uint_value = t.int_value;
        break;
      case TokenKind::kDouble:
        c.kind = ConstKind::kDouble;
        c.double_value = negative ? -t.double_value : t.double_value;
        break;
      case TokenKind::kString:
        c.kind = ConstKind::kString;
        c.string_value = t.string_value;
        break;
      case TokenKind::kBytes:
        c.kind = ConstKind::kBytes;
        c.string_value = t.string_value;
        break;
      case TokenKind::kTrue:
      case TokenKind::kFalse:
        c.kind = ConstKind::kBool;
        c.bool_value = t.kind == TokenKind::kTrue;
        break;
      default:
        c.kind = ConstKind::kNull;
        break;
    }
    return Status::OK();
  }

  // ["."] IDENT ["(" args ")"]
  Status ParseIdentOrCall(Expr* out) {
    SourcePosition pos = Cur().position;
    std::string name;
    if (At(TokenKind::kDot)) {
      Take();
      name = ".";
    }
    if (!At(TokenKind::kIdent)) return Unexpected("identifier");
    const Token& id = Cur();
    if (IsReservedWord(id.text)) {
      return SyntaxError(id.position, "reserved identifier '" + std::string(id.text) + "'");
    }
    Take();
    name += id.text;
    bool is_call = At(TokenKind::kLParen);
    *out = NewExpr(is_call ? ExprKind::kCall : ExprKind::kIdent, pos);
    out->name = std::move(name);
    return is_call ? ParseArgs(&out->args) : Status::OK();
  }

  // "[" [Expr {"," Expr}] [","] "]"
  Status ParseList(Expr* out) {
    *out = NewExpr(ExprKind::kList, Take().position);
    while (!At(TokenKind::kRBracket)) {
      SHARDY_RETURN_IF_ERROR(ParseExpr(&out->args.emplace_back()));
      if (At(TokenKind::kComma)) {
        Take();
      } else if (!At(TokenKind::kRBracket)) {
        return Unexpected("',' or ']'");
      }
    }
    Take();
    return Status::OK();
  }

  // "{" [Expr ":" Expr {"," Expr ":" Expr}] [","] "}"
  Status ParseMap(Expr* out) {
    *out = NewExpr(ExprKind::kMap, Take().position);
    while (!At(TokenKind::kRBrace)) {
      MapEntry& entry = out->entries.emplace_back();
      SHARDY_RETURN_IF_ERROR(ParseExpr(&entry.key));
      if (!At(TokenKind::kColon)) return Unexpected("':'");
      entry.id = next_id_++;
      entry.position = Take().position;
      SHARDY_RETURN_IF_ERROR(ParseExpr(&entry.value));
      if (At(TokenKind::kComma)) {
        Take();
      } else if (!At(TokenKind::kRBrace)) {
        return Unexpected("',' or '}'");
      }
    }
    Take();
    return Status::OK();
  }

  std::vector<Token> tokens_;
  ParseOptions options_;
  size_t pos_ = 0;
  int depth_ = 0;
  int64_t next_id_ = 1;
};

}  // namespace

Result<ParsedExpr> Parse(std::string_view source, const ParseOptions& options) {
  SHARDY_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(source));
  return Parser(std::move(tokens), options).Run();
}

}  // namespace shardyfusion::cel
