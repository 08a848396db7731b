// Tests: a run record object as a build would have left it.
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include "core/ids.h"
#include "core/time_format.h"
#include "writer/run_record.h"

namespace shardyfusion {

// The key under the snapshot root ("runs/<ts>_run_id=<id>_<uuid>/run.yaml")
// and the YAML of a record of `run_id` in `state`, started and last updated
// at `at`, its lease running 10 minutes past that.
inline std::pair<std::string, std::string> RunRecordObjectForTest(
    const std::string& run_id, RunRecord::State state, std::chrono::system_clock::time_point at) {
  RunRecord r;
  r.run_id = run_id;
  r.status = state;
  r.started_at = std::chrono::time_point_cast<std::chrono::microseconds>(at);
  r.updated_at = r.started_at;
  r.lease_expires_at = r.updated_at + std::chrono::minutes(10);
  return {"runs/" + FormatDirTimestamp(r.started_at) + "_run_id=" + run_id + "_" + NewUuid4Hex() +
              "/run.yaml",
          RunRecordYaml(r)};
}

}  // namespace shardyfusion
