#include "python/py_convert.h"

#include <Python.h>

#include <cstdint>
#include <string>

namespace shardyfusion::python {

namespace {

std::string TypeName(py::handle obj) { return Py_TYPE(obj.ptr())->tp_name; }

std::string Repr(py::handle obj) { return py::repr(obj).cast<std::string>(); }

}  // namespace

void ThrowStatus(const Status& status) {
  py::object errors = py::module_::import("shardyfusion.errors");
  py::object ref =
      status.manifest_ref() ? py::object(py::str(*status.manifest_ref())) : py::object(py::none());
  py::object exc = errors.attr("from_status")(ErrorCodeName(status.code()), status.message(),
                                              status.retryable(), ref);
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
  throw py::error_already_set();
}

Key ToKey(py::handle obj, const char* what) {
  PyObject* p = obj.ptr();
  if (PyLong_Check(p)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(p, &overflow);
    if (overflow != 0) {
      throw py::value_error("Integer key " + Repr(obj) +
                            " out of range for signed 64-bit routing [-2**63, 2**63-1]");
    }
    if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
    return Key::Int(static_cast<int64_t>(v));
  }
  if (PyUnicode_Check(p)) {
    Py_ssize_t n = 0;
    const char* s = PyUnicode_AsUTF8AndSize(p, &n);
    if (s == nullptr) throw py::error_already_set();
    return Key::Str(std::string(s, static_cast<size_t>(n)));
  }
  if (PyBytes_Check(p)) {
    return Key::Bytes(std::string(PyBytes_AS_STRING(p), static_cast<size_t>(PyBytes_GET_SIZE(p))));
  }
  if (PyIndex_Check(p)) {  // an integer type of another library (numpy.int64, ...)
    py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(p));
    if (!index) throw py::error_already_set();
    return ToKey(index, what);
  }
  ThrowStatus(Status(ErrorCode::kConfigValidation,
                     std::string(what) + " must return int, str or bytes, got " + TypeName(obj)));
}

py::object FromKey(const Key& key) {
  switch (key.kind()) {
    case Key::Kind::kInt:
      return py::int_(key.int_value());
    case Key::Kind::kStr: {
      // Manifest keys read back as text may hold bytes that are not UTF-8
      // (manifest.md); surrogateescape keeps them round-trippable.
      PyObject* s = PyUnicode_DecodeUTF8(
          key.bytes().data(), static_cast<Py_ssize_t>(key.bytes().size()), "surrogateescape");
      if (s == nullptr) throw py::error_already_set();
      return py::reinterpret_steal<py::object>(s);
    }
    case Key::Kind::kBytes:
      return py::bytes(key.bytes());
  }
  return py::none();
}

void AppendBytes(py::handle obj, const char* what, std::string* out) {
  PyObject* p = obj.ptr();
  if (PyBytes_Check(p)) {
    out->append(PyBytes_AS_STRING(p), static_cast<size_t>(PyBytes_GET_SIZE(p)));
    return;
  }
  if (PyObject_CheckBuffer(p) && !PyUnicode_Check(p)) {
    Py_buffer view;
    if (PyObject_GetBuffer(p, &view, PyBUF_SIMPLE) != 0) throw py::error_already_set();
    out->append(static_cast<const char*>(view.buf), static_cast<size_t>(view.len));
    PyBuffer_Release(&view);
    return;
  }
  throw py::type_error(std::string(what) + " must return bytes, got " + TypeName(obj));
}

CelValue ToCelValue(py::handle obj, CelType type, const std::string& column) {
  PyObject* p = obj.ptr();
  if (p == Py_None) return CelValue();
  auto mismatch = [&]() -> CelValue {
    ThrowStatus(Status(ErrorCode::kConfigValidation, "CEL column '" + column + "' is declared " +
                                                         CelTypeName(type) + ", got " +
                                                         TypeName(obj) + " " + Repr(obj)));
  };
  switch (type) {
    case CelType::kBool:
      if (!PyBool_Check(p)) return mismatch();
      return CelValue::Bool(p == Py_True);
    case CelType::kInt:
    case CelType::kUint: {
      if (!PyLong_Check(p) || PyBool_Check(p)) return mismatch();
      if (type == CelType::kInt) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(p, &overflow);
        if (overflow != 0) return mismatch();
        return CelValue::Int(static_cast<int64_t>(v));
      }
      unsigned long long v = PyLong_AsUnsignedLongLong(p);
      if (v == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
        PyErr_Clear();
        return mismatch();
      }
      return CelValue::Uint(static_cast<uint64_t>(v));
    }
    case CelType::kDouble:
      if (PyFloat_Check(p)) return CelValue::Double(PyFloat_AS_DOUBLE(p));
      if (PyLong_Check(p) && !PyBool_Check(p)) return CelValue::Double(PyLong_AsDouble(p));
      return mismatch();
    case CelType::kString: {
      if (!PyUnicode_Check(p)) return mismatch();
      Py_ssize_t n = 0;
      const char* s = PyUnicode_AsUTF8AndSize(p, &n);
      if (s == nullptr) throw py::error_already_set();
      return CelValue::String(std::string(s, static_cast<size_t>(n)));
    }
    case CelType::kBytes: {
      if (!PyBytes_Check(p)) return mismatch();
      return CelValue::Bytes(
          std::string(PyBytes_AS_STRING(p), static_cast<size_t>(PyBytes_GET_SIZE(p))));
    }
  }
  return mismatch();
}

CelValue ToRoutingToken(py::handle obj) {
  PyObject* p = obj.ptr();
  if (PyLong_Check(p) && !PyBool_Check(p)) return ToCelValue(obj, CelType::kInt, "routing_values");
  if (PyUnicode_Check(p)) return ToCelValue(obj, CelType::kString, "routing_values");
  if (PyBytes_Check(p)) return ToCelValue(obj, CelType::kBytes, "routing_values");
  ThrowStatus(Status(ErrorCode::kConfigValidation,
                     "Routing values must be int, str or bytes, got " + TypeName(obj)));
}

py::object FromCelValue(const CelValue& value) {
  switch (value.kind()) {
    case CelValue::Kind::kNull:
      return py::none();
    case CelValue::Kind::kBool:
      return py::bool_(value.bool_value());
    case CelValue::Kind::kInt:
      return py::int_(value.int_value());
    case CelValue::Kind::kUint:
      return py::int_(value.uint_value());
    case CelValue::Kind::kDouble:
      return py::float_(value.double_value());
    case CelValue::Kind::kString:
      return py::str(value.bytes());
    case CelValue::Kind::kBytes:
      return py::bytes(value.bytes());
  }
  return py::none();
}

std::optional<std::string> OptionalString(const py::dict& d, const char* name) {
  if (!d.contains(name)) return std::nullopt;
  py::object v = d[name];
  if (v.is_none()) return std::nullopt;
  return v.cast<std::string>();
}

}  // namespace shardyfusion::python
