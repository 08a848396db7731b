// The `_CURRENT` pointer (docs/format/current.md).

#include "core/py_json.h"
#include "core/status_internal.h"
#include "shardyfusion/manifest.h"

namespace shardyfusion {
namespace {

Status PointerError(const std::string& what) {
  return Status(ErrorCode::kManifestParse, "CURRENT pointer validation failed: " + what);
}

Status RequiredString(const nlohmann::json& obj, const char* key, std::string* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return PointerError(std::string("missing field '") + key + "'");
  if (!it->is_string()) return PointerError(std::string("field '") + key + "' must be a string");
  *out = it->get<std::string>();
  return Status::OK();
}

}  // namespace

std::string SerializeCurrentPointer(const CurrentPointer& pointer) {
  nlohmann::json obj = nlohmann::json::object();
  obj["format_version"] = pointer.format_version;
  obj["manifest_content_type"] = pointer.manifest_content_type;
  obj["manifest_ref"] = pointer.manifest_ref;
  obj["run_id"] = pointer.run_id;
  obj["updated_at"] = pointer.updated_at;
  return PyJsonDumpsCompact(obj);
}

Result<CurrentPointer> ParseCurrentPointer(std::string_view bytes) {
  Result<nlohmann::json> parsed = PyJsonLoads(bytes);
  if (!parsed.ok()) return PointerError(parsed.status().message());
  const nlohmann::json& obj = *parsed;
  if (!obj.is_object()) return PointerError("the pointer must be a JSON object");
  CurrentPointer pointer;
  SHARDY_RETURN_IF_ERROR(RequiredString(obj, "manifest_ref", &pointer.manifest_ref));
  SHARDY_RETURN_IF_ERROR(
      RequiredString(obj, "manifest_content_type", &pointer.manifest_content_type));
  SHARDY_RETURN_IF_ERROR(RequiredString(obj, "run_id", &pointer.run_id));
  SHARDY_RETURN_IF_ERROR(RequiredString(obj, "updated_at", &pointer.updated_at));
  // format_version defaults to 1 and its value is not checked (the reference
  // does not check it either); only its type is.
  auto it = obj.find("format_version");
  if (it != obj.end()) {
    if (!it->is_number_integer()) return PointerError("field 'format_version' must be an integer");
    pointer.format_version = it->get<int64_t>();
  }
  return pointer;
}

}  // namespace shardyfusion
