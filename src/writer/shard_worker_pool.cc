// The writer's worker threads (shard_worker_pool.h).
#include "writer/shard_worker_pool.h"

#include <algorithm>

namespace shardyfusion {

ShardWorkerPool::ShardWorkerPool(Limits limits, std::stop_source on_failure)
    : limits_(limits), workers_(std::max<size_t>(1, limits.workers)), stop_(std::move(on_failure)) {
  for (Worker& w : workers_) w.thread = std::thread([this, &w] { Loop(&w); });
}

ShardWorkerPool::~ShardWorkerPool() { Stop(); }

uint64_t ShardWorkerPool::peak_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return peak_bytes_;
}

bool ShardWorkerPool::Admits(const Worker& w, uint64_t bytes) const {
  if (limits_.max_jobs_per_worker && w.queue.size() + w.running >= limits_.max_jobs_per_worker) {
    return false;
  }
  if (limits_.max_bytes_per_worker && w.bytes > 0 &&
      w.bytes + bytes > limits_.max_bytes_per_worker) {
    return false;
  }
  if (limits_.max_total_bytes && total_bytes_ > 0 &&
      total_bytes_ + bytes > limits_.max_total_bytes) {
    return false;
  }
  return true;
}

void ShardWorkerPool::DropQueued() {
  for (Worker& w : workers_) {
    for (const Job& j : w.queue) {
      w.bytes -= j.bytes;
      total_bytes_ -= j.bytes;
    }
    w.queue.clear();
  }
}

void ShardWorkerPool::Fail(const Status& st) {
  if (!error_.ok()) return;
  error_ = st;
  stop_.request_stop();
  DropQueued();  // unstarted jobs will never run: release what they hold now
}

Status ShardWorkerPool::Submit(uint32_t shard, uint64_t bytes, std::function<Status()> job) {
  Worker& w = workers_[shard % workers_.size()];
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !error_.ok() || stopping_ || Admits(w, bytes); });
  if (!error_.ok()) return error_;
  if (stopping_) return Status(ErrorCode::kInternal, "the writer's workers were stopped");
  w.bytes += bytes;
  total_bytes_ += bytes;
  peak_bytes_ = std::max(peak_bytes_, total_bytes_);
  w.queue.push_back(Job{bytes, std::move(job)});
  cv_.notify_all();
  return Status::OK();
}

Status ShardWorkerPool::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] {
    if (!error_.ok()) {
      // Failed: wait only for the running jobs.
      return std::all_of(workers_.begin(), workers_.end(),
                         [](const Worker& w) { return w.running == 0; });
    }
    return std::all_of(workers_.begin(), workers_.end(),
                       [](const Worker& w) { return w.queue.empty() && w.running == 0; });
  });
  return error_;
}

void ShardWorkerPool::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && std::none_of(workers_.begin(), workers_.end(),
                                  [](const Worker& w) { return w.thread.joinable(); })) {
      return;
    }
    stopping_ = true;
    DropQueued();
    cv_.notify_all();
  }
  for (Worker& w : workers_) {
    if (w.thread.joinable()) w.thread.join();
  }
}

void ShardWorkerPool::Loop(Worker* w) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !w->queue.empty(); });
    if (w->queue.empty()) return;  // stopping
    Job job = std::move(w->queue.front());
    w->queue.pop_front();
    ++w->running;
    lock.unlock();
    Status st = job.run();
    job.run = nullptr;  // release what the job holds before waking the producer
    lock.lock();
    --w->running;
    w->bytes -= job.bytes;
    total_bytes_ -= job.bytes;
    if (!st.ok()) Fail(st);
    cv_.notify_all();
  }
}

}  // namespace shardyfusion
