// Shard backend factories as opaque handles: python/shardyfusion's factory
// dataclasses (SqliteFactory, SlateDbFactory, ...) build one each per build
// or reader, from their fields.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>

#include "python/bindings.h"
#include "shardyfusion/shard_backend.h"
#include "shardyfusion/slatedb_backend.h"
#include "shardyfusion/sqlite_backend.h"

namespace shardyfusion::python {

namespace py = pybind11;

void BindFactories(py::module_& m) {
  py::class_<ShardWriterFactory, std::shared_ptr<ShardWriterFactory>>(m, "WriterFactory")
      .def_property_readonly("name", &ShardWriterFactory::name);
  py::class_<ShardReaderFactory, std::shared_ptr<ShardReaderFactory>>(m, "ReaderFactory")
      .def_property_readonly("name", &ShardReaderFactory::name);

  m.def(
      "sqlite_writer_factory",
      [](uint32_t page_size, int64_t cache_size_pages) {
        SqliteWriterOptions o;
        o.page_size = page_size;
        o.cache_size_pages = cache_size_pages;
        return NewSqliteWriterFactory(o);
      },
      py::arg("page_size"), py::arg("cache_size_pages"));
  m.def(
      "sqlite_reader_factory",
      [](int64_t mmap_size, int64_t cache_size_pages) {
        SqliteReaderOptions o;
        o.mmap_size = mmap_size;
        o.cache_size_pages = cache_size_pages;
        return NewSqliteReaderFactory(o);
      },
      py::arg("mmap_size"), py::arg("cache_size_pages"));
  m.def(
      "slatedb_writer_factory",
      [](bool local) {
        SlateDbWriterOptions o;
        o.mode = local ? SlateDbWriteMode::kLocal : SlateDbWriteMode::kDirect;
        return NewSlateDbWriterFactory(o);
      },
      py::arg("local"));
  m.def(
      "slatedb_reader_factory",
      [](uint64_t block_cache_bytes) {
        SlateDbReaderOptions o;
        o.block_cache_bytes = block_cache_bytes;
        return NewSlateDbReaderFactory(o);
      },
      py::arg("block_cache_bytes"));
}

}  // namespace shardyfusion::python
