#include "cli/record_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "core/status_internal.h"

namespace shardyfusion::cli {

namespace {

// Deeper JSON values are refused (Python's json module stops near 1,000
// levels too, at its recursion limit).
constexpr size_t kMaxJsonDepth = 1000;

Status LineError(uint64_t line, std::string_view what) {
  return Status(ErrorCode::kInvalidInput, fmt::format("line {}: {}", line, what));
}

// Physical lines of the input with their numbers.
class LineReader {
 public:
  explicit LineReader(std::istream* in) : in_(in) {}

  // False at the end of the input (or on a read error; see bad()). A UTF-8
  // byte-order mark at the start of the input is not part of the data.
  bool Next(std::string* line) {
    if (!std::getline(*in_, *line)) return false;
    ++line_no_;
    offset_ += line->size() + (in_->eof() ? 0 : 1);  // the newline, unless the input ended
    if (line_no_ == 1 && line->starts_with(kUtf8Bom)) line->erase(0, kUtf8Bom.size());
    return true;
  }
  bool bad() const { return in_->bad(); }
  uint64_t line_no() const { return line_no_; }
  // Bytes of the input consumed so far.
  uint64_t offset() const { return offset_; }

  // Continues at byte `offset`, the start of line `line_no` + 1.
  Status Seek(uint64_t offset, uint64_t line_no) {
    in_->clear();
    in_->seekg(static_cast<std::streamoff>(offset));
    if (!*in_) {
      return Status(ErrorCode::kInvalidInput,
                    fmt::format("cannot seek the input to byte {} to resume", offset));
    }
    offset_ = offset;
    line_no_ = line_no;
    return Status::OK();
  }

 private:
  static constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
  std::istream* in_;
  uint64_t line_no_ = 0;
  uint64_t offset_ = 0;
};

// "<offset> <line>", the text of a position.
std::string PositionText(const LineReader& lines) {
  return fmt::format("{} {}", lines.offset(), lines.line_no());
}

Status SeekToPosition(LineReader* lines, std::string_view position) {
  uint64_t offset = 0;
  uint64_t line = 0;
  if (std::sscanf(std::string(position).c_str(), "%" SCNu64 " %" SCNu64, &offset, &line) != 2) {
    return Status(ErrorCode::kConfigValidation,
                  fmt::format("the checkpoint's input position \"{}\" is not one of shardy "
                              "build's (offset and line)",
                              position));
  }
  // A position before the header (no record read yet): the header was
  // just read, so the source is already there.
  if (offset < lines->offset()) return Status::OK();
  return lines->Seek(offset, line);
}

Status ReadError(uint64_t line) {
  return Status(ErrorCode::kStorage, fmt::format("reading the input failed after line {}", line));
}

// The deepest nesting of arrays and objects in a JSON text; strings are
// skipped. Stops counting past `limit`.
size_t JsonDepth(std::string_view text, size_t limit) {
  size_t depth = 0;
  size_t deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size() && deepest <= limit; ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// A trailing '\r' belongs to a CRLF line ending, not to the data.
std::string_view StripCr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

class JsonlSource : public RecordSource {
 public:
  explicit JsonlSource(std::istream* in) : lines_(in) {}
  std::string Position() const override { return PositionText(lines_); }
  Status SeekTo(std::string_view position) override { return SeekToPosition(&lines_, position); }

  Result<bool> Next(Record* record) override {
    std::string line;
    do {
      if (!lines_.Next(&line)) {
        if (lines_.bad()) return ReadError(lines_.line_no());
        return false;
      }
    } while (IsBlank(line));
    const uint64_t n = lines_.line_no();
    // The parser takes a NUL byte for the end of the text and would drop
    // what follows it; JSON never holds a raw one.
    if (const size_t nul = line.find('\0'); nul != std::string::npos) {
      return LineError(n, fmt::format("invalid JSON at column {}: a NUL byte (JSON text cannot "
                                      "contain one; escape it as \\u0000 inside a string)",
                                      nul + 1));
    }
    // Re-serialising a value recurses once per level; bound it (each level
    // takes at least one byte, so only long lines need the scan).
    if (line.size() > kMaxJsonDepth && JsonDepth(line, kMaxJsonDepth) > kMaxJsonDepth) {
      return LineError(n, fmt::format("JSON nested deeper than {} levels", kMaxJsonDepth));
    }
    nlohmann::ordered_json value;
    try {
      value = nlohmann::ordered_json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      // what() reads "[json.exception...] parse error at line 1, column C: <reason>".
      std::string reason = e.what();
      const size_t colon = reason.find(": ");
      if (colon != std::string::npos) reason = reason.substr(colon + 2);
      return LineError(n, fmt::format("invalid JSON at column {}: {}", e.byte, reason));
    }
    if (!value.is_object()) {
      return LineError(n, fmt::format("expected a JSON object, found {}", value.type_name()));
    }
    record->line = n;
    record->fields = std::move(value);
    record->text_fields = false;
    return true;
  }

 private:
  LineReader lines_;
};

// Shared by CSV and TSV: header handling and the field-count check.
class DelimitedSource : public RecordSource {
 public:
  explicit DelimitedSource(std::istream* in) : lines_(in) {}
  std::string Position() const override { return PositionText(lines_); }
  Status SeekTo(std::string_view position) override {
    SHARDY_RETURN_IF_ERROR(ReadHeader());
    return SeekToPosition(&lines_, position);
  }

  Result<bool> Next(Record* record) override {
    SHARDY_RETURN_IF_ERROR(ReadHeader());
    SHARDY_ASSIGN_OR_RETURN(bool has_row, ReadRow(&row_));
    if (!has_row) return false;
    if (row_.size() != header_.size()) {
      return LineError(row_line_, fmt::format("expected {} fields as in the header, found {}",
                                              header_.size(), row_.size()));
    }
    nlohmann::ordered_json fields = nlohmann::ordered_json::object();
    for (size_t i = 0; i < header_.size(); ++i) {
      fields[header_[i]] = std::move(row_[i]);
    }
    record->line = row_line_;
    record->fields = std::move(fields);
    record->text_fields = true;
    return true;
  }

 protected:
  Status ReadHeader() {
    if (header_read_) return Status::OK();
    {
      std::vector<std::string> header;
      SHARDY_ASSIGN_OR_RETURN(bool has_header, ReadRow(&header));
      if (!has_header) {
        return Status(ErrorCode::kInvalidInput,
                      "the input is empty: CSV and TSV input needs a header row naming the fields");
      }
      for (size_t i = 0; i < header.size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
          if (header[i] == header[j]) {
            return LineError(row_line_,
                             fmt::format("duplicate column name \"{}\" in the header", header[i]));
          }
        }
      }
      header_ = std::move(header);
      header_read_ = true;
    }
    return Status::OK();
  }

  // Reads the next non-empty row into `*fields` and sets row_line_ to the
  // line it starts on. False at the end of the input.
  virtual Result<bool> ReadRow(std::vector<std::string>* fields) = 0;

  // The next line that is not empty (a row start); false at the end.
  Result<bool> NextRowStart(std::string* line) {
    do {
      if (!lines_.Next(line)) {
        if (lines_.bad()) return ReadError(lines_.line_no());
        return false;
      }
    } while (StripCr(*line).empty());
    row_line_ = lines_.line_no();
    return true;
  }

  LineReader lines_;
  uint64_t row_line_ = 0;

 private:
  bool header_read_ = false;
  std::vector<std::string> header_;
  std::vector<std::string> row_;
};

class TsvSource : public DelimitedSource {
 public:
  using DelimitedSource::DelimitedSource;

 protected:
  Result<bool> ReadRow(std::vector<std::string>* fields) override {
    std::string line;
    SHARDY_ASSIGN_OR_RETURN(bool more, NextRowStart(&line));
    if (!more) return false;
    fields->clear();
    std::string_view rest = StripCr(line);
    for (;;) {
      const size_t tab = rest.find('\t');
      fields->emplace_back(rest.substr(0, tab));
      if (tab == std::string_view::npos) break;
      rest.remove_prefix(tab + 1);
    }
    return true;
  }
};

class CsvSource : public DelimitedSource {
 public:
  using DelimitedSource::DelimitedSource;

 protected:
  Result<bool> ReadRow(std::vector<std::string>* fields) override {
    std::string line;
    SHARDY_ASSIGN_OR_RETURN(bool more, NextRowStart(&line));
    if (!more) return false;
    fields->clear();
    size_t i = 0;
    for (;;) {
      std::string field;
      if (i < line.size() && line[i] == '"') {
        SHARDY_RETURN_IF_ERROR(ReadQuoted(&line, &i, &field));
        fields->push_back(std::move(field));
        // After the closing quote only a separator or the line end may follow.
        if (AtLineEnd(line, i)) return true;
        if (line[i] != ',') {
          return LineError(lines_.line_no(),
                           "unexpected character after the closing quote of a field "
                           "(a quote inside a quoted field is written \"\")");
        }
        ++i;
        continue;
      }
      while (i < line.size() && line[i] != ',' && !AtLineEnd(line, i)) {
        if (line[i] == '"') {
          return LineError(lines_.line_no(),
                           "quote inside an unquoted field (quote the whole field and "
                           "write the quote as \"\")");
        }
        field.push_back(line[i++]);
      }
      fields->push_back(std::move(field));
      if (AtLineEnd(line, i)) return true;
      ++i;  // the ','
    }
  }

 private:
  // The end of the line, or a CRLF line ending's '\r'.
  static bool AtLineEnd(const std::string& line, size_t i) {
    return i >= line.size() || (i + 1 == line.size() && line[i] == '\r');
  }

  // `line[*i]` is the opening quote. Reads the field's text, continuing onto
  // the next lines when the field holds a newline, and leaves `*i` after the
  // closing quote (with `*line` the line holding it).
  Status ReadQuoted(std::string* line, size_t* i, std::string* field) {
    ++*i;
    for (;;) {
      if (*i >= line->size()) {
        if (!lines_.Next(line)) {
          if (lines_.bad()) return ReadError(lines_.line_no());
          return LineError(row_line_, "unterminated quoted field (missing closing quote)");
        }
        field->push_back('\n');
        *i = 0;
        continue;
      }
      const char c = (*line)[*i];
      if (c == '"') {
        if (*i + 1 < line->size() && (*line)[*i + 1] == '"') {
          field->push_back('"');
          *i += 2;
          continue;
        }
        ++*i;
        return Status::OK();
      }
      field->push_back(c);
      ++*i;
    }
  }
};

}  // namespace

std::optional<RecordFormat> ParseRecordFormat(std::string_view name) {
  if (name == "jsonl") return RecordFormat::kJsonl;
  if (name == "csv") return RecordFormat::kCsv;
  if (name == "tsv") return RecordFormat::kTsv;
  return std::nullopt;
}

std::unique_ptr<RecordSource> NewRecordSource(RecordFormat format, std::istream* in) {
  switch (format) {
    case RecordFormat::kJsonl:
      return std::make_unique<JsonlSource>(in);
    case RecordFormat::kCsv:
      return std::make_unique<CsvSource>(in);
    case RecordFormat::kTsv:
      return std::make_unique<TsvSource>(in);
  }
  return nullptr;
}

}  // namespace shardyfusion::cli
