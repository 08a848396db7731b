#include "backend/sorted_run.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "core/large_buffer.h"
#include "core/status_internal.h"

namespace shardyfusion {

namespace {

constexpr size_t kHeaderBytes = 8;

Status IoError(const std::string& what, const std::string& path) {
  return Status(ErrorCode::kShardWrite,
                what + " spool file " + path + ": " + std::strerror(errno) +
                    " (check free space and permissions of the shard's local directory)");
}

void PutFixed32(char* dst, uint32_t v) {
  dst[0] = static_cast<char>(v & 0xff);
  dst[1] = static_cast<char>((v >> 8) & 0xff);
  dst[2] = static_cast<char>((v >> 16) & 0xff);
  dst[3] = static_cast<char>((v >> 24) & 0xff);
}

uint32_t GetFixed32(const char* src) {
  const auto* p = reinterpret_cast<const unsigned char*>(src);
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

Status WriteFully(int fd, const char* data, size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot write", path);
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return Status::OK();
}

Status MergeRunsInto(std::vector<SortedRun> inputs, const std::string& output) {
  RunMerger merger;
  SHARDY_RETURN_IF_ERROR(merger.Open(std::move(inputs)));
  RunWriter writer;
  SHARDY_RETURN_IF_ERROR(writer.Open(output));
  while (merger.Valid()) {
    SHARDY_RETURN_IF_ERROR(writer.Add(merger.key(), merger.value()));
    SHARDY_RETURN_IF_ERROR(merger.Next());
  }
  return writer.Finish();
}

}  // namespace

// ---- RunMemoryBudget, MemoryRun ----

bool RunMemoryBudget::TryReserve(uint64_t n) {
  uint64_t used = used_.load();
  do {
    if (n > limit_ || used > limit_ - n) return false;
  } while (!used_.compare_exchange_weak(used, used + n));
  return true;
}

MemoryRun::MemoryRun(size_t size, std::shared_ptr<RunMemoryBudget> budget)
    : data_(AllocateLargeBuffer(size)), size_(size), budget_(std::move(budget)) {}

MemoryRun::~MemoryRun() {
  FreeLargeBuffer(data_, size_);
  if (budget_) budget_->Release(size_);
}

// ---- RunWriter ----

RunWriter::~RunWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status RunWriter::Open(const std::string& path) {
  path_ = path;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) return IoError("cannot create", path);
  buffer_.reserve(kRunWriteBufferBytes);
  return Status::OK();
}

Status RunWriter::Add(std::string_view key, std::string_view value) {
  constexpr size_t kMax = std::numeric_limits<uint32_t>::max();
  if (key.size() > kMax || value.size() > kMax) {
    return Status(ErrorCode::kInvalidArgument,
                  "a key or value is larger than 4 GiB, which a shard cannot hold");
  }
  char header[kHeaderBytes];
  PutFixed32(header, static_cast<uint32_t>(key.size()));
  PutFixed32(header + 4, static_cast<uint32_t>(value.size()));
  buffer_.append(header, kHeaderBytes);
  buffer_.append(key);
  buffer_.append(value);
  if (buffer_.size() >= kRunWriteBufferBytes) return Flush();
  return Status::OK();
}

Status RunWriter::Flush() {
  SHARDY_RETURN_IF_ERROR(WriteFully(fd_, buffer_.data(), buffer_.size(), path_));
  buffer_.clear();
  return Status::OK();
}

Status RunWriter::Finish() {
  SHARDY_RETURN_IF_ERROR(Flush());
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return IoError("cannot close", path_);
  std::string().swap(buffer_);
  return Status::OK();
}

// ---- RunReader ----

RunReader::~RunReader() {
  if (fd_ >= 0) ::close(fd_);
}

Status RunReader::Open(SortedRun run) {
  if (run.memory) {
    memory_ = std::move(run.memory);
    path_ = "(in memory)";
    base_ = memory_->data();
    end_ = memory_->size();
    eof_ = true;  // everything is already available
    return Next();
  }
  path_ = std::move(run.path);
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return IoError("cannot open", path_);
  buffer_.resize(kRunReadBufferBytes);
  base_ = buffer_.data();
  return Next();
}

Status RunReader::Fill(size_t n) {
  if (end_ - begin_ >= n || eof_) return Status::OK();
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buffer_.size() < n) buffer_.resize(n);  // one record larger than the buffer
  base_ = buffer_.data();
  while (end_ < n) {
    ssize_t r = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (r < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot read", path_);
    }
    if (r == 0) {
      eof_ = true;
      break;
    }
    end_ += static_cast<size_t>(r);
  }
  return Status::OK();
}

Status RunReader::Next() {
  SHARDY_RETURN_IF_ERROR(Fill(kHeaderBytes));
  size_t available = end_ - begin_;
  if (available == 0) {
    valid_ = false;
    CloseAndUnlink();
    return Status::OK();
  }
  if (available < kHeaderBytes) {
    return Status(ErrorCode::kShardWrite, "spool file " + path_ + " is truncated");
  }
  size_t key_len = GetFixed32(base_ + begin_);
  size_t value_len = GetFixed32(base_ + begin_ + 4);
  size_t record_len = kHeaderBytes + key_len + value_len;
  SHARDY_RETURN_IF_ERROR(Fill(record_len));
  if (end_ - begin_ < record_len) {
    return Status(ErrorCode::kShardWrite, "spool file " + path_ + " is truncated");
  }
  const char* p = base_ + begin_ + kHeaderBytes;
  key_ = std::string_view(p, key_len);
  key_prefix_ = KeyPrefix(key_);
  value_ = std::string_view(p + key_len, value_len);
  begin_ += record_len;
  valid_ = true;
  return Status::OK();
}

void RunReader::CloseAndUnlink() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
    ::unlink(path_.c_str());
  }
  memory_.reset();
  std::vector<char>().swap(buffer_);
  base_ = nullptr;
  begin_ = end_ = 0;
}

// ---- RunMerger ----

Status RunMerger::Open(std::vector<SortedRun> runs) {
  readers_.clear();
  heap_.clear();
  for (SortedRun& run : runs) {
    auto reader = std::make_unique<RunReader>();
    SHARDY_RETURN_IF_ERROR(reader->Open(std::move(run)));
    if (reader->Valid()) heap_.push_back(readers_.size());
    readers_.push_back(std::move(reader));
  }
  for (size_t i = heap_.size() / 2; i-- > 0;) SiftDown(i);
  return Status::OK();
}

bool RunMerger::Before(size_t a, size_t b) const {
  const RunReader& ra = *readers_[a];
  const RunReader& rb = *readers_[b];
  int c = CompareKeys(ra.key(), ra.key_prefix(), rb.key(), rb.key_prefix());
  if (c != 0) return c < 0;
  return a > b;  // equal keys: the later run comes out first and wins
}

void RunMerger::SiftDown(size_t pos) {
  const size_t n = heap_.size();
  for (;;) {
    size_t smallest = pos;
    size_t left = 2 * pos + 1;
    size_t right = left + 1;
    if (left < n && Before(heap_[left], heap_[smallest])) smallest = left;
    if (right < n && Before(heap_[right], heap_[smallest])) smallest = right;
    if (smallest == pos) return;
    std::swap(heap_[pos], heap_[smallest]);
    pos = smallest;
  }
}

Status RunMerger::AdvanceTop() {
  SHARDY_RETURN_IF_ERROR(readers_[heap_[0]]->Next());
  if (!readers_[heap_[0]]->Valid()) {
    heap_[0] = heap_.back();
    heap_.pop_back();
  }
  if (!heap_.empty()) SiftDown(0);
  return Status::OK();
}

Status RunMerger::Next() {
  // Keys within one run are distinct, so a lone run needs no duplicate check.
  if (heap_.size() == 1) return AdvanceTop();
  last_key_.assign(key());
  SHARDY_RETURN_IF_ERROR(AdvanceTop());
  while (Valid() && key() == last_key_) {
    SHARDY_RETURN_IF_ERROR(AdvanceTop());
  }
  return Status::OK();
}

// ---- Free functions ----

Result<SortedRun> WriteSortedRun(const KvBatch& batch,
                                 const std::shared_ptr<RunMemoryBudget>& budget,
                                 const std::string& spill_path) {
  struct SortEntry {
    std::string_view key;
    uint64_t prefix;
    uint32_t index;
  };
  if (batch.size() > std::numeric_limits<uint32_t>::max()) {
    return Status(ErrorCode::kInvalidArgument, "a batch holds more than 2^32 pairs");
  }
  std::vector<SortEntry> entries;
  entries.reserve(batch.size());
  bool strictly_increasing = true;
  for (size_t i = 0; i < batch.size(); ++i) {
    entries.push_back(SortEntry{batch.key(i), KeyPrefix(batch.key(i)), static_cast<uint32_t>(i)});
    if (i > 0 && strictly_increasing &&
        CompareKeys(entries[i - 1].key, entries[i - 1].prefix, entries[i].key, entries[i].prefix) >=
            0) {
      strictly_increasing = false;
    }
  }
  // Input already in key order (a common case) needs neither sort nor dedup.
  if (!strictly_increasing) {
    std::sort(entries.begin(), entries.end(), [](const SortEntry& a, const SortEntry& b) {
      int c = CompareKeys(a.key, a.prefix, b.key, b.prefix);
      if (c != 0) return c < 0;
      return a.index > b.index;  // the later Add first, so it is the one kept
    });
    // Drop the shadowed pairs: the first of each key is the one kept.
    size_t kept = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (kept > 0 && entries[i].key == entries[kept - 1].key) continue;
      entries[kept++] = entries[i];
    }
    entries.resize(kept);
  }
  SortedRun run;
  run.records = entries.size();
  uint64_t bytes = 0;
  for (const SortEntry& e : entries) {
    const size_t value_size = batch.value(e.index).size();
    if (e.key.size() > std::numeric_limits<uint32_t>::max() ||
        value_size > std::numeric_limits<uint32_t>::max()) {
      return Status(ErrorCode::kInvalidArgument,
                    "a key or value is larger than 4 GiB, which a shard cannot hold");
    }
    bytes += kHeaderBytes + e.key.size() + value_size;
  }
  if (budget && budget->TryReserve(bytes)) {
    run.memory = std::make_unique<MemoryRun>(bytes, budget);
    char* p = run.memory->data();
    // The records are gathered in key order, i.e. from random places in the
    // batch: fetch a few ahead so the copies do not wait on memory.
    constexpr size_t kAhead = 8;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i + kAhead < entries.size()) {
        const char* ahead = entries[i + kAhead].key.data();
        __builtin_prefetch(ahead);
        __builtin_prefetch(ahead + 64);
      }
      const SortEntry& e = entries[i];
      const std::string_view value = batch.value(e.index);
      PutFixed32(p, static_cast<uint32_t>(e.key.size()));
      PutFixed32(p + 4, static_cast<uint32_t>(value.size()));
      p += kHeaderBytes;
      if (!e.key.empty()) std::memcpy(p, e.key.data(), e.key.size());
      p += e.key.size();
      if (!value.empty()) std::memcpy(p, value.data(), value.size());
      p += value.size();
    }
    return run;
  }
  RunWriter writer;
  SHARDY_RETURN_IF_ERROR(writer.Open(spill_path));
  for (const SortEntry& e : entries) {
    SHARDY_RETURN_IF_ERROR(writer.Add(e.key, batch.value(e.index)));
  }
  SHARDY_RETURN_IF_ERROR(writer.Finish());
  run.path = spill_path;
  return run;
}

Status MergeRunsInPasses(std::vector<SortedRun>* runs, size_t fan_in,
                         const std::function<std::string()>& next_path) {
  if (fan_in < 2) {
    return Status(ErrorCode::kInvalidArgument, "max_merge_fan_in must be at least 2");
  }
  while (runs->size() > fan_in) {
    std::vector<SortedRun> merged;
    for (size_t start = 0; start < runs->size(); start += fan_in) {
      size_t stop = std::min(runs->size(), start + fan_in);
      if (stop - start == 1) {
        merged.push_back(std::move((*runs)[start]));
        continue;
      }
      std::vector<SortedRun> group;
      for (size_t i = start; i < stop; ++i) group.push_back(std::move((*runs)[i]));
      SortedRun output;
      output.path = next_path();
      SHARDY_RETURN_IF_ERROR(MergeRunsInto(std::move(group), output.path));
      merged.push_back(std::move(output));
    }
    *runs = std::move(merged);
  }
  return Status::OK();
}

}  // namespace shardyfusion
