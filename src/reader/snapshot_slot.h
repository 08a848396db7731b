// SnapshotSlot<T>: the one current snapshot of a reader, which lookups copy
// and Refresh replaces.
//
// load() hands out the current snapshot as a shared_ptr the caller then owns,
// so a lookup in flight finishes on the snapshot it started with even if
// store() replaces it meanwhile. A replaced snapshot is destroyed when its
// last holder lets go, never while the slot's lock is held.
//
// Thread-safety: load() and store() may be called concurrently from any
// threads. Each holds the slot's mutex only to copy or swap one shared_ptr
// (a reference-count change: no I/O, no destructor), so a lookup never waits
// for a refresh's work, only for another thread's pointer copy.
//
// Why not std::atomic<std::shared_ptr<T>>: libstdc++ 12 builds it on a lock
// bit whose load() clears the bit with a relaxed read-modify-write, so a
// load's read of the stored pointer is not ordered before the next store's
// write of it. That is a data race in the C++ memory model (benign on x86-64,
// not guaranteed elsewhere), and ThreadSanitizer reports it
// (tools/tsan/README.md). It is not lock-free either: is_lock_free() is false
// and its load() spins on that bit, where this one takes a mutex.
#pragma once

#include <memory>
#include <mutex>

namespace shardyfusion {

template <typename T>
class SnapshotSlot {
 public:
  SnapshotSlot() = default;
  SnapshotSlot(const SnapshotSlot&) = delete;
  SnapshotSlot& operator=(const SnapshotSlot&) = delete;

  std::shared_ptr<T> load() const {
    std::lock_guard<std::mutex> lock(mu_);
    return current_;
  }

  void store(std::shared_ptr<T> next) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      current_.swap(next);
    }
    // `next` holds the replaced snapshot; if this was its last holder, it is
    // destroyed here, outside the lock.
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<T> current_;
};

}  // namespace shardyfusion
