// SafetyChecker: each rule accepts a legal observation and rejects the
// violation it exists for.

#include "fuzz/sim/checker.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "raft/storage.h"

namespace fuzz::sim {
namespace {

raftpb::Entry E(uint64_t index, uint64_t term, const char* data = "") {
  raftpb::Entry e;
  e.index = index;
  e.term = term;
  e.data = data;
  return e;
}

bool Contains(const std::string& s, const char* what) {
  return s.find(what) != std::string::npos;
}

TEST(SafetyCheckerTest, ElectionSafety) {
  SafetyChecker c(3, true);
  c.ObserveLeader(0, 2, 0);
  c.ObserveLeader(0, 2, 1);  // The same leader again: fine.
  c.ObserveLeader(1, 3, 0);  // Another term: fine.
  EXPECT_TRUE(c.ok());
  c.ObserveLeader(2, 2, 0);
  EXPECT_FALSE(c.ok());
  EXPECT_TRUE(Contains(c.violation(), "election safety: term 2"))
      << c.violation();
}

TEST(SafetyCheckerTest, StateMachineSafety) {
  SafetyChecker c(3, true);
  c.ObserveApplied(0, E(1, 1, "a"));
  c.ObserveApplied(1, E(1, 1, "a"));
  EXPECT_TRUE(c.ok());
  c.ObserveApplied(2, E(1, 2, "b"));
  EXPECT_TRUE(Contains(c.violation(), "state machine safety")) << c.violation();
}

TEST(SafetyCheckerTest, AppliedMustBeContiguous) {
  SafetyChecker c(3, true);
  c.ObserveApplied(0, E(1, 1));
  c.ObserveApplied(0, E(3, 1));  // Skipped 2.
  EXPECT_TRUE(Contains(c.violation(), "durability")) << c.violation();

  SafetyChecker d(3, true);
  d.ObserveSnapshotApplied(0, 5, 1);
  d.ObserveApplied(0, E(6, 1));
  EXPECT_TRUE(d.ok());
  d.ObserveSnapshotApplied(0, 4, 1);  // Older than what was applied.
  EXPECT_FALSE(d.ok());
}

TEST(SafetyCheckerTest, HardStateDurability) {
  SafetyChecker c(3, true);
  c.ObserveHardState(0, {2, 1, 5});
  c.ObserveHardState(0, {2, 1, 6});
  c.ObserveHardState(0, {3, 0, 6});  // New term, no vote yet: fine.
  c.ObserveHardState(0, {3, 2, 6});
  EXPECT_TRUE(c.ok());
  c.ObserveHardState(0, {3, 3, 6});  // Voted twice in term 3.
  EXPECT_TRUE(Contains(c.violation(), "changed its vote in term 3"))
      << c.violation();

  SafetyChecker d(3, true);
  d.ObserveHardState(0, {2, 1, 5});
  d.ObserveHardState(0, {2, 1, 4});
  EXPECT_TRUE(Contains(d.violation(), "commit")) << d.violation();

  SafetyChecker e(3, /*check_vote_durability=*/false);
  e.ObserveHardState(0, {3, 2, 6});
  e.ObserveHardState(0, {3, 3, 6});
  EXPECT_TRUE(e.ok());
}

TEST(SafetyCheckerTest, LogMatching) {
  raft::MemoryStorage s0, s1;
  std::vector<raftpb::Entry> a = {E(1, 1, "x"), E(2, 1, "y")};
  ASSERT_TRUE(s0.Append(a).ok());
  SafetyChecker c(2, true);
  c.ObservePersisted(0, a, s0);
  std::vector<raftpb::Entry> b = {E(1, 1, "x"), E(2, 1, "z")};  // Same id.
  ASSERT_TRUE(s1.Append(b).ok());
  c.ObservePersisted(1, b, s1);
  EXPECT_TRUE(Contains(c.violation(), "log matching")) << c.violation();
}

TEST(SafetyCheckerTest, LogMatchingChecksPrecedingTerm) {
  raft::MemoryStorage s0, s1;
  std::vector<raftpb::Entry> a = {E(1, 1), E(2, 3, "y")};
  std::vector<raftpb::Entry> b = {E(1, 2), E(2, 3, "y")};
  ASSERT_TRUE(s0.Append(a).ok());
  ASSERT_TRUE(s1.Append(b).ok());
  SafetyChecker c(2, true);
  c.ObservePersisted(0, a, s0);
  // Entry 1 differs in term, which is legal on its own, but entry (2, 3)
  // then follows different entries.
  c.ObservePersisted(1, b, s1);
  EXPECT_TRUE(Contains(c.violation(), "log matching")) << c.violation();
}

TEST(SafetyCheckerTest, LeaderCompleteness) {
  SafetyChecker c(3, true);
  // A leader of term 2 committed index 2 (term 2).
  c.ObserveLeader(0, 2, 2);
  c.ObserveApplied(0, E(1, 1));
  c.ObserveApplied(0, E(2, 2, "x"));
  raft::MemoryStorage good, short_log, other;
  ASSERT_TRUE(good.Append(std::vector{E(1, 1), E(2, 2, "x"), E(3, 3)}).ok());
  c.CheckLeaderCompleteness(1, 3, good);
  EXPECT_TRUE(c.ok()) << c.violation();
  ASSERT_TRUE(short_log.Append(std::vector{E(1, 1)}).ok());
  SafetyChecker d = c;
  d.CheckLeaderCompleteness(2, 4, short_log);
  EXPECT_TRUE(Contains(d.violation(), "leader completeness")) << d.violation();
  ASSERT_TRUE(other.Append(std::vector{E(1, 1), E(2, 1)}).ok());
  c.CheckLeaderCompleteness(2, 4, other);
  EXPECT_TRUE(Contains(c.violation(), "leader completeness")) << c.violation();
}

}  // namespace
}  // namespace fuzz::sim
