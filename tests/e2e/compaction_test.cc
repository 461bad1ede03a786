// --auto-compaction-mode / --auto-compaction-retention: history older than
// the retention disappears on its own, on cairn as on etcd 3.4.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/e2e/cluster.h"

namespace e2e {
namespace {

// Writes 5 revisions of one key, then waits until reading the first of them
// fails as compacted; returns how long that took (or -1 ms on timeout).
std::chrono::milliseconds TimeToCompaction(Cluster* c) {
  for (int i = 1; i <= 5; ++i) {
    CommandResult r = c->Etcdctl({"put", "k", "v" + std::to_string(i)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) {
    CommandResult r = c->Etcdctl({"get", "k", "--rev=2"});
    if (r.exit_code != 0) {
      EXPECT_NE(r.err.find("required revision has been compacted"),
                std::string::npos)
          << r.err;
      return std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - t0);
    }
    EXPECT_NE(r.out.find("v1"), std::string::npos) << r.out;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return std::chrono::milliseconds(-1);
}

TEST(CompactionTest, PeriodicRetentionCompactsOldHistoryLikeEtcd) {
  for (Flavor f : {Flavor::kCairn, Flavor::kEtcd}) {
    SCOPED_TRACE(f == Flavor::kCairn ? "cairn" : "etcd");
    std::string error;
    auto c = Cluster::Start(
        f, 1,
        {"--auto-compaction-mode=periodic", "--auto-compaction-retention=1s"},
        &error);
    ASSERT_NE(c, nullptr) << error;
    auto took = TimeToCompaction(c.get());
    EXPECT_GE(took.count(), 0) << "history was never compacted";
    // The newest revision stays readable.
    CommandResult r = c->Etcdctl({"get", "k", "--print-value-only"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "v5\n");
  }
}

TEST(CompactionTest, RetentionZeroNeverCompacts) {
  std::string error;
  auto c = Cluster::Start(
      Flavor::kCairn, 1,
      {"--auto-compaction-mode=periodic", "--auto-compaction-retention=0"},
      &error);
  ASSERT_NE(c, nullptr) << error;
  for (int i = 1; i <= 3; ++i) {
    ASSERT_EQ(c->Etcdctl({"put", "k", "v" + std::to_string(i)}).exit_code, 0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CommandResult r = c->Etcdctl({"get", "k", "--rev=2", "--print-value-only"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "v1\n");
}

}  // namespace
}  // namespace e2e
