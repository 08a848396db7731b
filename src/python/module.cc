// shardyfusion._native: the C++ engine under the shardyfusion Python package.
// Only python/shardyfusion uses it; its classes are not the public API.
#include <pybind11/pybind11.h>

#include "python/bindings.h"

PYBIND11_MODULE(_native, m) {
  m.doc() = "shardyfusion's C++ engine (used by the shardyfusion package)";
  shardyfusion::python::BindFactories(m);
  shardyfusion::python::BindWriter(m);
  shardyfusion::python::BindReader(m);
  shardyfusion::python::BindRouting(m);
}
