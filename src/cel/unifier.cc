#include "cel/unifier.h"

#include <utility>

namespace shardyfusion::cel {

Type Unifier::Fresh() { return Type::Param("_T" + std::to_string(next_++)); }

Type Unifier::Prune(const Type& t) const {
  const Type* cur = &t;
  while (cur->kind == TypeKind::kTypeParam) {
    auto it = bindings_.find(cur->param_name);
    if (it == bindings_.end()) break;
    cur = &it->second;
  }
  return *cur;
}

namespace {

bool Occurs(const std::string& param, const Type& t) {
  if (t.kind == TypeKind::kTypeParam) return t.param_name == param;
  for (const Type& p : t.params) {
    if (Occurs(param, p)) return true;
  }
  return false;
}

bool IsTop(const Type& t) { return t.kind == TypeKind::kDyn || t.kind == TypeKind::kError; }

}  // namespace

bool Unifier::Assign(const Type& target, const Type& source) {
  Type t = Prune(target);
  Type s = Prune(source);
  if (t.kind == TypeKind::kTypeParam && s.kind == TypeKind::kTypeParam &&
      t.param_name == s.param_name) {
    return true;
  }
  if (t.kind == TypeKind::kTypeParam) {
    if (Occurs(t.param_name, Substitute(s, false))) return false;
    bindings_[t.param_name] = s;
    return true;
  }
  if (s.kind == TypeKind::kTypeParam) {
    if (Occurs(s.param_name, Substitute(t, false))) return false;
    bindings_[s.param_name] = t;
    return true;
  }
  if (IsTop(t) || IsTop(s)) return true;
  if (t.kind != s.kind) return false;
  // Type values are all of the one type `type`, whatever they denote:
  // type(7) == type(7u) is a valid comparison (false).
  if (t.kind == TypeKind::kType) return true;
  // A type with no parameters (the denotation `list`, or type values of
  // unknown type) matches any parameters.
  if (t.params.size() != s.params.size()) return t.params.empty() || s.params.empty();
  for (size_t i = 0; i < t.params.size(); ++i) {
    if (!Assign(t.params[i], s.params[i])) return false;
  }
  return true;
}

Type Unifier::Substitute(const Type& t, bool free_as_dyn) const {
  Type p = Prune(t);
  if (p.kind == TypeKind::kTypeParam) return free_as_dyn ? Type::Dyn() : p;
  for (Type& param : p.params) param = Substitute(param, free_as_dyn);
  return p;
}

Type Unifier::Finalize(const Type& t) const { return Substitute(t, true); }

Type Unifier::Rename(const Type& t, std::map<std::string, Type>* fresh) {
  if (t.kind == TypeKind::kTypeParam) {
    auto it = fresh->find(t.param_name);
    if (it == fresh->end()) it = fresh->emplace(t.param_name, Fresh()).first;
    return it->second;
  }
  Type r = t;
  for (Type& p : r.params) p = Rename(p, fresh);
  return r;
}

bool Unifier::ResolveOverloads(std::span<const Overload* const> overloads,
                               const std::vector<Type>& args, std::vector<const Overload*>* chosen,
                               Type* result) {
  const std::map<std::string, Type> before = bindings_;
  std::map<std::string, Type> winner_bindings;
  std::vector<Type> results;
  chosen->clear();
  for (const Overload* o : overloads) {
    if (o->params.size() != args.size()) continue;
    std::map<std::string, Type> fresh;
    bool ok = true;
    for (size_t i = 0; i < args.size() && ok; ++i)
      ok = Assign(Rename(o->params[i], &fresh), args[i]);
    if (ok) {
      chosen->push_back(o);
      results.push_back(Substitute(Rename(o->result, &fresh), false));
      winner_bindings = bindings_;
    }
    bindings_ = before;
  }
  if (chosen->empty()) return false;
  if (chosen->size() == 1) {
    bindings_ = std::move(winner_bindings);
    *result = results[0];
    return true;
  }
  *result = results[0];
  for (const Type& r : results) {
    if (Finalize(r) != Finalize(results[0])) {
      *result = Type::Dyn();
      break;
    }
  }
  return true;
}

}  // namespace shardyfusion::cel
