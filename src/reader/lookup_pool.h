// LookupPool: runs the independent tasks of one batch on a few threads and
// the calling thread, and returns when all have run. ShardedReader::MultiGet
// gives it one task per shard its keys route to, so a batch's shards are
// read in parallel.
//
// The pool's threads start on the first Run() that can use them, so a reader
// that never reads a batch starts none.
//
// Thread-safety: Run() may be called by many threads at once; each call runs
// its own tasks (the pool's threads help whichever batch is oldest). Tasks
// must not throw.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace shardyfusion {

class LookupPool {
 public:
  // `threads`: how many threads may run one batch, the caller included; 1
  // runs every task on the caller.
  explicit LookupPool(int threads);
  ~LookupPool();  // joins the threads; no Run() may be in flight
  LookupPool(const LookupPool&) = delete;
  LookupPool& operator=(const LookupPool&) = delete;

  // Calls task(0) ... task(n - 1), each once, in any order and on any of the
  // pool's threads or the caller's; returns when all have returned.
  void Run(size_t n, const std::function<void(size_t)>& task);

  int threads() const { return threads_; }

 private:
  struct Batch;
  // Under mu_: the next task of the oldest batch, or false when none waits.
  bool ClaimLocked(Batch** batch, size_t* index);
  void Done(Batch* batch);
  void Work();

  const int threads_;
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::deque<Batch*> queue_;  // batches with tasks not yet claimed, oldest first
  std::vector<std::thread> workers_;
  bool stopping_ = false;
};

}  // namespace shardyfusion
