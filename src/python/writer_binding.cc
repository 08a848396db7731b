// The native half of shardyfusion.writer.python: a push-style writer that
// takes records a chunk at a time.
//
// The Python side iterates the records and calls the user's key_fn/value_fn
// (and columns_fn), collecting a chunk into lists; add_chunk copies the chunk
// into one compact buffer (keys, one value arena, column values) with the GIL
// held and then adds the records with the GIL released. Open and Finish also
// run without the GIL. Errors become shardyfusion.errors exceptions; the
// writer is then unusable, and the Python side calls abort().
//
// Thread-safety: the engine's writers are used by one thread; a mutex keeps
// a writer shared by Python threads from being entered twice.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "python/bindings.h"
#include "python/metrics_bridge.h"
#include "python/py_convert.h"
#include "python/s3_settings.h"
#include "shardyfusion/writer.h"
#include "writer/build_plan.h"
#include "writer/run_id_check.h"

namespace shardyfusion::python {

namespace {

template <typename T>
std::optional<T> Optional(const py::dict& d, const char* name) {
  if (!d.contains(name)) return std::nullopt;
  py::object v = d[name];
  if (v.is_none()) return std::nullopt;
  return v.cast<T>();
}

// The fields every strategy shares, from the flat dict that
// shardyfusion/config.py's _native_config() builds.
void FillWriteConfig(const py::dict& d, WriteConfig* c) {
  c->s3_prefix = d["s3_prefix"].cast<std::string>();
  if (d.contains("s3")) c->store = StoreFromS3Settings(c->s3_prefix, d["s3"]);
  if (d.contains("metrics")) c->metrics = MetricsBridge(d["metrics"]);
  c->run_id = OptionalString(d, "run_id");
  if (auto v = Optional<bool>(d, "stage_only")) c->stage_only = *v;
  if (auto v = Optional<bool>(d, "write_run_record")) c->write_run_record = *v;
  if (d.contains("only_shards") && !d["only_shards"].is_none()) {
    auto range = d["only_shards"].cast<std::pair<uint32_t, uint32_t>>();
    c->only_shards = range;
  }
  if (auto v = OptionalString(d, "db_path_template")) c->db_path_template = *v;
  if (auto v = OptionalString(d, "shard_prefix")) c->shard_prefix = *v;
  if (auto v = OptionalString(d, "local_root")) c->local_root = *v;
  if (auto v = OptionalString(d, "run_registry_prefix")) c->run_registry_prefix = *v;
  if (auto v = OptionalString(d, "key_encoding")) {
    std::optional<KeyEncoding> e = ParseKeyEncoding(*v);
    if (!e) {
      Check(Status(ErrorCode::kConfigValidation,
                   "Unsupported key encoding: '" + *v + "'. Allowed: u64be, u32be, utf8, raw"));
    }
    c->key_encoding = *e;
  }
  if (auto v = Optional<uint64_t>(d, "batch_size")) c->batch_size = *v;
  if (d.contains("adapter_factory") && !d["adapter_factory"].is_none()) {
    c->adapter_factory = d["adapter_factory"].cast<std::shared_ptr<ShardWriterFactory>>();
  }
  if (auto v = OptionalString(d, "custom_manifest_fields_json")) {
    c->custom_manifest_fields_json = *v;
  }
  c->max_writes_per_second = Optional<double>(d, "max_writes_per_second");
  c->max_write_bytes_per_second = Optional<double>(d, "max_write_bytes_per_second");
  if (d.contains("shard_retry") && !d["shard_retry"].is_none()) {
    py::dict r = d["shard_retry"].cast<py::dict>();
    RetryConfig retry;
    retry.max_retries = r["max_retries"].cast<uint32_t>();
    retry.initial_backoff_seconds = r["initial_backoff_seconds"].cast<double>();
    retry.backoff_multiplier = r["backoff_multiplier"].cast<double>();
    c->shard_retry = retry;
  }
}

WriteOptions ToWriteOptions(const py::dict& d) {
  WriteOptions o;
  if (auto v = Optional<bool>(d, "parallel")) o.parallel = *v;
  if (auto v = Optional<uint32_t>(d, "workers")) o.workers = *v;
  constexpr uint64_t kUnbounded = std::numeric_limits<uint64_t>::max();
  if (d.contains("max_total_chunk_bytes")) {
    o.max_total_chunk_bytes = Optional<uint64_t>(d, "max_total_chunk_bytes").value_or(kUnbounded);
  }
  if (d.contains("max_chunk_bytes_per_worker")) {
    o.max_chunk_bytes_per_worker =
        Optional<uint64_t>(d, "max_chunk_bytes_per_worker").value_or(kUnbounded);
  }
  o.max_total_batched_items = Optional<uint64_t>(d, "max_total_batched_items");
  o.max_total_batched_bytes = Optional<uint64_t>(d, "max_total_batched_bytes");
  return o;
}

py::dict ShardMetaDict(const ShardMeta& m) {
  py::dict d;
  d["db_id"] = m.db_id;
  d["db_url"] = m.db_url ? py::object(py::str(*m.db_url)) : py::object(py::none());
  d["attempt"] = m.attempt;
  d["row_count"] = m.row_count;
  d["db_bytes"] = m.db_bytes;
  d["min_key"] = m.min_key ? FromKey(*m.min_key) : py::object(py::none());
  d["max_key"] = m.max_key ? FromKey(*m.max_key) : py::object(py::none());
  d["checkpoint_id"] =
      m.checkpoint_id ? py::object(py::str(*m.checkpoint_id)) : py::object(py::none());
  return d;
}

py::dict BuildResultDict(const BuildResult& r) {
  py::dict d;
  d["run_id"] = r.run_id;
  d["num_dbs"] = r.num_dbs;
  py::list winners;
  for (const ShardMeta& m : r.winners) winners.append(ShardMetaDict(m));
  d["winners"] = winners;
  d["manifest_ref"] = r.manifest_ref;
  d["run_record_ref"] = r.run_record_ref;
  py::dict stats;
  stats["write_ms"] = r.stats.durations.write_ms;
  stats["manifest_ms"] = r.stats.durations.manifest_ms;
  stats["total_ms"] = r.stats.durations.total_ms;
  stats["num_attempt_results"] = r.stats.num_attempt_results;
  stats["num_winners"] = r.stats.num_winners;
  stats["rows_written"] = r.stats.rows_written;
  stats["bytes_written"] = r.stats.bytes_written;
  d["stats"] = stats;
  return d;
}

// One chunk of records, copied out of Python objects so the engine can
// consume it without the GIL.
struct Chunk {
  std::vector<Key> keys;
  std::string values;           // every value, back to back
  std::vector<size_t> ends;     // values[i] ends at ends[i]
  std::vector<CelValue> cells;  // row-major, `width` per record
  size_t width = 0;

  std::string_view value(size_t i) const {
    size_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(values).substr(begin, ends[i] - begin);
  }
  std::span<const CelValue> columns(size_t i) const {
    if (width == 0) return {};
    return std::span<const CelValue>(cells).subspan(i * width, width);
  }
};

class Writer {
 public:
  static std::unique_ptr<Writer> OpenHash(const py::dict& config, const py::dict& options,
                                          std::optional<uint64_t> record_count) {
    HashShardedWriteConfig c;
    FillWriteConfig(config, &c);
    c.num_dbs = Optional<uint32_t>(config, "num_dbs");
    c.max_keys_per_shard = Optional<uint64_t>(config, "max_keys_per_shard");
    WriteOptions o = ToWriteOptions(options);
    Result<std::unique_ptr<HashShardedWriter>> opened = [&] {
      py::gil_scoped_release nogil;
      return HashShardedWriter::Open(c, o, record_count);
    }();
    Check(opened.status());
    auto w = std::unique_ptr<Writer>(new Writer());
    w->hash_ = std::move(opened).value();
    w->base_ = w->hash_.get();
    return w;
  }

  static std::unique_ptr<Writer> OpenCel(const py::dict& config, const py::dict& options) {
    CelShardedWriteConfig c;
    FillWriteConfig(config, &c);
    c.cel_expr = config["cel_expr"].cast<std::string>();
    std::vector<CelType> types;
    for (py::handle item : config["cel_columns"].cast<py::list>()) {
      auto pair = item.cast<py::tuple>();
      std::string name = pair[0].cast<std::string>();
      std::string type = pair[1].cast<std::string>();
      std::optional<CelType> t = ParseCelType(type);
      if (!t) {
        Check(Status(ErrorCode::kConfigValidation,
                     "Unsupported CEL column type: '" + type + "' (column '" + name + "')"));
      }
      c.cel_columns.push_back(CelColumn{name, *t});
      types.push_back(*t);
    }
    if (config.contains("routing_values") && !config["routing_values"].is_none()) {
      std::vector<RoutingToken> tokens;
      for (py::handle v : config["routing_values"].cast<py::list>()) {
        tokens.push_back(ToRoutingToken(v));
      }
      c.routing_values = std::move(tokens);
    }
    c.infer_routing_values_from_data =
        Optional<bool>(config, "infer_routing_values_from_data").value_or(false);
    c.num_dbs = Optional<uint32_t>(config, "num_dbs");
    WriteOptions o = ToWriteOptions(options);
    Result<std::unique_ptr<CelShardedWriter>> opened = [&] {
      py::gil_scoped_release nogil;
      return CelShardedWriter::Open(c, o);
    }();
    Check(opened.status());
    auto w = std::unique_ptr<Writer>(new Writer());
    w->cel_ = std::move(opened).value();
    w->base_ = w->cel_.get();
    w->column_names_.reserve(c.cel_columns.size());
    for (const CelColumn& col : c.cel_columns) w->column_names_.push_back(col.name);
    w->column_types_ = std::move(types);
    return w;
  }

  // keys, values: equal-length lists. columns: None, or one sequence per
  // record holding the values of cel_columns in order.
  void AddChunk(const py::list& keys, const py::list& values, const py::object& columns) {
    Chunk chunk = MakeChunk(keys, &values, columns);
    Status st;
    {
      py::gil_scoped_release nogil;
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t i = 0; i < chunk.keys.size() && st.ok(); ++i) {
        st = hash_ ? hash_->Add(chunk.keys[i], chunk.value(i))
                   : cel_->Add(chunk.keys[i], chunk.value(i), chunk.columns(i));
      }
    }
    Check(st);
  }

  // The first pass of inferred categorical CEL routing.
  void ObserveChunk(const py::list& keys, const py::object& columns) {
    if (!cel_) Check(Status(ErrorCode::kInvalidArgument, "observe is for CEL writers"));
    Chunk chunk = MakeChunk(keys, nullptr, columns);
    Status st;
    {
      py::gil_scoped_release nogil;
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t i = 0; i < chunk.keys.size() && st.ok(); ++i) {
        st = cel_->Observe(chunk.keys[i], chunk.columns(i));
      }
    }
    Check(st);
  }

  // Finish runs on a helper thread while this one, without the GIL, looks
  // for Ctrl-C every 50 ms (PyErr_CheckSignals; the main thread only). An
  // interrupt cancels the build (ShardedWriter::Cancel), waits for Finish to
  // wind down and raises the KeyboardInterrupt: nothing is published unless
  // the manifest was already being written, which the exception's note says.
  py::dict Finish() {
    std::optional<Result<BuildResult>> r;
    bool interrupted = false;
    std::optional<py::error_already_set> interrupt;
    {
      py::gil_scoped_release nogil;
      std::lock_guard<std::mutex> lock(mu_);
      std::mutex done_mu;
      std::condition_variable done_cv;
      bool done = false;
      std::thread finisher([&] {
        Result<BuildResult> out = base_->Finish();
        std::lock_guard<std::mutex> l(done_mu);
        r.emplace(std::move(out));
        done = true;
        done_cv.notify_all();
      });
      std::unique_lock<std::mutex> l(done_mu);
      while (!done) {
        if (done_cv.wait_for(l, std::chrono::milliseconds(50), [&] { return done; })) break;
        if (interrupted) continue;
        l.unlock();
        {
          py::gil_scoped_acquire gil;
          if (PyErr_CheckSignals() != 0) {
            interrupted = true;
            interrupt.emplace();  // takes the pending exception (KeyboardInterrupt)
          }
        }
        if (interrupted) base_->Cancel();
        l.lock();
      }
      l.unlock();
      finisher.join();
    }
    if (interrupted) {
      if ((*r).ok()) {
        interrupt->value().attr("add_note")(
            "shardyfusion: the interrupt came while the manifest was being published; the "
            "snapshot " +
            (*r)->manifest_ref + " is published");
      }
      throw std::move(*interrupt);
    }
    Check((*r).status());
    return BuildResultDict(**r);
  }

  // `cause`: why the caller gave up (the run record's error_message).
  void Abort(const std::string& cause) {
    py::gil_scoped_release nogil;
    std::lock_guard<std::mutex> lock(mu_);
    base_->Abort(Status(ErrorCode::kInvalidInput, cause));
  }

  const std::vector<std::string>& column_names() const { return column_names_; }

  ~Writer() {
    // An unfinished writer is abandoned here, which joins the engine's
    // threads; they may be waiting for the GIL to emit a metric event.
    py::gil_scoped_release nogil;
    hash_.reset();
    cel_.reset();
  }

 private:
  Writer() = default;

  Chunk MakeChunk(const py::list& keys, const py::list* values, const py::object& columns) const {
    Chunk chunk;
    size_t n = keys.size();
    if (values != nullptr && values->size() != n) {
      throw py::value_error("keys and values differ in length");
    }
    chunk.keys.reserve(n);
    for (py::handle k : keys) chunk.keys.push_back(ToKey(k, "key_fn"));
    if (values != nullptr) {
      chunk.ends.reserve(n);
      for (py::handle v : *values) {
        AppendBytes(v, "value_fn", &chunk.values);
        chunk.ends.push_back(chunk.values.size());
      }
    }
    if (!columns.is_none()) {
      auto rows = columns.cast<py::list>();
      if (rows.size() != n) throw py::value_error("keys and columns differ in length");
      chunk.width = column_types_.size();
      chunk.cells.reserve(n * chunk.width);
      for (py::handle row : rows) {
        auto cells = py::reinterpret_borrow<py::sequence>(row);
        if (cells.size() != chunk.width) throw py::value_error("a row has the wrong column count");
        for (size_t j = 0; j < chunk.width; ++j) {
          chunk.cells.push_back(ToCelValue(cells[j], column_types_[j], column_names_[j]));
        }
      }
    }
    return chunk;
  }

  std::mutex mu_;
  std::unique_ptr<HashShardedWriter> hash_;
  std::unique_ptr<CelShardedWriter> cel_;
  ShardedWriter* base_ = nullptr;
  std::vector<std::string> column_names_;
  std::vector<CelType> column_types_;
};

// Publishes a staged run (PublishStagedRun) under the config's s3_prefix.
py::dict PublishStaged(const py::dict& config, const std::string& run_id) {
  WriteConfig c;
  FillWriteConfig(config, &c);
  PublishStagedOptions o;
  o.s3_prefix = c.s3_prefix;
  o.store = c.store;
  o.run_id = run_id;
  o.shard_prefix = c.shard_prefix;
  o.publish = c.publish;
  o.metrics = c.metrics;
  Result<BuildResult> r = [&] {
    py::gil_scoped_release nogil;
    return PublishStagedRun(o);
  }();
  Check(r.status());
  return BuildResultDict(*r);
}

// Deletes what the staged shards of unpublished run `run_id` created.
void DiscardStaged(const py::dict& config, const std::string& run_id) {
  WriteConfig c;
  FillWriteConfig(config, &c);
  PublishStagedOptions o;
  o.s3_prefix = c.s3_prefix;
  o.store = c.store;
  o.run_id = run_id;
  o.shard_prefix = c.shard_prefix;
  o.db_path_template = c.db_path_template;
  Status st;
  {
    py::gil_scoped_release nogil;
    st = DiscardStagedRun(o);
  }
  Check(st);
}

// Raises ConfigValidationError when the config's run_id already has objects
// under its prefix (the rule of every build that is not an explicit staging).
void CheckRunIdUnusedFor(const py::dict& config) {
  WriteConfig c;
  FillWriteConfig(config, &c);
  if (!c.run_id) return;
  Status st;
  {
    py::gil_scoped_release nogil;
    Result<StoreLocation> root = ResolveRoot(c);
    st = root.ok() ? CheckRunIdUnused(*root->store, root->key, c.shard_prefix,
                                      c.run_registry_prefix, *c.run_id)
                   : root.status();
  }
  Check(st);
}

}  // namespace

void BindWriter(py::module_& m) {
  m.def("discard_staged", &DiscardStaged, py::arg("config"), py::arg("run_id"));
  m.def("check_run_id_unused", &CheckRunIdUnusedFor, py::arg("config"));
  m.def("publish_staged", &PublishStaged, py::arg("config"), py::arg("run_id"));
  py::class_<Writer>(m, "Writer")
      .def_static("open_hash", &Writer::OpenHash, py::arg("config"), py::arg("options"),
                  py::arg("record_count") = py::none())
      .def_static("open_cel", &Writer::OpenCel, py::arg("config"), py::arg("options"))
      .def("add_chunk", &Writer::AddChunk, py::arg("keys"), py::arg("values"),
           py::arg("columns") = py::none())
      .def("observe_chunk", &Writer::ObserveChunk, py::arg("keys"), py::arg("columns") = py::none())
      .def("finish", &Writer::Finish)
      .def("abort", &Writer::Abort, py::arg("cause"))
      .def_property_readonly("column_names", &Writer::column_names);
}

}  // namespace shardyfusion::python
