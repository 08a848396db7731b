// The pieces of the _native module, each registered by module.cc.
#pragma once

#include <pybind11/pybind11.h>

namespace shardyfusion::python {

void BindWriter(pybind11::module_& m);     // writer_binding.cc
void BindReader(pybind11::module_& m);     // reader_binding.cc
void BindFactories(pybind11::module_& m);  // factories_binding.cc
void BindRouting(pybind11::module_& m);    // routing_binding.cc

}  // namespace shardyfusion::python
