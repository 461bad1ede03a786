// Tests of leadership transfer (thesis 3.10) in the raft state machine:
// the leader stops proposals, catches the transferee up, sends
// MsgTimeoutNow; the transfer aborts after an election timeout; requests
// that cannot be honored are no-ops with a log line; a second transfer
// replaces the first; MsgTimeoutNow bypasses PreVote and the lease check.

#include <gtest/gtest.h>

#include "raft/errors.h"
#include "raft/raft.h"
#include "tests/raft/core_cluster.h"

namespace raft {
namespace {

using raftpb::Message;
using test::CapturingLogger;
using test::Cluster;
using test::Solo;

constexpr StateType kFollower = StateType::kStateFollower;
constexpr StateType kLeader = StateType::kStateLeader;

Message Transfer(uint64_t leader, uint64_t transferee) {
  Message m;
  m.type = raftpb::kMsgTransferLeader;
  m.from = transferee;
  m.to = leader;
  return m;
}

size_t Count(const std::vector<Message>& msgs, raftpb::MessageType t,
             uint64_t to) {
  size_t n = 0;
  for (const Message& m : msgs) n += m.type == t && m.to == to;
  return n;
}

// Leader 1 of 3 with a transfer to 3 under way that cannot finish: 3 is
// cut off (and, when `behind`, lacks the entry "a").
class RaftTransferPendingTest : public ::testing::Test {
 protected:
  void Start(bool behind) {
    ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
    cl.Isolate(3);
    if (behind) {
      ASSERT_TRUE(cl.Local(1, raftpb::kMsgProp, "a").ok());
    }
    // The request names 3, which is cut off: step it into 1 directly.
    ASSERT_TRUE(l.Step(Transfer(1, 3)).ok());
    ASSERT_TRUE(cl.Deliver(cl.Flush(1)).ok());
    ASSERT_EQ(l.lead_transferee(), 3u);
  }
  CapturingLogger log;
  Cluster cl{3, [this](Config& c) { c.logger = &log; }};
  Raft& l = cl.raft(1);
};

TEST(RaftTransferTest, ToUpToDateFollowerSendsTimeoutNowAtOnce) {
  Cluster cl(3);
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  Raft& l = cl.raft(1);
  ASSERT_TRUE(l.Step(Transfer(1, 2)).ok());
  EXPECT_EQ(l.lead_transferee(), 2u);
  std::vector<Message> out = l.ReadMessages();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, raftpb::kMsgTimeoutNow);
  EXPECT_EQ(out[0].to, 2u);
  EXPECT_EQ(out[0].term, 1u);
  ASSERT_TRUE(cl.Deliver(std::move(out)).ok());
  EXPECT_EQ(cl.raft(2).state(), kLeader);
  EXPECT_EQ(cl.raft(2).term(), 2u);
  EXPECT_EQ(l.state(), kFollower);
  EXPECT_EQ(l.lead(), 2u);
  EXPECT_EQ(l.lead_transferee(), 0u);
}

TEST(RaftTransferTest, CatchesUpTheTransfereeFirstAndStopsProposals) {
  Cluster cl(3);
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  cl.Isolate(3);
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgProp, "a").ok());
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgProp, "b").ok());
  cl.Recover();
  Raft& l = cl.raft(1);
  ASSERT_EQ(l.trk().progress.at(3).match, 1u);
  ASSERT_TRUE(l.Step(Transfer(1, 3)).ok());
  EXPECT_EQ(l.lead_transferee(), 3u);
  // Not up to date: it gets the missing entries, not MsgTimeoutNow.
  std::vector<Message> out = l.ReadMessages();
  EXPECT_EQ(Count(out, raftpb::kMsgTimeoutNow, 3), 0u);
  EXPECT_EQ(Count(out, raftpb::kMsgApp, 3), 1u);
  // Proposals stop while the transfer is under way.
  EXPECT_EQ(cl.Local(1, raftpb::kMsgProp, "c"),
            ErrProposalDroppedLeaderTransferring());
  // 3 acknowledges the entries; the leader sends MsgTimeoutNow: 3 leads.
  ASSERT_TRUE(cl.Deliver(std::move(out)).ok());
  EXPECT_EQ(cl.raft(3).state(), kLeader);
  EXPECT_EQ(cl.raft(3).raft_log().LastIndex(), 4u);  // a, b, its own.
  EXPECT_EQ(l.state(), kFollower);
}

TEST_F(RaftTransferPendingTest, AbortsAfterAnElectionTimeout) {
  Start(/*behind=*/true);
  for (int i = 0; i < l.election_timeout() - 1; ++i) cl.Tick(1);
  EXPECT_EQ(l.lead_transferee(), 3u);
  cl.Tick(1);
  EXPECT_EQ(l.lead_transferee(), 0u);
  EXPECT_EQ(l.state(), kLeader);
  EXPECT_TRUE(log.Contains(
      "1 [term 1] abort transferring leadership to 3: not done within an "
      "election timeout"));
  EXPECT_TRUE(cl.Local(1, raftpb::kMsgProp, "b").ok());
}

TEST_F(RaftTransferPendingTest, ToSelfIsANoOpWithALogLine) {
  Start(/*behind=*/false);
  (void)l.ReadMessages();
  ASSERT_TRUE(l.Step(Transfer(1, 1)).ok());
  EXPECT_EQ(l.lead_transferee(), 3u);  // Not even aborted.
  EXPECT_EQ(l.state(), kLeader);
  EXPECT_TRUE(l.ReadMessages().empty());
  EXPECT_TRUE(log.Contains(
      "INFO 1 [term 1] is already leader; ignored transferring leadership "
      "to self"));
}

TEST(RaftTransferTest, ToUnknownNodeIsANoOpWithALogLine) {
  CapturingLogger log;
  Cluster cl(3, [&log](Config& c) { c.logger = &log; });
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  Raft& l = cl.raft(1);
  ASSERT_TRUE(l.Step(Transfer(1, 9)).ok());
  EXPECT_EQ(l.lead_transferee(), 0u);
  EXPECT_TRUE(l.ReadMessages().empty());
  EXPECT_TRUE(log.Contains(
      "INFO 1 [term 1] ignored transferring leadership to 9: not a member"));
}

TEST(RaftTransferTest, ToLearnerIsANoOpWithALogLine) {
  CapturingLogger log;
  Solo s(1, {1, 2}, [&log](Config& c) { c.logger = &log; }, {3});
  Raft& l = *s.r;
  l.BecomeCandidate();
  l.BecomeLeader();
  (void)l.ReadMessages();
  ASSERT_TRUE(l.Step(Transfer(1, 3)).ok());
  EXPECT_EQ(l.lead_transferee(), 0u);
  EXPECT_TRUE(l.ReadMessages().empty());
  EXPECT_TRUE(log.Contains(
      "INFO 1 [term 1] ignored transferring leadership to learner 3"));
}

TEST(RaftTransferTest, FollowerForwardsTheRequestToTheLeader) {
  Cluster cl(3);
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  // RawNode::TransferLeader works on any node: a follower forwards.
  Message m = Transfer(2, 3);
  ASSERT_TRUE(cl.Send(m).ok());
  EXPECT_EQ(cl.raft(3).state(), kLeader);
}

TEST_F(RaftTransferPendingTest, SecondTransferToAnotherNodeReplacesTheFirst) {
  Start(/*behind=*/true);
  // The same transferee again: ignored, the election clock keeps running.
  cl.Tick(1, 3);
  ASSERT_TRUE(l.Step(Transfer(1, 3)).ok());
  ASSERT_TRUE(cl.Deliver(cl.Flush(1)).ok());
  EXPECT_TRUE(log.Contains("transfer leadership to 3 is in progress"));
  EXPECT_EQ(l.election_elapsed(), 3);
  // Another node: replaces the first, and 2 is up to date.
  ASSERT_TRUE(l.Step(Transfer(1, 2)).ok());
  EXPECT_TRUE(
      log.Contains("1 [term 1] abort previous transferring leadership to 3"));
  EXPECT_EQ(l.lead_transferee(), 2u);
  std::vector<Message> out = l.ReadMessages();
  EXPECT_EQ(Count(out, raftpb::kMsgTimeoutNow, 2), 1u);
  ASSERT_TRUE(cl.Deliver(std::move(out)).ok());
  EXPECT_EQ(cl.raft(2).state(), kLeader);
}

TEST(RaftTransferTest, TimeoutNowBypassesPreVoteAndTheLease) {
  Cluster cl(3, [](Config& c) {
    c.pre_vote = true;
    c.check_quorum = true;
  });
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  ASSERT_EQ(cl.raft(1).state(), kLeader);
  ASSERT_EQ(cl.raft(1).term(), 1u);
  cl.Tick(1);  // Followers just heard from the leader: within its lease.
  Raft& f = cl.raft(2);
  Message tn;
  tn.type = raftpb::kMsgTimeoutNow;
  tn.from = 1;
  tn.to = 2;
  tn.term = 1;
  ASSERT_TRUE(f.Step(tn).ok());
  // A real vote at once (no PreVote), marked as a transfer.
  EXPECT_EQ(f.state(), StateType::kStateCandidate);
  EXPECT_EQ(f.term(), 2u);
  std::vector<Message> out = f.ReadMessages();
  ASSERT_EQ(Count(out, raftpb::kMsgVote, 3), 1u);
  for (const Message& m : out) {
    if (m.type == raftpb::kMsgVote) {
      EXPECT_EQ(m.context, "CampaignTransfer");
    }
  }
  // 3 grants it although it heard from leader 1 within an election timeout.
  ASSERT_TRUE(cl.Deliver(std::move(out)).ok());
  EXPECT_EQ(f.state(), kLeader);
  EXPECT_EQ(cl.raft(3).lead(), 2u);
  EXPECT_EQ(cl.raft(3).term(), 2u);
}

TEST(RaftTransferTest, NonTransferVoteIsRefusedWithinTheLease) {
  Cluster cl(3, [](Config& c) { c.check_quorum = true; });
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  cl.Tick(1);
  Message v;
  v.type = raftpb::kMsgVote;
  v.from = 2;
  v.to = 3;
  v.term = 2;
  v.index = cl.raft(2).raft_log().LastIndex();
  v.log_term = cl.raft(2).raft_log().LastTerm();
  ASSERT_TRUE(cl.raft(3).Step(v).ok());
  EXPECT_EQ(cl.raft(3).term(), 1u);  // Ignored: the lease holds.
  EXPECT_TRUE(cl.raft(3).ReadMessages().empty());
}

}  // namespace
}  // namespace raft
