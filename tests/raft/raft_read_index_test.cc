// Tests of linearizable reads (thesis 6.4) in the raft state machine:
// ReadOnlySafe rounds and their batching, ReadOnlyLeaseBased, the new
// leader's deferral, forwarding from followers, and retried contexts (the
// stale index fixed in etcd-io/raft#397).

#include <gtest/gtest.h>

#include "raft/raft.h"
#include "tests/raft/core_cluster.h"
#include "tests/raft/core_test_util.h"

namespace raft {
namespace {

using raftpb::Entry;
using raftpb::Message;
using test::Msg;
using test::Solo;

Message ReadReq(const char* ctx, uint64_t from = 0) {
  Message m;
  m.type = raftpb::kMsgReadIndex;
  m.from = from;
  m.entries.push_back(Entry{0, 0, raftpb::kEntryNormal, ctx});
  return m;
}

// Makes s's node the leader of term 1 of {1, 2, 3} with its empty entry
// (index 1) committed, and drops what it sent.
void MakeLeader(Solo& s) {
  Raft& l = *s.r;
  l.BecomeCandidate();
  l.BecomeLeader();
  Message ack = Msg(2, 1, raftpb::kMsgAppResp, 1);
  ack.index = 1;
  ASSERT_TRUE(l.Step(ack).ok());
  ASSERT_EQ(l.raft_log().committed(), 1u);
  (void)l.ReadMessages();
}

// The heartbeats among msgs; checks they all carry one context and
// returns it (empty when there are none).
raftpb::Payload HeartbeatCtx(const std::vector<Message>& msgs, int* count) {
  raftpb::Payload ctx;
  *count = 0;
  for (const Message& m : msgs) {
    if (m.type != raftpb::kMsgHeartbeat) continue;
    if (*count > 0) {
      EXPECT_EQ(m.context, ctx);
    }
    ctx = m.context;
    ++*count;
  }
  return ctx;
}

Message HeartbeatResp(uint64_t from, const raftpb::Payload& ctx) {
  Message m = Msg(from, 1, raftpb::kMsgHeartbeatResp, 1);
  m.context = ctx;
  return m;
}

TEST(RaftReadIndexTest, SafeReadWaitsForAQuorumRound) {
  Solo s(1, {1, 2, 3});
  MakeLeader(s);
  Raft& l = *s.r;
  ASSERT_TRUE(l.Step(ReadReq("a")).ok());
  int n = 0;
  raftpb::Payload ctx = HeartbeatCtx(l.ReadMessages(), &n);
  EXPECT_EQ(n, 2);  // One round: a heartbeat to each follower.
  EXPECT_TRUE(l.read_states().empty());
  // A response to another round (or none at all) does not release it.
  ASSERT_TRUE(l.Step(HeartbeatResp(2, "other")).ok());
  EXPECT_TRUE(l.read_states().empty());
  // The leader and 2 form a quorum of {1, 2, 3}.
  ASSERT_TRUE(l.Step(HeartbeatResp(2, ctx)).ok());
  ASSERT_EQ(l.read_states().size(), 1u);
  EXPECT_EQ(l.read_states()[0], (ReadState{1, "a"}));
  // A late acknowledgment of the same round releases nothing again.
  ASSERT_TRUE(l.Step(HeartbeatResp(3, ctx)).ok());
  EXPECT_EQ(l.read_states().size(), 1u);
}

TEST(RaftReadIndexTest, RequestsDuringOneRoundShareTheNext) {
  Solo s(1, {1, 2, 3});
  MakeLeader(s);
  Raft& l = *s.r;
  ASSERT_TRUE(l.Step(ReadReq("a")).ok());
  int n = 0;
  raftpb::Payload r1 = HeartbeatCtx(l.ReadMessages(), &n);
  ASSERT_EQ(n, 2);
  // Requests arriving while round 1 is in flight start no round.
  for (const char* c : {"b", "c", "d"}) ASSERT_TRUE(l.Step(ReadReq(c)).ok());
  EXPECT_TRUE(l.ReadMessages().empty());
  // Round 1 completes: a is released and one round starts for b, c, d.
  ASSERT_TRUE(l.Step(HeartbeatResp(3, r1)).ok());
  ASSERT_EQ(l.read_states().size(), 1u);
  raftpb::Payload r2 = HeartbeatCtx(l.ReadMessages(), &n);
  ASSERT_EQ(n, 2);
  EXPECT_NE(r2, r1);
  ASSERT_TRUE(l.Step(HeartbeatResp(2, r2)).ok());
  std::vector<ReadState> want = {{1, "a"}, {1, "b"}, {1, "c"}, {1, "d"}};
  EXPECT_EQ(l.read_states(), want);
  EXPECT_TRUE(l.ReadMessages().empty());  // Nothing left to confirm.
}

TEST(RaftReadIndexTest, PeriodicHeartbeatConfirmsWaitingRequests) {
  Solo s(1, {1, 2, 3});
  MakeLeader(s);
  Raft& l = *s.r;
  ASSERT_TRUE(l.Step(ReadReq("a")).ok());
  (void)l.ReadMessages();  // Round 1 is lost.
  ASSERT_TRUE(l.Step(ReadReq("b")).ok());
  l.Tick();  // heartbeat_tick = 1: a new round covers both.
  int n = 0;
  raftpb::Payload ctx = HeartbeatCtx(l.ReadMessages(), &n);
  ASSERT_EQ(n, 2);
  ASSERT_TRUE(l.Step(HeartbeatResp(2, ctx)).ok());
  std::vector<ReadState> want = {{1, "a"}, {1, "b"}};
  EXPECT_EQ(l.read_states(), want);
}

// etcd-io/raft#397: a retried context must not be answered with the index
// (or the round) of its first attempt.
TEST(RaftReadIndexTest, RetriedContextNeverGetsAStaleIndex) {
  Solo s(1, {1, 2, 3});
  MakeLeader(s);
  Raft& l = *s.r;
  ASSERT_TRUE(l.Step(ReadReq("r")).ok());
  int n = 0;
  raftpb::Payload r1 = HeartbeatCtx(l.ReadMessages(), &n);
  // A write commits at index 2 while the first attempt waits.
  Message prop;
  prop.type = raftpb::kMsgProp;
  prop.from = 1;
  prop.entries.push_back(Entry{0, 0, raftpb::kEntryNormal, "w"});
  ASSERT_TRUE(l.Step(prop).ok());
  Message ack = Msg(2, 1, raftpb::kMsgAppResp, 1);
  ack.index = 2;
  ASSERT_TRUE(l.Step(ack).ok());
  ASSERT_EQ(l.raft_log().committed(), 2u);
  (void)l.ReadMessages();
  // The client, having seen the write, retries "r".
  ASSERT_TRUE(l.Step(ReadReq("r")).ok());
  // Round 1 completes; it was sent before the retry, so it answers nothing.
  ASSERT_TRUE(l.Step(HeartbeatResp(2, r1)).ok());
  EXPECT_TRUE(l.read_states().empty());
  raftpb::Payload r2 = HeartbeatCtx(l.ReadMessages(), &n);
  ASSERT_EQ(n, 2);
  ASSERT_TRUE(l.Step(HeartbeatResp(3, r2)).ok());
  ASSERT_EQ(l.read_states().size(), 1u);
  EXPECT_EQ(l.read_states()[0], (ReadState{2, "r"}));
}

TEST(RaftReadIndexTest, NewLeaderDefersReadsUntilItCommitsInItsTerm) {
  for (ReadOnlyOption opt :
       {ReadOnlyOption::kReadOnlySafe, ReadOnlyOption::kReadOnlyLeaseBased}) {
    SCOPED_TRACE(static_cast<int>(opt));
    Solo s(1, {1, 2, 3}, [opt](Config& c) {
      c.check_quorum = true;
      c.read_only_option = opt;
    });
    Raft& l = *s.r;
    l.BecomeCandidate();
    l.BecomeLeader();
    (void)l.ReadMessages();
    ASSERT_TRUE(l.Step(ReadReq("r")).ok());
    EXPECT_TRUE(l.ReadMessages().empty());
    EXPECT_TRUE(l.read_states().empty());
    Message ack = Msg(2, 1, raftpb::kMsgAppResp, 1);
    ack.index = 1;
    ASSERT_TRUE(l.Step(ack).ok());
    // Committed: the deferred request now takes a round (no lease yet).
    int n = 0;
    raftpb::Payload ctx = HeartbeatCtx(l.ReadMessages(), &n);
    ASSERT_EQ(n, 2);
    EXPECT_TRUE(l.read_states().empty());
    ASSERT_TRUE(l.Step(HeartbeatResp(2, ctx)).ok());
    ASSERT_EQ(l.read_states().size(), 1u);
    EXPECT_EQ(l.read_states()[0], (ReadState{1, "r"}));
  }
}

TEST(RaftReadIndexTest, LeaseReadAnsweredWithoutRoundOnlyWhileLeaseHolds) {
  Solo s(1, {1, 2, 3}, [](Config& c) {
    c.check_quorum = true;
    c.read_only_option = ReadOnlyOption::kReadOnlyLeaseBased;
    c.max_clock_drift_ticks = 2;
  });
  MakeLeader(s);
  Raft& l = *s.r;
  // No quorum-acknowledged round yet: no lease, the read takes a round.
  ASSERT_TRUE(l.Step(ReadReq("a")).ok());
  int n = 0;
  raftpb::Payload ctx = HeartbeatCtx(l.ReadMessages(), &n);
  ASSERT_EQ(n, 2);
  ASSERT_TRUE(l.Step(HeartbeatResp(2, ctx)).ok());
  ASSERT_EQ(l.read_states().size(), 1u);
  l.read_states().clear();
  // The lease (election 10 - drift 2 = 8 ticks from that round) holds.
  for (int i = 0; i < 7; ++i) l.Tick();
  (void)l.ReadMessages();  // Heartbeats nobody answers.
  ASSERT_TRUE(l.Step(ReadReq("b")).ok());
  EXPECT_TRUE(l.ReadMessages().empty());
  ASSERT_EQ(l.read_states().size(), 1u);
  EXPECT_EQ(l.read_states()[0], (ReadState{1, "b"}));
  l.read_states().clear();
  // One tick later it has lapsed: the read takes a round again.
  l.Tick();
  (void)l.ReadMessages();
  ASSERT_EQ(l.state(), StateType::kStateLeader);
  ASSERT_TRUE(l.Step(ReadReq("c")).ok());
  EXPECT_TRUE(l.read_states().empty());
  ctx = HeartbeatCtx(l.ReadMessages(), &n);
  ASSERT_EQ(n, 2);
  ASSERT_TRUE(l.Step(HeartbeatResp(3, ctx)).ok());
  ASSERT_EQ(l.read_states().size(), 1u);
  EXPECT_EQ(l.read_states()[0], (ReadState{1, "c"}));
}

TEST(RaftReadIndexTest, NoLeaseReadsDuringLeadershipTransfer) {
  Solo s(1, {1, 2, 3}, [](Config& c) {
    c.check_quorum = true;
    c.read_only_option = ReadOnlyOption::kReadOnlyLeaseBased;
  });
  MakeLeader(s);
  Raft& l = *s.r;
  l.Tick();
  int n = 0;
  raftpb::Payload ctx = HeartbeatCtx(l.ReadMessages(), &n);
  ASSERT_TRUE(l.Step(HeartbeatResp(2, ctx)).ok());
  (void)l.ReadMessages();
  ASSERT_TRUE(l.Step(ReadReq("a")).ok());
  ASSERT_EQ(l.read_states().size(), 1u);  // The lease holds.
  l.read_states().clear();
  // Transfer to 3, which is behind: MsgTimeoutNow will bypass the
  // followers' leases, so this leader's lease proves nothing any more.
  ASSERT_TRUE(l.Step(Msg(3, 1, raftpb::kMsgTransferLeader, 0)).ok());
  ASSERT_EQ(l.lead_transferee(), 3u);
  (void)l.ReadMessages();
  ASSERT_TRUE(l.Step(ReadReq("b")).ok());
  EXPECT_TRUE(l.read_states().empty());
  ctx = HeartbeatCtx(l.ReadMessages(), &n);
  EXPECT_EQ(n, 2);
}

TEST(RaftReadIndexTest, FollowerForwardsReadIndexAndTakesTheResponse) {
  Solo s(2, {1, 2, 3});
  Raft& f = *s.r;
  // No leader known: the request is dropped.
  ASSERT_TRUE(f.Step(ReadReq("x", 2)).ok());
  EXPECT_TRUE(f.ReadMessages().empty());
  f.BecomeFollower(1, 1);
  ASSERT_TRUE(f.Step(ReadReq("x", 2)).ok());
  std::vector<Message> out = f.ReadMessages();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, raftpb::kMsgReadIndex);
  EXPECT_EQ(out[0].to, 1u);
  ASSERT_EQ(out[0].entries.size(), 1u);
  EXPECT_EQ(out[0].entries[0].data, "x");
  Message resp = Msg(1, 2, raftpb::kMsgReadIndexResp, 1);
  resp.index = 7;
  resp.entries = out[0].entries;
  ASSERT_TRUE(f.Step(resp).ok());
  ASSERT_EQ(f.read_states().size(), 1u);
  EXPECT_EQ(f.read_states()[0], (ReadState{7, "x"}));
}

TEST(RaftReadIndexTest, LeaderAnswersForwardedReadWithMsgReadIndexResp) {
  Solo s(1, {1, 2, 3});
  MakeLeader(s);
  Raft& l = *s.r;
  Message req = ReadReq("x", 2);
  req.to = 1;
  ASSERT_TRUE(l.Step(req).ok());
  int n = 0;
  raftpb::Payload ctx = HeartbeatCtx(l.ReadMessages(), &n);
  ASSERT_TRUE(l.Step(HeartbeatResp(3, ctx)).ok());
  EXPECT_TRUE(l.read_states().empty());  // Not the leader's own read.
  std::vector<Message> out;
  for (Message& m : l.ReadMessages()) {
    if (m.type != raftpb::kMsgApp) out.push_back(std::move(m));  // To 3.
  }
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, raftpb::kMsgReadIndexResp);
  EXPECT_EQ(out[0].to, 2u);
  EXPECT_EQ(out[0].index, 1u);
  EXPECT_EQ(out[0].entries[0].data, "x");
}

TEST(RaftReadIndexTest, ForwardedReadComesBackThroughTheCluster) {
  test::Cluster cl(3);
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  Message r = ReadReq("ctx", 2);
  r.to = 2;
  ASSERT_TRUE(cl.Send(r).ok());
  std::vector<ReadState>& rs = cl.raft(2).read_states();
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0], (ReadState{1, "ctx"}));
}

}  // namespace
}  // namespace raft
