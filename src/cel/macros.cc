#include "cel/macros.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cel/lexer.h"
#include "core/status_internal.h"

namespace shardyfusion::cel {

namespace {

enum class Macro { kNone, kHas, kAll, kExists, kExistsOne, kMap, kMapFilter, kFilter };

class Expander {
 public:
  explicit Expander(int64_t next_id) : next_id_(next_id) {}
  int64_t next_id() const { return next_id_; }

  // Expands the children first, so a macro's arguments are already plain.
  Status Visit(Expr* e) {
    if (e->target != nullptr) SHARDY_RETURN_IF_ERROR(Visit(e->target.get()));
    for (Expr& a : e->args) SHARDY_RETURN_IF_ERROR(Visit(&a));
    for (MapEntry& m : e->entries) {
      SHARDY_RETURN_IF_ERROR(Visit(&m.key));
      SHARDY_RETURN_IF_ERROR(Visit(&m.value));
    }
    if (e->kind != ExprKind::kCall) return Status::OK();
    switch (Classify(*e)) {
      case Macro::kNone:
        return Status::OK();
      case Macro::kHas:
        return ExpandHas(e);
      default:
        return ExpandComprehension(e, Classify(*e));
    }
  }

 private:
  static Macro Classify(const Expr& e) {
    size_t n = e.args.size();
    if (e.target == nullptr) return e.name == "has" && n == 1 ? Macro::kHas : Macro::kNone;
    if (e.name == "all" && (n == 2 || n == 3)) return Macro::kAll;
    if (e.name == "exists" && (n == 2 || n == 3)) return Macro::kExists;
    if (e.name == "exists_one" && (n == 2 || n == 3)) return Macro::kExistsOne;
    if (e.name == "existsOne" && (n == 2 || n == 3)) return Macro::kExistsOne;
    if (e.name == "map" && n == 2) return Macro::kMap;
    if (e.name == "map" && n == 3) return Macro::kMapFilter;
    if (e.name == "filter" && n == 2) return Macro::kFilter;
    return Macro::kNone;
  }

  Status ExpandHas(Expr* e) {
    Expr& arg = e->args[0];
    if (arg.kind != ExprKind::kSelect || arg.test_only) {
      return SyntaxError(arg.position, "invalid argument to has() macro: want a field selection");
    }
    Expr sel = std::move(arg);
    sel.test_only = true;
    sel.position = e->position;
    *e = std::move(sel);
    return Status::OK();
  }

  Expr New(ExprKind kind, SourcePosition pos) {
    Expr x;
    x.id = next_id_++;
    x.position = pos;
    x.kind = kind;
    return x;
  }
  Expr Ident(const std::string& name, SourcePosition pos) {
    Expr x = New(ExprKind::kIdent, pos);
    x.name = name;
    return x;
  }
  Expr Bool(bool v, SourcePosition pos) {
    Expr x = New(ExprKind::kConst, pos);
    x.constant.kind = ConstKind::kBool;
    x.constant.bool_value = v;
    return x;
  }
  Expr Int(int64_t v, SourcePosition pos) {
    Expr x = New(ExprKind::kConst, pos);
    x.constant.kind = ConstKind::kInt;
    x.constant.int_value = v;
    return x;
  }
  Expr Call(const char* name, SourcePosition pos, std::vector<Expr> args) {
    Expr x = New(ExprKind::kCall, pos);
    x.name = name;
    x.args = std::move(args);
    return x;
  }
  template <typename... A>
  Expr Call(const char* name, SourcePosition pos, A&&... args) {
    std::vector<Expr> v;
    (v.push_back(std::forward<A>(args)), ...);
    return Call(name, pos, std::move(v));
  }
  Expr List1(Expr elem, SourcePosition pos) {
    Expr x = New(ExprKind::kList, pos);
    x.args.push_back(std::move(elem));
    return x;
  }

  static Status SimpleName(const Expr& e, std::string* name) {
    if (e.kind != ExprKind::kIdent || e.name.empty() || e.name[0] == '.') {
      return SyntaxError(e.position, "the macro's variable must be a simple name");
    }
    *name = e.name;
    return Status::OK();
  }

  Status ExpandComprehension(Expr* e, Macro macro) {
    SourcePosition pos = e->position;
    auto c = std::make_unique<Comprehension>();
    bool two_vars = e->args.size() == 3 && macro != Macro::kMapFilter;
    SHARDY_RETURN_IF_ERROR(SimpleName(e->args[0], &c->iter_var));
    if (two_vars) {
      SHARDY_RETURN_IF_ERROR(SimpleName(e->args[1], &c->iter_var2));
      if (c->iter_var2 == c->iter_var) {
        return SyntaxError(e->args[1].position, "the macro's two variables must differ");
      }
    }
    for (const std::string* v : {&c->iter_var, &c->iter_var2}) {
      // "__result__" is the accumulator's name in older CEL implementations.
      if (*v == kAccumulatorName || *v == "__result__") {
        return SyntaxError(pos, "the macro's variable cannot be named " + *v);
      }
    }
    c->iter_range = std::move(*e->target);
    c->accu_var = kAccumulatorName;
    auto accu = [&] { return Ident(kAccumulatorName, pos); };
    Expr body = std::move(e->args.back());
    switch (macro) {
      case Macro::kAll:
        c->accu_init = Bool(true, pos);
        c->loop_condition = Call("@not_strictly_false", pos, accu());
        c->loop_step = Call("_&&_", pos, accu(), std::move(body));
        c->result = accu();
        break;
      case Macro::kExists:
        c->accu_init = Bool(false, pos);
        c->loop_condition = Call("@not_strictly_false", pos, Call("!_", pos, accu()));
        c->loop_step = Call("_||_", pos, accu(), std::move(body));
        c->result = accu();
        break;
      case Macro::kExistsOne:
        c->accu_init = Int(0, pos);
        c->loop_condition = Bool(true, pos);
        c->loop_step =
            Call("_?_:_", pos, std::move(body), Call("_+_", pos, accu(), Int(1, pos)), accu());
        c->result = Call("_==_", pos, accu(), Int(1, pos));
        break;
      case Macro::kMap:
        c->accu_init = New(ExprKind::kList, pos);
        c->loop_condition = Bool(true, pos);
        c->loop_step = Call("_+_", pos, accu(), List1(std::move(body), pos));
        c->result = accu();
        break;
      case Macro::kMapFilter:
        c->accu_init = New(ExprKind::kList, pos);
        c->loop_condition = Bool(true, pos);
        c->loop_step = Call("_?_:_", pos, std::move(e->args[1]),
                            Call("_+_", pos, accu(), List1(std::move(body), pos)), accu());
        c->result = accu();
        break;
      case Macro::kFilter:
        c->accu_init = New(ExprKind::kList, pos);
        c->loop_condition = Bool(true, pos);
        c->loop_step = Call("_?_:_", pos, std::move(body),
                            Call("_+_", pos, accu(), List1(Ident(c->iter_var, pos), pos)), accu());
        c->result = accu();
        break;
      case Macro::kNone:
      case Macro::kHas:
        break;
    }
    Expr loop = New(ExprKind::kComprehension, pos);
    loop.comprehension = std::move(c);
    *e = std::move(loop);
    return Status::OK();
  }

  int64_t next_id_;
};

}  // namespace

Status ExpandMacros(ParsedExpr* parsed) {
  Expander x(parsed->max_id + 1);
  SHARDY_RETURN_IF_ERROR(x.Visit(&parsed->root));
  parsed->max_id = x.next_id() - 1;
  return Status::OK();
}

}  // namespace shardyfusion::cel
