// The object store a Python build or reader uses when it is given S3
// settings: shardyfusion's S3ConnectionOptions and resolved credentials, on
// top of what the environment says (s3.h).
#pragma once

#include <pybind11/pybind11.h>

#include <memory>
#include <string>

#include "shardyfusion/object_store.h"

namespace shardyfusion::python {

// `settings`: None (null result: the engine resolves `url` from the
// environment alone), or a dict with "options" (connection option name ->
// text, ApplyS3Option's keys) and "credentials" (None or a tuple of
// access key id, secret, session token, each str or None). Raises
// ConfigValidationError for an unknown option or a bad value. GIL held.
std::shared_ptr<ObjectStore> StoreFromS3Settings(const std::string& url,
                                                 const pybind11::object& settings);

}  // namespace shardyfusion::python
