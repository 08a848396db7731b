// Conversions between Python objects and the engine's values, and the one
// way a Status becomes a Python exception.
//
// Every function here runs with the GIL held. A Status that is not OK
// becomes the exception class that shardyfusion.errors maps its ErrorCode to
// (errors.from_status), carrying the message, retryable() and, for
// kPublishCurrent, the manifest ref.
#pragma once

#include <pybind11/pybind11.h>

#include <optional>
#include <string>
#include <vector>

#include "shardyfusion/cel.h"
#include "shardyfusion/key.h"
#include "shardyfusion/status.h"

namespace shardyfusion::python {

namespace py = pybind11;

// Raises the mapped shardyfusion.errors exception. REQUIRES: !status.ok().
[[noreturn]] void ThrowStatus(const Status& status);
// Raises on a non-OK status; does nothing otherwise.
inline void Check(const Status& status) {
  if (!status.ok()) ThrowStatus(status);
}

// int (bool as 0/1; any __index__ type, e.g. numpy ints), str or bytes. An int outside signed 64
// bits is a ValueError (the reference's routing rule); any other type is a ConfigValidationError.
// `what` names the source in messages ("key_fn").
Key ToKey(py::handle obj, const char* what);
py::object FromKey(const Key& key);

// Appends the bytes of a bytes-like object (bytes, bytearray, memoryview)
// to `out`; any other type is a TypeError naming `what`.
void AppendBytes(py::handle obj, const char* what, std::string* out);

// A column value of declared type `type` (None is CEL null). A value of
// another type is a ConfigValidationError naming `column`.
CelValue ToCelValue(py::handle obj, CelType type, const std::string& column);
// A routing token: int, str or bytes (not bool).
CelValue ToRoutingToken(py::handle obj);
py::object FromCelValue(const CelValue& value);

// A Python str or a std::string of a dict entry, or nullopt for None/absent.
std::optional<std::string> OptionalString(const py::dict& d, const char* name);

}  // namespace shardyfusion::python
