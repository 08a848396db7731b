#include "core/large_buffer.h"

#include <sys/mman.h>

#include <cstdint>
#include <new>

namespace shardyfusion {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

size_t MappedSize(size_t size) { return (size + kHugePage - 1) / kHugePage * kHugePage; }

}  // namespace

char* AllocateLargeBuffer(size_t size) {
  if (size < kLargeBufferMin) return new char[size];
  const size_t mapped = MappedSize(size);
  // Over-map by one huge page so the buffer can start on a 2 MiB boundary
  // (the kernel only backs aligned ranges with huge pages), then unmap the
  // unused head and tail.
  void* raw = ::mmap(nullptr, mapped + kHugePage, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHugePage - 1) & ~(uintptr_t{kHugePage} - 1);
  if (aligned > start) ::munmap(raw, aligned - start);
  const uintptr_t end = start + mapped + kHugePage;
  if (end > aligned + mapped)
    ::munmap(reinterpret_cast<void*>(aligned + mapped), end - aligned - mapped);
  char* data = reinterpret_cast<char*>(aligned);
  // Advice only: without transparent huge pages the buffer still works.
  (void)::madvise(data, mapped, MADV_HUGEPAGE);
  return data;
}

void FreeLargeBuffer(char* data, size_t size) noexcept {
  if (data == nullptr) return;
  if (size < kLargeBufferMin) {
    delete[] data;
    return;
  }
  ::munmap(data, MappedSize(size));
}

}  // namespace shardyfusion
