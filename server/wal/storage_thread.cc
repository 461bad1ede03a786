#include "server/wal/storage_thread.h"

#include <pthread.h>

#include <utility>

#include "base/check.h"

namespace server::wal {

StorageThread::StorageThread(std::string name, std::function<void()> notify)
    : name_(std::move(name)), notify_(std::move(notify)) {
  thread_ = std::thread([this] { Run(); });
  std::string short_name = name_.substr(0, 15);
  pthread_setname_np(thread_.native_handle(), short_name.c_str());
}

StorageThread::~StorageThread() { Stop(); }

void StorageThread::Submit(Job job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    CAIRN_CHECK(!stopping_, "storage thread %s: Submit after Stop",
                name_.c_str());
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void StorageThread::Run() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // Stopping and nothing left.
      job = std::move(jobs_.front());
      jobs_.pop_front();
      running_ = 1;
    }
    Completion done = job();
    job = nullptr;  // Release captures before reporting the job finished.
    bool queued = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_ = 0;
      if (done) {
        completions_.push_back(std::move(done));
        queued = true;
      }
    }
    if (queued && notify_) notify_();
  }
}

size_t StorageThread::DrainCompletions() {
  size_t ran = 0;
  for (;;) {
    std::deque<Completion> batch;
    {
      std::lock_guard<std::mutex> lock(mu_);
      batch.swap(completions_);
    }
    if (batch.empty()) return ran;
    for (Completion& c : batch) {
      c();
      ++ran;
    }
  }
}

size_t StorageThread::PendingJobs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.size() + running_;
}

size_t StorageThread::QueuedCompletions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return completions_.size();
}

void StorageThread::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

}  // namespace server::wal
