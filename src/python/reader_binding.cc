// The native half of shardyfusion.ShardedReader.
//
// Lookup keys and routing contexts are converted with the GIL held; the
// lookups themselves (and Open and Refresh) run with it released, so Python
// threads sharing one reader look up in parallel. The engine's reader is
// thread-safe; this wrapper only guards its pointer so that close() may run
// while another thread is inside a lookup: the lookup keeps the reader alive
// (a shared_ptr copy) until it returns, and every call after close() is a
// ReaderStateError.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "python/bindings.h"
#include "python/metrics_bridge.h"
#include "python/py_convert.h"
#include "python/s3_settings.h"
#include "shardyfusion/reader.h"

namespace shardyfusion::python {

namespace {

py::dict ShardDetailDict(const ShardDetail& s) {
  py::dict d;
  d["db_id"] = s.db_id;
  d["row_count"] = s.row_count;
  d["min_key"] = s.min_key ? FromKey(*s.min_key) : py::object(py::none());
  d["max_key"] = s.max_key ? FromKey(*s.max_key) : py::object(py::none());
  d["db_url"] = s.db_url ? py::object(py::str(*s.db_url)) : py::object(py::none());
  return d;
}

py::dict SnapshotInfoDict(const SnapshotInfo& s) {
  py::dict d;
  d["run_id"] = s.run_id;
  d["num_dbs"] = s.num_dbs;
  d["sharding"] = s.sharding.strategy == ShardingSpec::Strategy::kHash ? "hash" : "cel";
  d["created_at"] = s.created_at;
  d["manifest_ref"] = s.manifest_ref;
  d["published_at"] = s.published_at;
  d["row_count"] = s.row_count;
  d["key_encoding"] = KeyEncodingName(s.key_encoding);
  d["hash_algorithm"] = s.sharding.hash_algorithm;
  d["backend"] = s.backend;
  d["cel_expr"] =
      s.sharding.cel_expr ? py::object(py::str(*s.sharding.cel_expr)) : py::object(py::none());
  py::object columns = py::none();
  if (s.sharding.cel_columns) {
    py::dict c;
    for (const auto& [name, type] : *s.sharding.cel_columns) c[py::str(name)] = type;
    columns = c;
  }
  d["cel_columns"] = columns;
  py::object tokens = py::none();
  if (s.routing_values) {
    py::list t;
    for (const RoutingToken& v : *s.routing_values) t.append(FromCelValue(v));
    tokens = t;
  }
  d["routing_values"] = tokens;
  return d;
}

class Reader {
 public:
  // options: local_root, current_name, max_fallback_attempts, lookup_threads,
  // open_shards_eagerly, reader_factory
  // (a _native.ReaderFactory or None), s3 (s3_settings.h).
  Reader(const std::string& prefix, const py::dict& options) {
    ReaderOptions o;
    if (options.contains("s3")) o.store = StoreFromS3Settings(prefix, options["s3"]);
    if (options.contains("metrics")) o.metrics = MetricsBridge(options["metrics"]);
    if (auto v = OptionalString(options, "local_root")) o.local_root = *v;
    if (auto v = OptionalString(options, "current_name")) o.current_name = *v;
    if (options.contains("max_fallback_attempts")) {
      o.max_fallback_attempts = options["max_fallback_attempts"].cast<int>();
    }
    if (options.contains("lookup_threads"))
      o.lookup_threads = options["lookup_threads"].cast<int>();
    if (options.contains("open_shards_eagerly")) {
      o.open_shards_eagerly = options["open_shards_eagerly"].cast<bool>();
    }
    if (options.contains("reader_factory") && !options["reader_factory"].is_none()) {
      o.reader_factory = options["reader_factory"].cast<std::shared_ptr<ShardReaderFactory>>();
    }
    Result<std::unique_ptr<ShardedReader>> opened = [&] {
      py::gil_scoped_release nogil;
      return ShardedReader::Open(prefix, o);
    }();
    Check(opened.status());
    reader_ = std::shared_ptr<ShardedReader>(std::move(opened).value());
  }

  py::object Get(py::handle key, const py::object& context) {
    std::shared_ptr<ShardedReader> r = Live();
    Key k = ToKey(key, "key");
    RoutingContext ctx = ToContext(*r, context);
    Result<std::optional<std::string>> got = [&] {
      py::gil_scoped_release nogil;
      return r->Get(k, ctx);
    }();
    Check(got.status());
    if (!got->has_value()) return py::none();
    return py::bytes(**got);
  }

  // keys: any iterable. Returns the dict key -> value or None that
  // ShardedReader.multi_get returns, keyed by the caller's own key objects.
  py::dict MultiGet(const py::object& keys, const py::object& context) {
    std::shared_ptr<ShardedReader> r = Live();
    py::list listed =
        py::isinstance<py::list>(keys) ? py::reinterpret_borrow<py::list>(keys) : py::list(keys);
    std::vector<Key> ks;
    ks.reserve(listed.size());
    for (py::handle k : listed) ks.push_back(ToKey(k, "key"));
    RoutingContext ctx = ToContext(*r, context);
    Result<std::vector<std::optional<std::string>>> got = [&] {
      py::gil_scoped_release nogil;
      return r->MultiGet(ks, ctx);
    }();
    Check(got.status());
    py::dict out;
    for (size_t i = 0; i < got->size(); ++i) {
      const std::optional<std::string>& v = (*got)[i];
      py::object value = v ? py::reinterpret_steal<py::object>(PyBytes_FromStringAndSize(
                                 v->data(), static_cast<Py_ssize_t>(v->size())))
                           : py::none();
      if (!value) throw py::error_already_set();
      if (PyDict_SetItem(out.ptr(), listed[i].ptr(), value.ptr()) != 0)
        throw py::error_already_set();
    }
    return out;
  }

  int64_t RouteKey(py::handle key, const py::object& context) {
    std::shared_ptr<ShardedReader> r = Live();
    Key k = ToKey(key, "key");
    RoutingContext ctx = ToContext(*r, context);
    Result<int64_t> id = [&] {
      py::gil_scoped_release nogil;
      return r->RouteKey(k, ctx);
    }();
    Check(id.status());
    return *id;
  }

  py::dict ShardForKey(py::handle key, const py::object& context) {
    std::shared_ptr<ShardedReader> r = Live();
    Key k = ToKey(key, "key");
    RoutingContext ctx = ToContext(*r, context);
    Result<ShardDetail> d = [&] {
      py::gil_scoped_release nogil;
      return r->ShardForKey(k, ctx);
    }();
    Check(d.status());
    return ShardDetailDict(*d);
  }

  bool Refresh() {
    std::shared_ptr<ShardedReader> r = Live();
    Result<bool> changed = [&] {
      py::gil_scoped_release nogil;
      return r->Refresh();
    }();
    Check(changed.status());
    return *changed;
  }

  py::dict Info() {
    std::shared_ptr<ShardedReader> r = Live();
    return SnapshotInfoDict(InfoOf(*r));
  }

  py::list ShardDetails() {
    std::shared_ptr<ShardedReader> r = Live();
    std::vector<ShardDetail> details = [&] {
      py::gil_scoped_release nogil;
      return r->shard_details();
    }();
    py::list out;
    for (const ShardDetail& s : details) out.append(ShardDetailDict(s));
    return out;
  }

  void Close() {
    std::shared_ptr<ShardedReader> last;
    {
      std::lock_guard<std::mutex> lock(mu_);
      last.swap(reader_);
    }
    // Lookups in flight hold their own copies; closing shard files may take
    // a moment (and emits reader.closed), so not under the GIL.
    py::gil_scoped_release nogil;
    last.reset();
  }

  ~Reader() {
    py::gil_scoped_release nogil;  // closing may emit reader.closed
    reader_.reset();
  }

  bool closed() {
    std::lock_guard<std::mutex> lock(mu_);
    return reader_ == nullptr;
  }

 private:
  std::shared_ptr<ShardedReader> Live() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!reader_) Check(Status(ErrorCode::kReaderState, "Reader is closed"));
    return reader_;
  }

  // Every engine call runs without the GIL (metrics_bridge.h).
  static SnapshotInfo InfoOf(const ShardedReader& r) {
    py::gil_scoped_release nogil;
    return r.snapshot_info();
  }

  // The column values of a multi-column CEL snapshot, each converted to the
  // type the snapshot declares for it.
  static RoutingContext ToContext(const ShardedReader& r, const py::object& context) {
    RoutingContext ctx;
    if (context.is_none()) return ctx;
    SnapshotInfo info = InfoOf(r);
    const auto& declared = info.sharding.cel_columns;
    for (auto [name, value] : context.cast<py::dict>()) {
      std::string column = name.cast<std::string>();
      std::optional<CelType> type;
      if (declared) {
        auto it = declared->find(column);
        if (it != declared->end()) type = ParseCelType(it->second);
      }
      if (!type) {
        // Not a declared column: by its Python type; the router ignores or
        // refuses it.
        PyObject* p = value.ptr();
        type = PyBool_Check(p)      ? CelType::kBool
               : PyLong_Check(p)    ? CelType::kInt
               : PyFloat_Check(p)   ? CelType::kDouble
               : PyUnicode_Check(p) ? CelType::kString
                                    : CelType::kBytes;
      }
      ctx.emplace(column, ToCelValue(value, *type, column));
    }
    return ctx;
  }

  std::mutex mu_;
  std::shared_ptr<ShardedReader> reader_;  // null once closed
};

}  // namespace

void BindReader(py::module_& m) {
  py::class_<Reader>(m, "Reader")
      .def(py::init<const std::string&, const py::dict&>(), py::arg("prefix"), py::arg("options"))
      .def("get", &Reader::Get, py::arg("key"), py::arg("routing_context") = py::none())
      .def("multi_get", &Reader::MultiGet, py::arg("keys"), py::arg("routing_context") = py::none())
      .def("route_key", &Reader::RouteKey, py::arg("key"), py::arg("routing_context") = py::none())
      .def("shard_for_key", &Reader::ShardForKey, py::arg("key"),
           py::arg("routing_context") = py::none())
      .def("refresh", &Reader::Refresh)
      .def("snapshot_info", &Reader::Info)
      .def("shard_details", &Reader::ShardDetails)
      .def("close", &Reader::Close)
      .def_property_readonly("closed", &Reader::closed);
}

}  // namespace shardyfusion::python
