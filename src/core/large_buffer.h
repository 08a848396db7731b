// Large buffers (batch blocks, in-memory sorted runs) mapped directly from
// the kernel and, where it allows, backed by transparent huge pages: filling
// one costs a page fault per 2 MiB instead of per 4 KiB, and reading it in
// random order (sorting a batch's records) misses the TLB far less. Sizes
// below kLargeBufferMin come from the ordinary heap.
//
// Thread-safety: the functions are thread-safe.
#pragma once

#include <cstddef>

namespace shardyfusion {

inline constexpr size_t kLargeBufferMin = size_t{1} << 20;

// Returns at least `size` writable bytes (uninitialised). Throws
// std::bad_alloc when the memory cannot be had, as operator new does.
char* AllocateLargeBuffer(size_t size);

// Frees what AllocateLargeBuffer(size) returned; `size` must be the same.
void FreeLargeBuffer(char* data, size_t size) noexcept;

}  // namespace shardyfusion
