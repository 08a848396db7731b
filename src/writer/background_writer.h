// BackgroundWriter: one thread that runs shard-batch writes behind the
// producer, so routing and encoding the next records overlaps with sorting
// and spooling the previous batch.
//
// Jobs run one at a time, in submission order. At most `max_pending` jobs
// are queued or running; Submit blocks beyond that, which bounds the memory
// held by batches in flight. The first job error is sticky: later Submits
// return it without queueing, and Drain returns it.
//
// Thread-safety: Submit, Drain and Stop are called by one producer thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "shardyfusion/status.h"

namespace shardyfusion {

class BackgroundWriter {
 public:
  explicit BackgroundWriter(size_t max_pending);
  ~BackgroundWriter();
  BackgroundWriter(const BackgroundWriter&) = delete;
  BackgroundWriter& operator=(const BackgroundWriter&) = delete;

  Status Submit(std::function<Status()> job);
  // Waits until every submitted job has run; the first error, if any.
  Status Drain();
  // Drops jobs that have not started, waits for the running one, joins.
  void Stop();

 private:
  void Loop();

  const size_t max_pending_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<Status()>> queue_;
  size_t running_ = 0;
  bool stopping_ = false;
  Status error_;
  std::thread thread_;
};

}  // namespace shardyfusion
