// ShardWorkerPool: a fixed set of worker threads that run shard-batch jobs
// behind the producer. Shard s belongs to worker s % workers, so one shard's
// jobs run one at a time and in submission order (a later batch's pair wins
// over an earlier one's), and any number of shards share the same threads.
//
// Memory: every job carries a byte charge (the batch it holds) that counts
// against a global budget and its worker's budget until the job has run;
// Submit blocks while either is spent. A job larger than a budget is
// admitted once nothing else is charged to it, so it never waits forever.
// A per-worker cap on queued jobs bounds the count as well.
//
// Failure: the first job error is sticky. Workers drop the jobs they have not
// started, a producer blocked in Submit wakes and gets the error, and Drain
// returns it; the stop source given at construction is requested, so that
// jobs sleeping on a backoff end early. Stop() (also the destructor) drops unstarted jobs, waits
// for running ones and joins every thread: no worker outlives the pool.
//
// Thread-safety: Submit, Drain and Stop are called by one producer thread;
// jobs run on the workers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "shardyfusion/status.h"

namespace shardyfusion {

class ShardWorkerPool {
 public:
  struct Limits {
    size_t workers = 1;
    size_t max_jobs_per_worker = 0;     // queued + running; 0 = no cap
    uint64_t max_total_bytes = 0;       // 0 = no cap
    uint64_t max_bytes_per_worker = 0;  // 0 = no cap
  };

  // `on_failure` is requested when a job fails.
  ShardWorkerPool(Limits limits, std::stop_source on_failure);
  ~ShardWorkerPool();
  ShardWorkerPool(const ShardWorkerPool&) = delete;
  ShardWorkerPool& operator=(const ShardWorkerPool&) = delete;

  // Queues `job` on the worker of `shard`, charging `bytes` until it has run.
  Status Submit(uint32_t shard, uint64_t bytes, std::function<Status()> job);
  // Waits until every submitted job has run; the first error, if any.
  Status Drain();
  // Drops jobs that have not started, waits for the running ones, joins.
  void Stop();

  size_t workers() const { return workers_.size(); }
  // The most bytes that were charged at once (for tests and stats).
  uint64_t peak_bytes() const;

 private:
  struct Job {
    uint64_t bytes;
    std::function<Status()> run;
  };
  struct Worker {
    std::deque<Job> queue;
    size_t running = 0;
    uint64_t bytes = 0;  // charged: queued and running
    std::thread thread;
  };
  void Loop(Worker* w);
  bool Admits(const Worker& w, uint64_t bytes) const;
  void Fail(const Status& st);  // REQUIRES: mu_ held
  // Drops the jobs not yet started and their charges. REQUIRES: mu_ held.
  void DropQueued();

  const Limits limits_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Worker> workers_;
  uint64_t total_bytes_ = 0;
  uint64_t peak_bytes_ = 0;
  bool stopping_ = false;
  Status error_;
  std::stop_source stop_;
};

}  // namespace shardyfusion
