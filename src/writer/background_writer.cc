#include "writer/background_writer.h"

namespace shardyfusion {

BackgroundWriter::BackgroundWriter(size_t max_pending)
    : max_pending_(max_pending == 0 ? 1 : max_pending), thread_([this] { Loop(); }) {}

BackgroundWriter::~BackgroundWriter() { Stop(); }

Status BackgroundWriter::Submit(std::function<Status()> job) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !error_.ok() || queue_.size() + running_ < max_pending_; });
  if (!error_.ok()) return error_;
  queue_.push_back(std::move(job));
  cv_.notify_all();
  return Status::OK();
}

Status BackgroundWriter::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return queue_.empty() && running_ == 0; });
  return error_;
}

void BackgroundWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    queue_.clear();
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void BackgroundWriter::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping
    std::function<Status()> job = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    Status st = error_.ok() ? job() : Status::OK();  // after an error, skip the rest
    job = nullptr;  // release what the job holds before waking the producer
    lock.lock();
    --running_;
    if (!st.ok() && error_.ok()) error_ = st;
    cv_.notify_all();
  }
}

}  // namespace shardyfusion
