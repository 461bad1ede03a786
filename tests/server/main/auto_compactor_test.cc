// CompactionPolicy: etcd's periodic and revision auto-compaction rules, with
// time as an argument.

#include "server/main/auto_compactor.h"

#include <gtest/gtest.h>

#include <optional>
#include <utility>
#include <vector>

namespace server {
namespace {

constexpr uint64_t kMin = 60 * 1000;
constexpr uint64_t kHour = 60 * kMin;

// Samples the policy at its own interval from t=0 to `until`, with the
// revision at time t given by rev(t); returns (time, target) of every
// compaction, each reported as successful.
template <typename RevAt>
std::vector<std::pair<uint64_t, int64_t>> Simulate(CompactionPolicy& p,
                                                   uint64_t until, RevAt rev) {
  std::vector<std::pair<uint64_t, int64_t>> out;
  for (uint64_t t = p.sample_interval_ms(); t <= until;
       t += p.sample_interval_ms()) {
    if (auto target = p.OnSample(t, rev(t))) {
      out.emplace_back(t, *target);
      p.OnCompacted(*target, t);
    }
  }
  return out;
}

TEST(CompactionPolicyTest, PeriodicShortRetentionCompactsEveryRetention) {
  // 30 minutes: samples every 3 minutes, compaction every 30 minutes to the
  // revision of 30 minutes ago. One revision per minute.
  CompactionPolicy p(CompactionMode::kPeriodic, 30 * kMin, 0);
  EXPECT_EQ(p.sample_interval_ms(), 3 * kMin);
  auto got = Simulate(p, 95 * kMin, [](uint64_t t) { return 1 + t / kMin; });
  ASSERT_EQ(got.size(), 3u);
  // First at 30 min: the oldest sample is the one of 3 min (t=0 is not
  // sampled), i.e. 27 min ago at most -> revision 4.
  EXPECT_EQ(got[0].first, 30 * kMin);
  EXPECT_EQ(got[0].second, 4);
  EXPECT_EQ(got[1].first, 60 * kMin);
  EXPECT_EQ(got[1].second, 1 + 30);  // the revision of 30 min ago
  EXPECT_EQ(got[2].first, 90 * kMin);
  EXPECT_EQ(got[2].second, 1 + 60);
}

TEST(CompactionPolicyTest, PeriodicLongRetentionCompactsHourly) {
  // 72 hours: samples every 6 minutes; the first compaction once 72 h have
  // passed, then every hour, always to the revision of 72 h ago.
  CompactionPolicy p(CompactionMode::kPeriodic, 72 * kHour, 0);
  EXPECT_EQ(p.sample_interval_ms(), 6 * kMin);
  auto got = Simulate(p, 75 * kHour, [](uint64_t t) { return 1 + t / kMin; });
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].first, 72 * kHour);
  for (size_t i = 1; i < got.size(); ++i) {
    EXPECT_EQ(got[i].first - got[i - 1].first, kHour);
    // The oldest kept sample is 72 h before the compaction.
    EXPECT_EQ(got[i].second,
              static_cast<int64_t>(1 + (got[i].first - 72 * kHour) / kMin));
  }
}

TEST(CompactionPolicyTest, PeriodicSkipsWhenNothingWasWritten) {
  CompactionPolicy p(CompactionMode::kPeriodic, 10 * kMin, 0);
  // Revision 7 forever: one compaction to 7, then nothing to do.
  auto got = Simulate(p, 60 * kMin, [](uint64_t) { return 7; });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].second, 7);
}

TEST(CompactionPolicyTest, PeriodicFailureIsRetriedAtNextSample) {
  CompactionPolicy p(CompactionMode::kPeriodic, 1000, 0);  // "1s"
  EXPECT_EQ(p.sample_interval_ms(), 100u);
  for (uint64_t t = 100; t < 1000; t += 100) {
    EXPECT_FALSE(p.OnSample(t, static_cast<int64_t>(t))) << t;
  }
  auto first = p.OnSample(1000, 1000);
  ASSERT_TRUE(first);
  // Not reported as compacted (the proposal failed): asked again.
  auto again = p.OnSample(1100, 1100);
  ASSERT_TRUE(again);
  EXPECT_GE(*again, *first);
}

TEST(CompactionPolicyTest, RevisionModeKeepsTheLastNRevisions) {
  CompactionPolicy p(CompactionMode::kRevision, 1000, 0);
  EXPECT_EQ(p.sample_interval_ms(), 5 * kMin);
  EXPECT_FALSE(p.OnSample(5 * kMin, 900));    // nothing to drop yet
  EXPECT_FALSE(p.OnSample(10 * kMin, 1000));  // target 0
  auto t = p.OnSample(15 * kMin, 1234);
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, 234);
  p.OnCompacted(234, 15 * kMin);
  EXPECT_FALSE(p.OnSample(20 * kMin, 1234));  // same target as last time
  auto t2 = p.OnSample(25 * kMin, 5000);
  ASSERT_TRUE(t2);
  EXPECT_EQ(*t2, 4000);
}

}  // namespace
}  // namespace server
