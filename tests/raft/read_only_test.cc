// Tests of ReadOnly (raft/read_only.h): queue order, batching, and the
// retried-context rule (the stale-index bug fixed in etcd-io/raft#397).

#include "raft/read_only.h"

#include <gtest/gtest.h>

namespace raft {
namespace {

raftpb::Message Req(const char* ctx, uint64_t from) {
  raftpb::Message m;
  m.type = raftpb::kMsgReadIndex;
  m.from = from;
  m.entries.push_back(raftpb::Entry{0, 0, raftpb::kEntryNormal, ctx});
  return m;
}

TEST(ReadOnlyTest, AdvanceReleasesInQueueOrder) {
  ReadOnly ro(ReadOnlyOption::kReadOnlySafe);
  ro.AddRequest(5, Req("a", 2));
  ro.AddRequest(6, Req("b", 3));
  ro.AddRequest(7, Req("c", 2));
  EXPECT_EQ(ro.LastPendingRequestCtx(), "c");
  const auto* acks = ro.RecvAck(2, "b");
  ASSERT_NE(acks, nullptr);
  EXPECT_EQ(acks->size(), 1u);
  EXPECT_EQ(ro.RecvAck(2, "unknown"), nullptr);
  // Confirming "b" releases "a" too (it was queued earlier).
  std::vector<ReadIndexStatus> out = ro.Advance("b");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].index, 5u);
  EXPECT_EQ(out[1].index, 6u);
  EXPECT_EQ(out[1].req.from, 3u);
  EXPECT_EQ(ro.pending(), 1u);
  EXPECT_TRUE(ro.Advance("b").empty());
  EXPECT_EQ(ro.Advance("c").size(), 1u);
  EXPECT_EQ(ro.pending(), 0u);
  EXPECT_TRUE(ro.LastPendingRequestCtx().empty());
}

TEST(ReadOnlyTest, RetriedContextNeverGetsAStaleIndex) {
  ReadOnly ro(ReadOnlyOption::kReadOnlySafe);
  ro.AddRequest(5, Req("r", 2));
  ro.RecvAck(1, "r");
  ro.RecvAck(2, "r");
  ro.AddRequest(6, Req("x", 2));
  // The client retries "r" after commit moved to 9: the request must take
  // the newer index and wait for acknowledgments of a new round.
  ro.AddRequest(9, Req("r", 2));
  const auto* acks = ro.RecvAck(3, "r");
  ASSERT_NE(acks, nullptr);
  EXPECT_EQ(acks->size(), 1u);                 // Old acknowledgments dropped.
  EXPECT_EQ(ro.LastPendingRequestCtx(), "r");  // Moved to the back.
  std::vector<ReadIndexStatus> out = ro.Advance("r");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].index, 6u);  // "x"
  EXPECT_EQ(out[1].index, 9u);  // "r", never 5.
}

}  // namespace
}  // namespace raft
