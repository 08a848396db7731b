// Fuzz target: the input record readers of `shardy build` (JSONL, CSV, TSV;
// cli/record_source.h) on any bytes. The first byte picks the format, the
// rest is the input. Every record read is a JSON object whose line numbers
// grow, and re-serialises (the path the build takes for a record's value);
// every error is kInvalidInput and names a line or the empty input.

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "cli/record_source.h"
#include "fuzz/fuzz_check.h"

namespace shardyfusion::cli {
namespace {

void Run(std::string_view bytes) {
  if (bytes.empty()) return;
  const RecordFormat formats[] = {RecordFormat::kJsonl, RecordFormat::kCsv, RecordFormat::kTsv};
  const RecordFormat format = formats[static_cast<uint8_t>(bytes[0]) % 3];
  std::istringstream in(std::string(bytes.substr(1)));
  std::unique_ptr<RecordSource> source = NewRecordSource(format, &in);
  uint64_t last_line = 0;
  for (int i = 0; i < 100000; ++i) {
    Record record;
    Result<bool> more = source->Next(&record);
    if (!more.ok()) {
      FUZZ_CHECK(more.status().code() == ErrorCode::kInvalidInput);
      const std::string& m = more.status().message();
      FUZZ_CHECK(m.starts_with("line ") || m.starts_with("the input is empty"));
      return;
    }
    if (!*more) return;
    FUZZ_CHECK(record.fields.is_object());
    FUZZ_CHECK(record.line > last_line);
    FUZZ_CHECK(record.text_fields == (format != RecordFormat::kJsonl));
    last_line = record.line;
    const std::string text =
        record.fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    FUZZ_CHECK(!text.empty() && text.front() == '{');
  }
}

}  // namespace
}  // namespace shardyfusion::cli

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shardyfusion::cli::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
