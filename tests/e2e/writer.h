#pragma once

// A background writer for failover tests: puts prefix/0, prefix/1, ...
// (value "v<n>") through the given members in turn with etcdctl, on its own
// thread, and remembers which writes were acknowledged. Each key is written
// once, so a key's mod_revision names its write.

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/cluster.h"

namespace e2e {

class Writer {
 public:
  // `c` must outlive the writer.
  Writer(const Cluster* c, std::vector<int> through, std::string prefix);
  ~Writer() { Stop(); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // The members the next writes go through (a membership change).
  void SetThrough(std::vector<int> through);
  // Finishes the write in progress and stops. Idempotent.
  void Stop();
  // The keys whose put succeeded, in order.
  std::vector<std::string> acked();

 private:
  void Run();

  const Cluster* c_;
  std::vector<int> through_;  // Guarded by mu_.
  std::string prefix_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> acked_;
  std::thread thread_;
};

}  // namespace e2e
