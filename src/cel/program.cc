// Compilation (name resolution, type checking, lowering to an evaluation
// tree) and evaluation of CEL programs.
//
// One walk over the macro-expanded AST does three things at once: it
// resolves every identifier to a frame slot (declared variables first, then
// comprehension variables above them), infers and checks types when checking
// is on, and builds the Node tree the evaluator runs. Unchecked, anything the
// checker would reject becomes an error *value* at run time instead, as the
// CEL spec's unchecked evaluation requires.
#include "cel/program.h"

#include <deque>
#include <map>
#include <new>
#include <optional>
#include <string>
#include <utility>

#include "cel/lexer.h"
#include "cel/macros.h"
#include "cel/stdlib.h"
#include "cel/unifier.h"
#include "core/status_internal.h"

namespace shardyfusion::cel {

namespace {

enum class Op : uint8_t {
  kConst,  // value (also a constant error: an unresolvable name, unchecked)
  kVar,    // frame[slot]
  kSelect,
  kHas,
  kCall,
  kAnd,
  kOr,
  kTernary,
  kNotStrictlyFalse,
  kList,
  kMap,
  kComprehension,
};

struct Node {
  Op op = Op::kConst;
  Value value;
  uint32_t slot = 0;   // kVar; kComprehension: the first iteration variable
  uint32_t slot2 = 0;  // kComprehension: the second iteration variable
  uint32_t accu_slot = 0;
  bool two_vars = false;
  std::string_view name;  // kSelect / kHas field; kCall function
  // kCall: arguments, receiver first; kList: elements; kMap: key, value,
  // key, value...; kComprehension: range, init, condition, step, result.
  std::vector<Node> kids;
  std::vector<const Overload*> candidates;  // kCall
};

// Names that denote type values, and what they denote.
const std::pair<std::string_view, TypeKind>* TypeDenotation(std::string_view name) {
  static const std::pair<std::string_view, TypeKind> kNames[] = {
      {"bool", TypeKind::kBool},     {"int", TypeKind::kInt},       {"uint", TypeKind::kUint},
      {"double", TypeKind::kDouble}, {"string", TypeKind::kString}, {"bytes", TypeKind::kBytes},
      {"list", TypeKind::kList},     {"map", TypeKind::kMap},       {"null_type", TypeKind::kNull},
      {"type", TypeKind::kType}};
  for (const auto& entry : kNames) {
    if (entry.first == name) return &entry;
  }
  return nullptr;
}

// "a.b.c" for a chain of plain selects over an identifier, else nullopt.
std::optional<std::string> QualifiedName(const Expr& e) {
  if (e.kind == ExprKind::kIdent) return e.name;
  if (e.kind != ExprKind::kSelect || e.test_only) return std::nullopt;
  auto base = QualifiedName(*e.target);
  if (!base) return std::nullopt;
  return *base + "." + e.name;
}

const Expr& RootOf(const Expr& e) { return e.kind == ExprKind::kSelect ? RootOf(*e.target) : e; }

class Compiler {
 public:
  Compiler(const std::vector<Declaration>& decls, bool check, std::deque<std::string>* strings)
      : decls_(decls), check_(check), strings_(strings), next_slot_(decls.size()) {
    max_slot_ = next_slot_;
  }

  Status Compile(const Expr& root, Node* out, Type* result) {
    Type t = Visit(root, out);
    if (!error_.ok()) return error_;
    *result = check_ ? unifier_.Finalize(t) : Type::Dyn();
    return Status::OK();
  }
  uint32_t frame_size() const { return static_cast<uint32_t>(max_slot_); }

 private:
  struct Local {
    std::string name;
    uint32_t slot;
    Type type;
  };

  void Fail(SourcePosition pos, const std::string& msg) {
    if (error_.ok()) error_ = SyntaxError(pos, msg);
  }
  Type Error(SourcePosition pos, const std::string& msg) {
    Fail(pos, msg);
    return Type::Of(TypeKind::kError);
  }
  std::string_view Keep(std::string s) { return strings_->emplace_back(std::move(s)); }
  void ConstError(Node* out, std::string msg) {
    out->op = Op::kConst;
    out->value = Value::Error(Keep(std::move(msg)));
  }
  std::string Describe(const Type& t) { return TypeName(unifier_.Finalize(t)); }

  Type Visit(const Expr& e, Node* out) {
    if (!error_.ok()) return Type::Of(TypeKind::kError);
    switch (e.kind) {
      case ExprKind::kConst:
        return VisitConst(e.constant, out);
      case ExprKind::kIdent:
        return VisitIdent(e, out);
      case ExprKind::kSelect:
        return VisitSelect(e, out);
      case ExprKind::kCall:
        return VisitCall(e, out);
      case ExprKind::kList:
        return VisitList(e, out);
      case ExprKind::kMap:
        return VisitMap(e, out);
      case ExprKind::kComprehension:
        return VisitComprehension(e, out);
    }
    return Type::Dyn();
  }

  Type VisitConst(const Constant& c, Node* out) {
    out->op = Op::kConst;
    switch (c.kind) {
      case ConstKind::kNull:
        out->value = Value::Null();
        return Type::Of(TypeKind::kNull);
      case ConstKind::kBool:
        out->value = Value::Bool(c.bool_value);
        return Type::Of(TypeKind::kBool);
      case ConstKind::kInt:
        out->value = Value::Int(c.int_value);
        return Type::Of(TypeKind::kInt);
      case ConstKind::kUint:
        out->value = Value::Uint(c.uint_value);
        return Type::Of(TypeKind::kUint);
      case ConstKind::kDouble:
        out->value = Value::Double(c.double_value);
        return Type::Of(TypeKind::kDouble);
      case ConstKind::kString:
        out->value = Value::String(Keep(c.string_value));
        return Type::Of(TypeKind::kString);
      case ConstKind::kBytes:
        out->value = Value::Bytes(Keep(c.string_value));
        return Type::Of(TypeKind::kBytes);
    }
    return Type::Dyn();
  }

  const Local* FindLocal(std::string_view name) const {
    for (auto it = locals_.rbegin(); it != locals_.rend(); ++it) {
      if (it->name == name) return &*it;
    }
    return nullptr;
  }
  std::optional<size_t> FindDecl(std::string_view name) const {
    for (size_t i = 0; i < decls_.size(); ++i) {
      if (decls_[i].name == name) return i;
    }
    return std::nullopt;
  }

  Type VisitIdent(const Expr& e, Node* out) {
    bool absolute = !e.name.empty() && e.name[0] == '.';
    std::string_view name = absolute ? std::string_view(e.name).substr(1) : e.name;
    if (!absolute) {
      if (const Local* l = FindLocal(name)) {
        out->op = Op::kVar;
        out->slot = l->slot;
        return l->type;
      }
    }
    if (auto d = FindDecl(name)) {
      out->op = Op::kVar;
      out->slot = static_cast<uint32_t>(*d);
      return decls_[*d].type;
    }
    if (const auto* denotation = TypeDenotation(name)) {
      out->op = Op::kConst;
      out->value = Value::Type(denotation->first);
      TypeKind k = denotation->second;
      Type denoted = Type::Of(k);
      if (k == TypeKind::kList) denoted = Type::List(Type::Dyn());
      if (k == TypeKind::kMap) denoted = Type::Map(Type::Dyn(), Type::Dyn());
      return Type::TypeOf(denoted);
    }
    std::string msg = "undeclared reference to '" + std::string(name) + "'";
    if (check_) return Error(e.position, msg);
    ConstError(out, msg);
    return Type::Dyn();
  }
  Type VisitSelect(const Expr& e, Node* out) {
    // Qualified identifier resolution: the longest declared dotted name
    // wins, unless the chain starts at a comprehension variable.
    if (!e.test_only && RootOf(e).kind == ExprKind::kIdent && !FindLocal(RootOf(e).name)) {
      if (auto q = QualifiedName(e)) {
        std::string_view name = *q;
        if (!name.empty() && name[0] == '.') name.remove_prefix(1);
        if (auto d = FindDecl(name)) {
          out->op = Op::kVar;
          out->slot = static_cast<uint32_t>(*d);
          return decls_[*d].type;
        }
      }
    }
    out->op = e.test_only ? Op::kHas : Op::kSelect;
    out->name = Keep(e.name);
    Type target = Visit(*e.target, &out->kids.emplace_back());
    if (!check_) return Type::Dyn();
    Type t = unifier_.Prune(target);
    Type result;
    if (t.kind == TypeKind::kMap) {
      if (!unifier_.Assign(t.params[0], Type::Of(TypeKind::kString))) {
        return Error(e.position,
                     "field selection on a map whose keys are not strings (" + Describe(t) + ")");
      }
      result = t.params[1];
    } else if (t.kind == TypeKind::kDyn || t.kind == TypeKind::kTypeParam ||
               t.kind == TypeKind::kError) {
      result = Type::Dyn();
    } else {
      return Error(e.position, "type '" + Describe(t) + "' does not support field selection ('." +
                                   e.name + "')");
    }
    return e.test_only ? Type::Of(TypeKind::kBool) : result;
  }

  Type ExpectBool(const Expr& e, const Type& t, const char* what) {
    if (check_ && !unifier_.Assign(Type::Of(TypeKind::kBool), t)) {
      return Error(e.position, std::string(what) + " must be bool, not '" + Describe(t) + "'");
    }
    return Type::Of(TypeKind::kBool);
  }

  Type VisitCall(const Expr& e, Node* out) {
    const std::string& fn = e.name;
    bool receiver = e.target != nullptr;
    if (!receiver && e.args.size() == 2 && (fn == "_&&_" || fn == "_||_")) {
      out->op = fn == "_&&_" ? Op::kAnd : Op::kOr;
      for (const Expr& a : e.args) {
        Type t = Visit(a, &out->kids.emplace_back());
        ExpectBool(a, t, "an operand of && and ||");
      }
      return Type::Of(TypeKind::kBool);
    }
    if (!receiver && e.args.size() == 3 && fn == "_?_:_") {
      out->op = Op::kTernary;
      Type c = Visit(e.args[0], &out->kids.emplace_back());
      ExpectBool(e.args[0], c, "the condition of ?:");
      Type a = Visit(e.args[1], &out->kids.emplace_back());
      Type b = Visit(e.args[2], &out->kids.emplace_back());
      if (!check_) return Type::Dyn();
      Type joined = unifier_.Fresh();
      if (!unifier_.Assign(joined, a) || !unifier_.Assign(joined, b)) {
        return Error(e.position, "the branches of ?: have different types ('" + Describe(a) +
                                     "' and '" + Describe(b) + "')");
      }
      return MostGeneral(joined, a, b);
    }
    if (!receiver && e.args.size() == 1 && fn == "@not_strictly_false") {
      out->op = Op::kNotStrictlyFalse;
      Visit(e.args[0], &out->kids.emplace_back());
      return Type::Of(TypeKind::kBool);
    }

    out->op = Op::kCall;
    out->name = Keep(fn);
    std::vector<Type> arg_types;
    if (receiver) arg_types.push_back(Visit(*e.target, &out->kids.emplace_back()));
    for (const Expr& a : e.args) arg_types.push_back(Visit(a, &out->kids.emplace_back()));
    if (!error_.ok()) return Type::Of(TypeKind::kError);

    auto overloads = FindOverloads(fn, receiver);
    if (overloads.empty()) {
      std::string msg = IsKnownFunction(fn) ? "function '" + fn + "' cannot be called " +
                                                  (receiver ? "as a method" : "without a receiver")
                                            : "undeclared reference to function '" + fn + "'";
      if (check_) return Error(e.position, msg);
      out->kids.clear();
      ConstError(out, msg);
      return Type::Dyn();
    }
    if (!check_) {
      out->candidates.assign(overloads.begin(), overloads.end());
      return Type::Dyn();
    }
    Type result;
    if (!unifier_.ResolveOverloads(overloads, arg_types, &out->candidates, &result)) {
      std::string sig;
      for (size_t i = 0; i < arg_types.size(); ++i) {
        if (i > 0) sig += ", ";
        sig += Describe(arg_types[i]);
      }
      std::string shown = fn;
      if (receiver) shown = "." + fn;
      return Error(e.position, "found no matching overload for '" + shown + "' applied to (" + sig +
                                   ")" + MixedNumberHint(fn, arg_types));
    }
    return result;
  }

  // CEL never converts between int, uint and double implicitly; say how to
  // convert when that is the likely mistake (e.g. `key % 4u` on an int key).
  std::string MixedNumberHint(const std::string& fn, const std::vector<Type>& args) {
    static const char* kArithmetic[] = {"_+_", "_-_", "_*_", "_/_", "_%_", "_==_", "_!=_"};
    bool arithmetic = false;
    for (const char* op : kArithmetic) arithmetic |= fn == op;
    if (!arithmetic || args.size() != 2) return "";
    auto numeric = [&](const Type& t) {
      TypeKind k = unifier_.Prune(t).kind;
      return k == TypeKind::kInt || k == TypeKind::kUint || k == TypeKind::kDouble;
    };
    if (!numeric(args[0]) || !numeric(args[1])) return "";
    return "; CEL does not mix int, uint and double implicitly: convert one operand, e.g. "
           "uint(x) % 4u or x % 4";
  }

  // The common type of a literal's elements: their type when all agree,
  // dyn when they differ (CEL's heterogeneous aggregate literals).
  Type Join(std::optional<Type>* acc, const Type& t) {
    if (!acc->has_value()) {
      *acc = t;
    } else if (!unifier_.Assign(**acc, t)) {
      *acc = Type::Dyn();
    } else {
      *acc = MostGeneral(**acc, **acc, t);
    }
    return **acc;
  }

  // After a successful join of `a` and `b` into `joined`: dyn when either
  // side is dyn (its values may be of any type, so the join must say so),
  // else the joined type.
  Type MostGeneral(const Type& joined, const Type& a, const Type& b) {
    if (unifier_.Prune(a).kind == TypeKind::kDyn || unifier_.Prune(b).kind == TypeKind::kDyn) {
      return Type::Dyn();
    }
    return joined;
  }

  Type VisitList(const Expr& e, Node* out) {
    out->op = Op::kList;
    std::optional<Type> elem;
    for (const Expr& a : e.args) Join(&elem, Visit(a, &out->kids.emplace_back()));
    if (!check_) return Type::Dyn();
    return Type::List(elem ? *elem : unifier_.Fresh());
  }

  Type VisitMap(const Expr& e, Node* out) {
    out->op = Op::kMap;
    std::optional<Type> key, value;
    for (const MapEntry& m : e.entries) {
      Type k = Visit(m.key, &out->kids.emplace_back());
      Join(&key, k);
      if (check_) {
        Type pk = unifier_.Prune(k);
        switch (pk.kind) {
          case TypeKind::kInt:
          case TypeKind::kUint:
          case TypeKind::kString:
          case TypeKind::kBool:
          case TypeKind::kDyn:
          case TypeKind::kTypeParam:
          case TypeKind::kError:
            break;
          default:
            return Error(m.position,
                         "a map key must be int, uint, string or bool, not '" + Describe(pk) + "'");
        }
      }
      Join(&value, Visit(m.value, &out->kids.emplace_back()));
    }
    if (!check_) return Type::Dyn();
    return Type::Map(key ? *key : unifier_.Fresh(), value ? *value : unifier_.Fresh());
  }

  uint32_t PushLocal(const std::string& name, Type type) {
    uint32_t slot = static_cast<uint32_t>(next_slot_++);
    if (next_slot_ > max_slot_) max_slot_ = next_slot_;
    locals_.push_back(Local{name, slot, std::move(type)});
    return slot;
  }
  void PopLocal() {
    locals_.pop_back();
    --next_slot_;
  }

  Type VisitComprehension(const Expr& e, Node* out) {
    const Comprehension& c = *e.comprehension;
    out->op = Op::kComprehension;
    out->kids.resize(5);
    out->two_vars = !c.iter_var2.empty();
    Type range = Visit(c.iter_range, &out->kids[0]);
    Type var1 = Type::Dyn(), var2 = Type::Dyn();
    if (check_) {
      Type r = unifier_.Prune(range);
      if (r.kind == TypeKind::kList) {
        var1 = out->two_vars ? Type::Of(TypeKind::kInt) : r.params[0];
        var2 = r.params[0];
      } else if (r.kind == TypeKind::kMap) {
        var1 = r.params[0];
        var2 = r.params[1];
      } else if (r.kind != TypeKind::kDyn && r.kind != TypeKind::kTypeParam &&
                 r.kind != TypeKind::kError) {
        return Error(c.iter_range.position, "expression of type '" + Describe(r) +
                                                "' cannot be iterated (want a list or a map)");
      }
    }
    Type accu = Visit(c.accu_init, &out->kids[1]);
    out->accu_slot = PushLocal(c.accu_var, accu);
    out->slot = PushLocal(c.iter_var, var1);
    if (out->two_vars) out->slot2 = PushLocal(c.iter_var2, var2);
    Type cond = Visit(c.loop_condition, &out->kids[2]);
    ExpectBool(c.loop_condition, cond, "a loop condition");
    Type step = Visit(c.loop_step, &out->kids[3]);
    if (check_ && error_.ok() && !unifier_.Assign(accu, step)) {
      Fail(c.loop_step.position, "the loop step's type '" + Describe(step) +
                                     "' does not match the accumulator's '" + Describe(accu) + "'");
    }
    if (out->two_vars) PopLocal();
    PopLocal();
    Type result = Visit(c.result, &out->kids[4]);
    PopLocal();
    return result;
  }

  const std::vector<Declaration>& decls_;
  bool check_;
  std::deque<std::string>* strings_;
  Unifier unifier_;
  std::vector<Local> locals_;
  size_t next_slot_;
  size_t max_slot_;
  Status error_;
};

// --- evaluation ----------------------------------------------------------------

constexpr size_t kInlineArgs = 8;

Value Eval(const Node& n, Value* frame, Arena* arena);

Value NotBool(std::string_view op, const Value& v, Arena* arena) {
  return NoMatchingOverload(op, &v, 1, arena);
}

// CEL's commutative, error-absorbing && (and, with `absorbing` true, ||):
// the absorbing value on either side decides, whatever the other side is.
Value EvalLogic(const Node& n, Value* frame, Arena* arena, bool absorbing) {
  Value l = Eval(n.kids[0], frame, arena);
  if (l.kind == ValueKind::kBool && l.b == absorbing) return l;
  Value r = Eval(n.kids[1], frame, arena);
  if (r.kind == ValueKind::kBool && r.b == absorbing) return r;
  if (l.kind == ValueKind::kBool && r.kind == ValueKind::kBool) return Value::Bool(!absorbing);
  if (l.is_error()) return l;
  if (r.is_error()) return r;
  std::string_view op = absorbing ? "_||_" : "_&&_";
  return NotBool(op, l.kind == ValueKind::kBool ? r : l, arena);
}

Value EvalCall(const Node& n, Value* frame, Arena* arena) {
  size_t argc = n.kids.size();
  // Uninitialised inline storage: every slot used is assigned below, and
  // Value is trivially copyable, so this costs nothing per call.
  alignas(Value) unsigned char inline_args[kInlineArgs * sizeof(Value)];
  std::vector<Value> heap_args;
  Value* args = reinterpret_cast<Value*>(inline_args);
  if (argc > kInlineArgs) {
    heap_args.resize(argc);
    args = heap_args.data();
  }
  for (size_t i = 0; i < argc; ++i) {
    new (&args[i]) Value(Eval(n.kids[i], frame, arena));
    if (args[i].is_error()) return args[i];
  }
  for (const Overload* o : n.candidates) {
    if (ArgsMatch(*o, args, argc)) return o->impl(args, arena);
  }
  return NoMatchingOverload(n.name, args, argc, arena);
}

bool ValidMapKey(const Value& k) {
  return k.kind == ValueKind::kInt || k.kind == ValueKind::kUint || k.kind == ValueKind::kString ||
         k.kind == ValueKind::kBool;
}

Value EvalMap(const Node& n, Value* frame, Arena* arena) {
  MapRep* m = arena->NewMap();
  for (size_t i = 0; i + 1 < n.kids.size(); i += 2) {
    Value k = Eval(n.kids[i], frame, arena);
    if (k.is_error()) return k;
    if (!ValidMapKey(k)) {
      return arena->NewError("unsupported map key type '" + std::string(TypeNameOf(k)) + "'");
    }
    Value v = Eval(n.kids[i + 1], frame, arena);
    if (v.is_error()) return v;
    if (FindMapValue(*m, k) != nullptr) {
      return arena->NewError("repeated map key " + ValueDebugString(k));
    }
    m->keys.push_back(k);
    m->values.push_back(v);
  }
  return Value::Map(m);
}

Value EvalComprehension(const Node& n, Value* frame, Arena* arena) {
  Value range = Eval(n.kids[0], frame, arena);
  if (range.is_error()) return range;
  if (range.kind != ValueKind::kList && range.kind != ValueKind::kMap) {
    return arena->NewError("cannot iterate over a value of type '" +
                           std::string(TypeNameOf(range)) + "'");
  }
  Value accu = Eval(n.kids[1], frame, arena);
  bool is_list = range.kind == ValueKind::kList;
  size_t count = is_list ? range.list->elems.size() : range.map->keys.size();
  for (size_t i = 0; i < count; ++i) {
    if (!arena->Spend(1)) {
      return Value::Error(
          "evaluation budget exceeded (too many loop iterations or too large a value)");
    }
    if (is_list) {
      const Value& elem = range.list->elems[i];
      frame[n.slot] = n.two_vars ? Value::Int(static_cast<int64_t>(i)) : elem;
      if (n.two_vars) frame[n.slot2] = elem;
    } else {
      frame[n.slot] = range.map->keys[i];
      if (n.two_vars) frame[n.slot2] = range.map->values[i];
    }
    frame[n.accu_slot] = accu;
    Value cond = Eval(n.kids[2], frame, arena);
    if (cond.kind == ValueKind::kBool && !cond.b) break;
    if (cond.is_error()) return cond;
    accu = Eval(n.kids[3], frame, arena);
  }
  frame[n.accu_slot] = accu;
  return Eval(n.kids[4], frame, arena);
}

Value Eval(const Node& n, Value* frame, Arena* arena) {
  switch (n.op) {
    case Op::kConst:
      return n.value;
    case Op::kVar:
      return frame[n.slot];
    case Op::kSelect:
    case Op::kHas: {
      Value t = Eval(n.kids[0], frame, arena);
      if (t.is_error()) return t;
      if (t.kind != ValueKind::kMap) {
        return arena->NewError("type '" + std::string(TypeNameOf(t)) +
                               "' does not support field selection");
      }
      const Value* v = FindMapValue(*t.map, Value::String(n.name));
      if (n.op == Op::kHas) return Value::Bool(v != nullptr);
      if (v == nullptr) return arena->NewError("no such key: '" + std::string(n.name) + "'");
      return *v;
    }
    case Op::kCall:
      return EvalCall(n, frame, arena);
    case Op::kAnd:
      return EvalLogic(n, frame, arena, false);
    case Op::kOr:
      return EvalLogic(n, frame, arena, true);
    case Op::kTernary: {
      Value c = Eval(n.kids[0], frame, arena);
      if (c.is_error()) return c;
      if (c.kind != ValueKind::kBool) return NotBool("_?_:_", c, arena);
      return Eval(n.kids[c.b ? 1 : 2], frame, arena);
    }
    case Op::kNotStrictlyFalse: {
      Value v = Eval(n.kids[0], frame, arena);
      return Value::Bool(!(v.kind == ValueKind::kBool && !v.b));
    }
    case Op::kList: {
      ListRep* l = arena->NewList();
      l->elems.reserve(n.kids.size());
      for (const Node& k : n.kids) {
        Value v = Eval(k, frame, arena);
        if (v.is_error()) return v;
        l->elems.push_back(v);
      }
      return Value::List(l);
    }
    case Op::kMap:
      return EvalMap(n, frame, arena);
    case Op::kComprehension:
      return EvalComprehension(n, frame, arena);
  }
  return Value::Error("internal error: unknown node");
}

}  // namespace

struct Program::Rep {
  std::vector<Declaration> declarations;
  Type result_type;
  std::deque<std::string> strings;  // constants and names the nodes view
  Node root;
  uint32_t frame_size = 0;
};

Program::Program(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
Program::~Program() = default;

Result<std::unique_ptr<Program>> Program::Compile(std::string_view source,
                                                  std::vector<Declaration> declarations,
                                                  const CompileOptions& options) {
  for (size_t i = 0; i < declarations.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (declarations[i].name == declarations[j].name) {
        return Status(ErrorCode::kConfigValidation,
                      "variable '" + declarations[i].name + "' is declared twice");
      }
    }
  }
  SHARDY_ASSIGN_OR_RETURN(ParsedExpr parsed, Parse(source, options.parse));
  if (options.expand_macros) SHARDY_RETURN_IF_ERROR(ExpandMacros(&parsed));
  auto rep = std::make_unique<Rep>();
  rep->declarations = std::move(declarations);
  Compiler compiler(rep->declarations, options.check, &rep->strings);
  SHARDY_RETURN_IF_ERROR(compiler.Compile(parsed.root, &rep->root, &rep->result_type));
  rep->frame_size = compiler.frame_size();
  return std::unique_ptr<Program>(new Program(std::move(rep)));
}

const std::vector<Declaration>& Program::declarations() const { return rep_->declarations; }
const Type& Program::result_type() const { return rep_->result_type; }

Value Program::Evaluate(std::span<const Value> vars, Arena* arena) const {
  arena->SetBudget(kEvaluationBudget);
  Value* frame = arena->Frame(rep_->frame_size);
  size_t n = std::min(vars.size(), rep_->declarations.size());
  for (size_t i = 0; i < n; ++i) frame[i] = vars[i];
  return Eval(rep_->root, frame, arena);
}

}  // namespace shardyfusion::cel
