#include "reader/lookup_pool.h"

#include <algorithm>

namespace shardyfusion {

struct LookupPool::Batch {
  size_t n = 0;
  const std::function<void(size_t)>* task = nullptr;
  size_t next = 0;     // the next index to claim
  size_t pending = 0;  // tasks not yet returned
  std::condition_variable done_cv;
};

LookupPool::LookupPool(int threads) : threads_(std::max(threads, 1)) {}

LookupPool::~LookupPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

bool LookupPool::ClaimLocked(Batch** batch, size_t* index) {
  if (queue_.empty()) return false;
  Batch* b = queue_.front();
  *batch = b;
  *index = b->next++;
  // Whoever claims the last task takes the batch off the queue, so no thread
  // touches it after its Run() returns.
  if (b->next == b->n) queue_.pop_front();
  return true;
}

void LookupPool::Done(Batch* batch) {
  std::lock_guard<std::mutex> lock(mu_);
  if (--batch->pending == 0) batch->done_cv.notify_all();
}

void LookupPool::Work() {
  for (;;) {
    Batch* batch = nullptr;
    size_t index = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      ClaimLocked(&batch, &index);
    }
    (*batch->task)(index);
    Done(batch);
  }
}

void LookupPool::Run(size_t n, const std::function<void(size_t)>& task) {
  if (threads_ == 1 || n <= 1) {
    for (size_t i = 0; i < n; ++i) task(i);
    return;
  }
  Batch batch;
  batch.n = n;
  batch.task = &task;
  batch.pending = n;
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (workers_.size() + 1 < static_cast<size_t>(threads_)) {
      workers_.emplace_back([this] { Work(); });
    }
    queue_.push_back(&batch);
  }
  work_cv_.notify_all();
  // The caller works on its own batch until every task is claimed.
  for (;;) {
    size_t index = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (batch.next == batch.n) break;
      index = batch.next++;
      if (batch.next == batch.n) queue_.erase(std::find(queue_.begin(), queue_.end(), &batch));
    }
    task(index);
    Done(&batch);
  }
  std::unique_lock<std::mutex> lock(mu_);
  batch.done_cv.wait(lock, [&] { return batch.pending == 0; });
}

}  // namespace shardyfusion
