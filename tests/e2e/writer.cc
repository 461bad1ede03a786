#include "tests/e2e/writer.h"

#include <utility>

namespace e2e {

Writer::Writer(const Cluster* c, std::vector<int> through, std::string prefix)
    : c_(c), through_(std::move(through)), prefix_(std::move(prefix)) {
  thread_ = std::thread([this] { Run(); });
}

void Writer::SetThrough(std::vector<int> through) {
  std::lock_guard<std::mutex> l(mu_);
  through_ = std::move(through);
}

void Writer::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> Writer::acked() {
  std::lock_guard<std::mutex> l(mu_);
  return acked_;
}

void Writer::Run() {
  for (int n = 0; !stop_; ++n) {
    std::string key = prefix_ + "/" + std::to_string(n);
    int member = 0;
    {
      std::lock_guard<std::mutex> l(mu_);
      member = through_[static_cast<size_t>(n) % through_.size()];
    }
    CommandResult r = c_->Etcdctl(
        {"put", key, "v" + std::to_string(n), "--command-timeout=2s"}, "",
        member);
    if (r.exit_code == 0) {
      std::lock_guard<std::mutex> l(mu_);
      acked_.push_back(key);
    }
  }
}

}  // namespace e2e
