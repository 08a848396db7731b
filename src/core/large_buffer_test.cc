#include "core/large_buffer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

namespace shardyfusion {
namespace {

TEST(LargeBufferTest, EverySizeIsWritableAndLargeOnesAreHugePageAligned) {
  for (size_t size : {size_t{1}, size_t{4096}, kLargeBufferMin - 1, kLargeBufferMin,
                      (size_t{2} << 20) + 1, size_t{5} << 20}) {
    char* p = AllocateLargeBuffer(size);
    ASSERT_NE(p, nullptr) << size;
    std::memset(p, 0xab, size);
    EXPECT_EQ(static_cast<unsigned char>(p[size - 1]), 0xab);
    if (size >= kLargeBufferMin) {
      EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % (size_t{2} << 20), 0u) << size;
    }
    FreeLargeBuffer(p, size);
  }
  FreeLargeBuffer(nullptr, kLargeBufferMin);  // a no-op, like delete of null
}

}  // namespace
}  // namespace shardyfusion
