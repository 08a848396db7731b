// The native half of the distributed writers' routing: a router over a
// whole column of keys (and CEL column rows) at once, and CEL evaluation of
// rows (the tokens of inferred categorical routing). The Dask writer adds
// the shard-id column with it, in the worker processes.
//
// The Python values are converted with the GIL held; routing and evaluation
// then run without it.
//
// Thread-safety: a ShardRouter is immutable; any thread may use it.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "python/bindings.h"
#include "python/py_convert.h"
#include "routing/cel_router.h"
#include "shardyfusion/cel.h"
#include "shardyfusion/routing.h"

namespace shardyfusion::python {

namespace {

std::vector<CelColumn> ToColumns(const py::list& columns) {
  std::vector<CelColumn> out;
  for (py::handle item : columns) {
    auto pair = item.cast<py::tuple>();
    std::string name = pair[0].cast<std::string>();
    std::string type = pair[1].cast<std::string>();
    std::optional<CelType> t = ParseCelType(type);
    if (!t) {
      Check(Status(ErrorCode::kConfigValidation,
                   "Unsupported CEL column type: '" + type + "' (column '" + name + "')"));
    }
    out.push_back(CelColumn{std::move(name), *t});
  }
  return out;
}

// Row-major column values of `rows` (one sequence per record), by `columns`.
std::vector<CelValue> ToCells(const py::object& rows, const std::vector<CelColumn>& columns,
                              size_t n) {
  std::vector<CelValue> cells;
  if (rows.is_none()) return cells;
  auto list = rows.cast<py::list>();
  if (list.size() != n) throw py::value_error("keys and rows differ in length");
  cells.reserve(n * columns.size());
  for (py::handle row : list) {
    auto values = py::reinterpret_borrow<py::sequence>(row);
    if (values.size() != columns.size()) throw py::value_error("a row has the wrong column count");
    for (size_t j = 0; j < columns.size(); ++j) {
      cells.push_back(ToCelValue(values[j], columns[j].type, columns[j].name));
    }
  }
  return cells;
}

class ShardRouter {
 public:
  static ShardRouter Hash(uint32_t num_dbs) {
    if (num_dbs == 0 || num_dbs > kMaxNumDbs) {
      Check(
          Status(ErrorCode::kConfigValidation, "num_dbs must be 1.." + std::to_string(kMaxNumDbs)));
    }
    return ShardRouter(NewHashRouter(num_dbs), {}, false);
  }

  // Key-only mode (columns exactly {"key": T}) routes by the key alone.
  static ShardRouter Cel(const std::string& expr, const py::list& columns,
                         const py::object& routing_values, uint32_t num_dbs) {
    if (num_dbs == 0 || num_dbs > kMaxNumDbs) {
      Check(
          Status(ErrorCode::kConfigValidation, "num_dbs must be 1.." + std::to_string(kMaxNumDbs)));
    }
    std::vector<CelColumn> cols = ToColumns(columns);
    std::optional<std::vector<RoutingToken>> tokens;
    if (!routing_values.is_none()) {
      tokens.emplace();
      for (py::handle v : routing_values.cast<py::list>()) tokens->push_back(ToRoutingToken(v));
    }
    const bool key_only = cols.size() == 1 && cols[0].name == "key";
    Result<std::shared_ptr<const CelRouter>> router =
        CelRouter::Create(expr, cols, std::move(tokens), num_dbs);
    Check(router.status());
    return ShardRouter(std::move(router).value(), std::move(cols), !key_only);
  }

  // The shard of every key; rows (with CEL columns beyond the key): one
  // sequence of column values per key. A key that routes nowhere raises
  // ShardAssignmentError naming it.
  std::vector<uint32_t> RouteMany(const py::list& keys, const py::object& rows) const {
    const size_t n = keys.size();
    std::vector<Key> ks;
    ks.reserve(n);
    for (py::handle k : keys) ks.push_back(ToKey(k, "key"));
    std::vector<CelValue> cells =
        needs_rows_ ? ToCells(rows, columns_, n) : std::vector<CelValue>{};
    if (needs_rows_ && rows.is_none()) {
      throw py::value_error("this CEL router needs the column values of every row");
    }
    std::vector<uint32_t> out(n);
    Status st;
    {
      py::gil_scoped_release nogil;
      const size_t width = needs_rows_ ? columns_.size() : 0;
      std::string why;
      for (size_t i = 0; i < n && st.ok(); ++i) {
        std::span<const CelValue> row;
        if (width) row = std::span<const CelValue>(cells).subspan(i * width, width);
        Result<std::optional<uint32_t>> r = router_->Route(ks[i], row, &why);
        if (!r.ok()) {
          st = r.status();
        } else if (!*r) {
          st = Status(ErrorCode::kShardAssignment, why);
        } else {
          out[i] = **r;
        }
      }
    }
    Check(st);
    return out;
  }

  uint32_t num_dbs() const { return router_->num_dbs(); }

 private:
  ShardRouter(std::shared_ptr<const Router> router, std::vector<CelColumn> columns, bool needs_rows)
      : router_(std::move(router)), columns_(std::move(columns)), needs_rows_(needs_rows) {}

  std::shared_ptr<const Router> router_;
  std::vector<CelColumn> columns_;
  bool needs_rows_;
};

// The value of `expr` for every row (one sequence of column values each).
py::list CelEvaluateMany(const std::string& expr, const py::list& columns, const py::list& rows) {
  std::vector<CelColumn> cols = ToColumns(columns);
  Result<std::shared_ptr<const CelProgram>> program = CelProgram::Compile(expr, cols);
  Check(program.status());
  std::vector<CelValue> cells = ToCells(rows, cols, rows.size());
  std::vector<CelValue> results;
  Status st;
  {
    py::gil_scoped_release nogil;
    const size_t width = cols.size();
    results.reserve(rows.size());
    for (size_t i = 0; i < rows.size() && st.ok(); ++i) {
      Result<CelValue> v =
          (*program)->Evaluate(std::span<const CelValue>(cells).subspan(i * width, width));
      if (v.ok()) {
        results.push_back(std::move(v).value());
      } else {
        st = v.status();
      }
    }
  }
  Check(st);
  py::list out;
  for (const CelValue& v : results) out.append(FromCelValue(v));
  return out;
}

}  // namespace

void BindRouting(py::module_& m) {
  py::class_<ShardRouter>(m, "ShardRouter")
      .def_static("hash", &ShardRouter::Hash, py::arg("num_dbs"))
      .def_static("cel", &ShardRouter::Cel, py::arg("expr"), py::arg("columns"),
                  py::arg("routing_values"), py::arg("num_dbs"))
      .def("route_many", &ShardRouter::RouteMany, py::arg("keys"), py::arg("rows") = py::none())
      .def_property_readonly("num_dbs", &ShardRouter::num_dbs);
  m.def("cel_evaluate_many", &CelEvaluateMany, py::arg("expr"), py::arg("columns"),
        py::arg("rows"));
}

}  // namespace shardyfusion::python
