// Streaming readers of input records for `shardy build`: JSON Lines, CSV
// (RFC 4180) and TSV. A source reads one record at a time from an istream and
// never holds the input whole; each record carries the 1-based line number it
// starts on, so errors can point at the input.
//
//   JSONL: one JSON object per line; blank lines are skipped. Field values keep
//          their JSON types, nested at most 1,000 levels deep. A raw NUL byte
//          is an error (JSON text cannot hold one).
//   CSV:   a header row, then records; fields may be quoted ("" is a quote
//          inside a quoted field, which may also hold commas and newlines).
//          Empty lines are skipped. Fields are strings.
//   TSV:   a header row, tab-separated fields, no quoting. Empty lines are
//          skipped. Fields are strings.
// CSV and TSV records must have as many fields as the header. A UTF-8
// byte-order mark at the start of any input is skipped. A malformed line is
// a kInvalidInput error "line N: <what is wrong>".
//
// Thread-safety: a source is used by one thread.
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "shardyfusion/status.h"

namespace shardyfusion::cli {

struct Record {
  uint64_t line = 0;
  // A JSON object; for CSV/TSV, header -> string in header order.
  nlohmann::ordered_json fields;
  // True for CSV/TSV, whose fields are all text (an int key is parsed from
  // the text rather than required to be a JSON number).
  bool text_fields = false;
};

enum class RecordFormat { kJsonl, kCsv, kTsv };

// "jsonl", "csv", "tsv".
std::optional<RecordFormat> ParseRecordFormat(std::string_view name);

class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // Reads the next record into `*record`; false at the end of the input.
  // After an error the source must not be used again.
  virtual Result<bool> Next(Record* record) = 0;
  // Where the source stands: "<bytes consumed> <lines consumed>", between
  // two records (a checkpoint's input position, `shardy build --resume`).
  virtual std::string Position() const = 0;
  // Continues at a Position() of a source over the same seekable input (CSV
  // and TSV read their header first). Line numbers go on from there.
  virtual Status SeekTo(std::string_view position) = 0;
};

// `in` must outlive the source.
std::unique_ptr<RecordSource> NewRecordSource(RecordFormat format, std::istream* in);

}  // namespace shardyfusion::cli
