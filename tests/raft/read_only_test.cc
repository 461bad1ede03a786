// Tests of ReadOnly (raft/read_only.h): rounds cover the requests that
// arrived before them, batching, the retried-context rule (the stale-index
// bug fixed in etcd-io/raft#397), the lease start and the bound on rounds.

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

std::vector<std::string> Ctxs(const std::vector<ReadIndexStatus>& v) {
  std::vector<std::string> out;
  for (const ReadIndexStatus& rs : v) {
    out.push_back(rs.req.entries[0].data.ToString());
  }
  return out;
}

// Acknowledges the round named by ctx on behalf of `id`; returns its number.
uint64_t Ack(ReadOnly& ro, uint64_t id, const raftpb::Payload& ctx) {
  uint64_t round = 0;
  EXPECT_NE(ro.RecvAck(id, ctx, &round), nullptr);
  return round;
}

TEST(ReadOnlyTest, RoundReleasesOnlyRequestsThatArrivedBeforeIt) {
  ReadOnly ro(ReadOnlyOption::kReadOnlySafe);
  ro.AddRequest(5, Req("a", 2));
  EXPECT_TRUE(ro.HasUncoveredRequests());
  EXPECT_FALSE(ro.RoundInFlight());
  raftpb::Payload r1 = ro.StartRound(1, /*now=*/10);
  EXPECT_FALSE(ro.HasUncoveredRequests());
  EXPECT_TRUE(ro.RoundInFlight());
  ro.AddRequest(6, Req("b", 3));  // Arrives during round 1.
  EXPECT_TRUE(ro.HasUncoveredRequests());
  const std::map<uint64_t, bool>* acks = nullptr;
  uint64_t round = 0;
  acks = ro.RecvAck(2, r1, &round);
  ASSERT_NE(acks, nullptr);
  EXPECT_EQ(acks->size(), 2u);  // Self and 2.
  std::vector<ReadIndexStatus> out = ro.Advance(round);
  EXPECT_EQ(Ctxs(out), (std::vector<std::string>{"a"}));
  EXPECT_EQ(out[0].index, 5u);
  // b waits for a round started after it arrived.
  EXPECT_EQ(ro.pending(), 1u);
  EXPECT_TRUE(ro.HasUncoveredRequests());
  raftpb::Payload r2 = ro.StartRound(1, 11);
  out = ro.Advance(Ack(ro, 3, r2));
  EXPECT_EQ(Ctxs(out), (std::vector<std::string>{"b"}));
  EXPECT_EQ(ro.pending(), 0u);
}

TEST(ReadOnlyTest, LaterRoundReleasesEarlierRequestsInQueueOrder) {
  ReadOnly ro(ReadOnlyOption::kReadOnlySafe);
  ro.AddRequest(5, Req("a", 2));
  ro.AddRequest(5, Req("b", 3));
  raftpb::Payload r1 = ro.StartRound(1, 1);
  ro.AddRequest(7, Req("c", 2));
  raftpb::Payload r2 = ro.StartRound(1, 2);
  std::vector<ReadIndexStatus> out = ro.Advance(Ack(ro, 2, r2));
  EXPECT_EQ(Ctxs(out), (std::vector<std::string>{"a", "b", "c"}));
  // Round 1 is forgotten: its late acknowledgments are ignored.
  uint64_t round = 0;
  EXPECT_EQ(ro.RecvAck(3, r1, &round), nullptr);
  EXPECT_EQ(ro.rounds(), 0u);
}

TEST(ReadOnlyTest, UnknownContextsAreIgnored) {
  ReadOnly ro(ReadOnlyOption::kReadOnlySafe);
  ro.AddRequest(5, Req("a", 2));
  (void)ro.StartRound(1, 1);
  uint64_t round = 0;
  EXPECT_EQ(ro.RecvAck(2, "unknown", &round), nullptr);
  EXPECT_EQ(ro.RecvAck(2, raftpb::Payload(std::string(8, '\x7f')), &round),
            nullptr);
  EXPECT_TRUE(ro.Advance(99).empty());
  EXPECT_EQ(ro.pending(), 1u);
}

TEST(ReadOnlyTest, RetriedContextNeverGetsAStaleIndex) {
  ReadOnly ro(ReadOnlyOption::kReadOnlySafe);
  ro.AddRequest(5, Req("r", 2));
  raftpb::Payload r1 = ro.StartRound(1, 1);
  ro.AddRequest(6, Req("x", 2));
  // The client retries "r" after a write committed at 9: the retry must
  // not be answered with index 5, nor by a round sent before it.
  ro.AddRequest(9, Req("r", 2));
  EXPECT_EQ(ro.pending(), 2u);
  std::vector<ReadIndexStatus> out = ro.Advance(Ack(ro, 2, r1));
  EXPECT_TRUE(out.empty());
  raftpb::Payload r2 = ro.StartRound(1, 2);
  out = ro.Advance(Ack(ro, 2, r2));
  ASSERT_EQ(Ctxs(out), (std::vector<std::string>{"x", "r"}));
  EXPECT_EQ(out[1].index, 9u);
}

TEST(ReadOnlyTest, LeaseStartsAtSendTickOfTheAcknowledgedRound) {
  ReadOnly ro(ReadOnlyOption::kReadOnlyLeaseBased);
  EXPECT_FALSE(ro.lease_start().has_value());
  raftpb::Payload r1 = ro.StartRound(1, 4);
  raftpb::Payload r2 = ro.StartRound(1, 7);
  (void)ro.Advance(Ack(ro, 2, r1));
  EXPECT_EQ(ro.lease_start(), 4u);
  (void)ro.Advance(Ack(ro, 2, r2));
  EXPECT_EQ(ro.lease_start(), 7u);
}

TEST(ReadOnlyTest, RoundsWaitingForAcksAreBounded) {
  ReadOnly ro(ReadOnlyOption::kReadOnlySafe);
  raftpb::Payload first = ro.StartRound(1, 0);
  for (uint64_t i = 1; i < 2 * ReadOnly::kMaxRounds; ++i) {
    (void)ro.StartRound(1, i);
  }
  EXPECT_EQ(ro.rounds(), ReadOnly::kMaxRounds);
  uint64_t round = 0;
  EXPECT_EQ(ro.RecvAck(2, first, &round), nullptr);
}

}  // namespace
}  // namespace raft
