// One conformance suite for every ObjectStore: the file store, the memory
// store, and the fault-injecting store passing calls through to memory.

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "shardyfusion/object_store.h"
#include "storage/conformance_testing.h"
#include "storage/fault_store.h"
#include "storage/file_store.h"
#include "storage/memory_store.h"
#include "storage/storage_testing.h"

namespace shardyfusion {
namespace {

// Each environment gives a store and a key prefix no other test uses.
struct FileEnv {
  ScratchDir dir;
  std::shared_ptr<ObjectStore> store = FileStore::Shared();
  std::string base = dir.key_prefix();
};

std::string UniqueMemoryName() {
  static std::atomic<int> counter{0};
  return "conformance-" + std::to_string(counter++);
}

struct MemoryEnv {
  std::shared_ptr<ObjectStore> store = std::make_shared<MemoryStore>(UniqueMemoryName());
  std::string base = "root/";
};

struct FaultOverMemoryEnv {
  std::shared_ptr<ObjectStore> store =
      std::make_shared<FaultInjectingStore>(std::make_shared<MemoryStore>(UniqueMemoryName()));
  std::string base = "root/";
};

using StoreEnvs = ::testing::Types<FileEnv, MemoryEnv, FaultOverMemoryEnv>;
INSTANTIATE_TYPED_TEST_SUITE_P(Local, ObjectStoreConformance, StoreEnvs);

// Local stores give every write a fresh ETag, even for identical bytes (S3
// does not: its ETag is a content hash).
template <typename Env>
class LocalStoreEtags : public ObjectStoreConformance<Env> {};
TYPED_TEST_SUITE(LocalStoreEtags, StoreEnvs);

TYPED_TEST(LocalStoreEtags, EtagChangesOnEveryOverwrite) {
  std::set<std::string> etags;
  for (int i = 0; i < 20; ++i) etags.insert(this->MustPut("same", "identical content"));
  EXPECT_EQ(etags.size(), 20u);
}

}  // namespace
}  // namespace shardyfusion
