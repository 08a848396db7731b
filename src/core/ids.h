// Identifiers: uuid4 hex strings for run ids and checkpoint ids.
#pragma once

#include <string>

namespace shardyfusion {

// 32 lowercase hex characters of a random (version 4) UUID, no dashes.
std::string NewUuid4Hex();

}  // namespace shardyfusion
