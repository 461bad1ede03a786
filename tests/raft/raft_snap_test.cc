// Tests of snapshots in the raft state machine (after etcd's
// raft_snap_test.go): when the leader sends one, how Progress enters and
// leaves StateSnapshot (ReportSnapshot, a reconnecting MsgAppResp,
// MsgUnreachable), how a follower restores one, and restarts from a
// snapshot plus a log tail.

#include <gtest/gtest.h>

#include "raft/raft.h"
#include "raft/raw_node.h"
#include "tests/raft/core_cluster.h"
#include "tests/raft/core_test_util.h"

namespace raft {
namespace {

using raftpb::Message;
using test::Cluster;
using test::Msg;
using tracker::StateType::kStateProbe;
using tracker::StateType::kStateReplicate;
using tracker::StateType::kStateSnapshot;

// etcd's testingSnap: index 11, term 11, voters {1, 2}.
raftpb::Snapshot TestingSnap() {
  raftpb::Snapshot s;
  s.metadata.index = 11;
  s.metadata.term = 11;
  s.metadata.conf_state.voters = {1, 2};
  return s;
}

// Node 1 restarted from TestingSnap() (its log is empty after it), made
// leader of term 12: its empty entry is at index 12, and 2 is probed from
// next = 12.
struct SnapLeader {
  SnapLeader() {
    EXPECT_TRUE(storage.ApplySnapshot(TestingSnap()).ok());
    storage.SetHardState({11, 0, 11});
    auto res = Raft::New(Cluster::NewConfig(1, &storage));
    EXPECT_TRUE(res.ok()) << res.status();
    r = std::move(res).value();
    r->BecomeCandidate();
    r->BecomeLeader();
    (void)r->ReadMessages();
  }
  tracker::Progress& pr2() { return r->trk().progress.at(2); }
  MemoryStorage storage;
  std::unique_ptr<Raft> r;
};

TEST(RaftSnapTest, LeaderSendsSnapshotWhenFollowerNeedsCompactedEntries) {
  SnapLeader s;
  ASSERT_EQ(s.pr2().next, 12u);
  // 2 rejects the probe at 11: it lacks entries the leader compacted.
  Message rej = Msg(2, 1, raftpb::kMsgAppResp, 12);
  rej.index = 11;
  rej.reject = true;
  ASSERT_TRUE(s.r->Step(rej).ok());
  EXPECT_EQ(s.pr2().state, kStateSnapshot);
  EXPECT_EQ(s.pr2().pending_snapshot, 11u);
  EXPECT_TRUE(s.pr2().IsPaused());
  std::vector<Message> out = s.r->ReadMessages();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, raftpb::kMsgSnap);
  EXPECT_EQ(out[0].to, 2u);
  ASSERT_TRUE(out[0].snapshot.has_value());
  EXPECT_EQ(out[0].snapshot->metadata, TestingSnap().metadata);
}

TEST(RaftSnapTest, NoSnapshotToInactiveFollower) {
  SnapLeader s;
  s.pr2().next = 1;  // Needs compacted entries.
  s.pr2().recent_active = false;
  EXPECT_FALSE(s.r->MaybeSendAppend(2, true));
  EXPECT_EQ(s.pr2().state, kStateProbe);
  EXPECT_TRUE(s.r->ReadMessages().empty());
}

TEST(RaftSnapTest, PendingSnapshotPausesReplication) {
  SnapLeader s;
  s.pr2().BecomeSnapshot(11);
  Message prop;
  prop.type = raftpb::kMsgProp;
  prop.from = 1;
  prop.entries.push_back(raftpb::Entry{0, 0, raftpb::kEntryNormal, "x"});
  ASSERT_TRUE(s.r->Step(prop).ok());
  EXPECT_TRUE(s.r->ReadMessages().empty());
}

TEST(RaftSnapTest, ReportSnapshotFailureProbesFromMatch) {
  SnapLeader s;
  s.pr2().next = 1;
  s.pr2().BecomeSnapshot(11);
  Message m = Msg(2, 1, raftpb::kMsgSnapStatus, 0);
  m.reject = true;
  ASSERT_TRUE(s.r->Step(m).ok());
  EXPECT_EQ(s.pr2().state, kStateProbe);
  EXPECT_EQ(s.pr2().pending_snapshot, 0u);
  EXPECT_EQ(s.pr2().next, 1u);
  // Paused until the next heartbeat response.
  EXPECT_TRUE(s.pr2().msg_app_flow_paused);
  EXPECT_TRUE(s.r->ReadMessages().empty());
  ASSERT_TRUE(s.r->Step(Msg(2, 1, raftpb::kMsgHeartbeatResp, 12)).ok());
  EXPECT_FALSE(s.pr2().msg_app_flow_paused);
}

TEST(RaftSnapTest, ReportSnapshotFinishProbesPastTheSnapshot) {
  SnapLeader s;
  s.pr2().next = 1;
  s.pr2().BecomeSnapshot(11);
  ASSERT_TRUE(s.r->Step(Msg(2, 1, raftpb::kMsgSnapStatus, 0)).ok());
  EXPECT_EQ(s.pr2().state, kStateProbe);
  EXPECT_EQ(s.pr2().pending_snapshot, 0u);
  EXPECT_EQ(s.pr2().next, 12u);
  // Waits for the follower's MsgAppResp before sending.
  EXPECT_TRUE(s.pr2().msg_app_flow_paused);
}

TEST(RaftSnapTest, ReportSnapshotIgnoredOutsideSnapshotState) {
  SnapLeader s;
  ASSERT_EQ(s.pr2().state, kStateProbe);
  ASSERT_TRUE(s.r->Step(Msg(2, 1, raftpb::kMsgSnapStatus, 0)).ok());
  EXPECT_EQ(s.pr2().next, 12u);
  EXPECT_FALSE(s.pr2().msg_app_flow_paused);
}

// etcd's TestSnapshotAbort: an acknowledgment at or past the pending
// snapshot reconnects the log: replication resumes without a report.
TEST(RaftSnapTest, AppendResponseThatReconnectsLeavesSnapshotState) {
  SnapLeader s;
  s.pr2().next = 1;
  s.pr2().BecomeSnapshot(11);
  Message ack = Msg(2, 1, raftpb::kMsgAppResp, 12);
  ack.index = 11;
  ASSERT_TRUE(s.r->Step(ack).ok());
  EXPECT_EQ(s.pr2().state, kStateReplicate);
  EXPECT_EQ(s.pr2().pending_snapshot, 0u);
  EXPECT_EQ(s.pr2().match, 11u);
  // The leader's empty entry goes out at once and is in flight.
  std::vector<Message> out = s.r->ReadMessages();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, raftpb::kMsgApp);
  EXPECT_EQ(out[0].index, 11u);
  ASSERT_EQ(out[0].entries.size(), 1u);
  EXPECT_EQ(out[0].entries[0].index, 12u);
  EXPECT_EQ(s.pr2().inflights.Count(), 1u);
}

TEST(RaftSnapTest, AppendResponseBelowFirstIndexKeepsSnapshotState) {
  SnapLeader s;
  // Compact further so that an acknowledgment at 11 does not reconnect.
  ASSERT_TRUE(s.storage.Append(test::Ents({{12, 12}})).ok());
  s.r->raft_log().StableTo(12, 12);
  ASSERT_TRUE(s.storage.CreateSnapshot(12, nullptr, "").ok());
  ASSERT_TRUE(s.storage.Compact(12).ok());
  s.pr2().next = 1;
  s.pr2().BecomeSnapshot(12);
  Message ack = Msg(2, 1, raftpb::kMsgAppResp, 12);
  ack.index = 10;
  ASSERT_TRUE(s.r->Step(ack).ok());
  EXPECT_EQ(s.pr2().state, kStateSnapshot);
  EXPECT_EQ(s.pr2().match, 10u);
  EXPECT_TRUE(s.r->ReadMessages().empty());
}

TEST(RaftSnapTest, UnreachableMovesReplicatingFollowerToProbe) {
  Cluster cl(2);
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  Raft& l = cl.raft(1);
  tracker::Progress& pr = l.trk().progress.at(2);
  ASSERT_EQ(pr.state, kStateReplicate);
  // An optimistic MsgApp (entry 2) that will never arrive.
  Message prop;
  prop.type = raftpb::kMsgProp;
  prop.from = 1;
  prop.entries.push_back(raftpb::Entry{0, 0, raftpb::kEntryNormal, "x"});
  ASSERT_TRUE(l.Step(prop).ok());
  (void)l.ReadMessages();
  ASSERT_EQ(pr.next, 3u);
  ASSERT_TRUE(l.Step(Msg(2, 1, raftpb::kMsgUnreachable, 0)).ok());
  EXPECT_EQ(pr.state, kStateProbe);
  EXPECT_EQ(pr.next, pr.match + 1);  // Probe again from what 2 has.
  EXPECT_EQ(pr.inflights.Count(), 0u);
  // In probe or snapshot state it changes nothing.
  ASSERT_TRUE(l.Step(Msg(2, 1, raftpb::kMsgUnreachable, 0)).ok());
  EXPECT_EQ(pr.state, kStateProbe);
  pr.BecomeSnapshot(2);
  ASSERT_TRUE(l.Step(Msg(2, 1, raftpb::kMsgUnreachable, 0)).ok());
  EXPECT_EQ(pr.state, kStateSnapshot);
}

// A follower of term 1 with entries 1..5 (term 1) and commit `commit`.
std::unique_ptr<Raft> FollowerWithLog(MemoryStorage& s, uint64_t commit) {
  raftpb::ConfState cs;
  cs.voters = {1, 2};
  s.SetInitialConfState(cs);
  EXPECT_TRUE(
      s.Append(test::Ents({{1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}})).ok());
  s.SetHardState({1, 0, commit});
  auto res = Raft::New(Cluster::NewConfig(2, &s));
  EXPECT_TRUE(res.ok()) << res.status();
  std::unique_ptr<Raft> r = std::move(res).value();
  r->BecomeFollower(1, 1);
  return r;
}

Message SnapMsg(uint64_t index, uint64_t term, std::vector<uint64_t> voters) {
  Message m = Msg(1, 2, raftpb::kMsgSnap, std::max<uint64_t>(term, 1));
  m.snapshot.emplace();
  m.snapshot->metadata.index = index;
  m.snapshot->metadata.term = term;
  m.snapshot->metadata.conf_state.voters = std::move(voters);
  return m;
}

TEST(RaftSnapTest, FollowerRefusesSnapshotAtOrBelowCommit) {
  for (uint64_t index : {2u, 3u}) {
    SCOPED_TRACE(index);
    MemoryStorage s;
    std::unique_ptr<Raft> f = FollowerWithLog(s, 3);
    ASSERT_TRUE(f->Step(SnapMsg(index, 1, {1, 2, 3})).ok());
    EXPECT_EQ(f->raft_log().committed(), 3u);
    EXPECT_EQ(f->raft_log().LastIndex(), 5u);
    EXPECT_FALSE(f->raft_log().HasNextUnstableSnapshot());
    EXPECT_EQ(f->trk().config.voters.String(), "(1 2)");  // Not taken.
    std::vector<Message> out = f->ReadMessages();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].type, raftpb::kMsgAppResp);
    EXPECT_EQ(out[0].index, 3u);  // Its commit.
    EXPECT_FALSE(out[0].reject);
  }
}

TEST(RaftSnapTest, FollowerKeepsMatchingEntriesPastSnapshot) {
  MemoryStorage s;
  std::unique_ptr<Raft> f = FollowerWithLog(s, 1);
  // The snapshot's last entry (4, term 1) is in the log: only commit moves,
  // and entry 5 stays.
  ASSERT_TRUE(f->Step(SnapMsg(4, 1, {1, 2, 3})).ok());
  EXPECT_EQ(f->raft_log().committed(), 4u);
  EXPECT_EQ(f->raft_log().LastIndex(), 5u);
  EXPECT_EQ(*f->raft_log().Term(5), 1u);
  EXPECT_FALSE(f->raft_log().HasNextUnstableSnapshot());
  std::vector<Message> out = f->ReadMessages();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, raftpb::kMsgAppResp);
  EXPECT_EQ(out[0].index, 4u);
}

TEST(RaftSnapTest, FollowerRestoresSnapshotAndTakesItsConfState) {
  MemoryStorage s;
  std::unique_ptr<Raft> f = FollowerWithLog(s, 1);
  // A snapshot at 4 of another term: the log does not match it.
  ASSERT_TRUE(f->Step(SnapMsg(4, 2, {1, 2, 3})).ok());
  EXPECT_EQ(f->raft_log().committed(), 4u);
  EXPECT_EQ(f->raft_log().LastIndex(), 4u);  // 5 is gone.
  EXPECT_EQ(*f->raft_log().Term(4), 2u);
  ASSERT_TRUE(f->raft_log().HasNextUnstableSnapshot());
  EXPECT_EQ(f->raft_log().NextUnstableSnapshot()->metadata.index, 4u);
  EXPECT_EQ(f->trk().config.voters.String(), "(1 2 3)");
  EXPECT_EQ(f->trk().progress.size(), 3u);
  // Not promotable (and so no campaign) until the snapshot is durable.
  EXPECT_FALSE(f->Promotable());
  std::vector<Message> out = f->ReadMessages();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, raftpb::kMsgAppResp);
  EXPECT_EQ(out[0].index, 4u);
}

TEST(RaftSnapTest, FollowerTakesLearnerRoleFromSnapshot) {
  MemoryStorage s;
  std::unique_ptr<Raft> f = FollowerWithLog(s, 1);
  Message m = SnapMsg(4, 2, {1, 3});
  m.snapshot->metadata.conf_state.learners = {2};
  ASSERT_TRUE(f->Step(m).ok());
  EXPECT_TRUE(f->is_learner());
  EXPECT_EQ(f->trk().config.voters.String(), "(1 3)");
}

TEST(RaftSnapTest, FollowerRefusesSnapshotWithoutItself) {
  MemoryStorage s;
  std::unique_ptr<Raft> f = FollowerWithLog(s, 1);
  ASSERT_TRUE(f->Step(SnapMsg(4, 2, {1, 3})).ok());
  EXPECT_EQ(f->raft_log().committed(), 1u);
  EXPECT_EQ(f->raft_log().LastIndex(), 5u);
  EXPECT_FALSE(f->raft_log().HasNextUnstableSnapshot());
}

// A node restarted from a snapshot plus a log tail resumes exactly: term,
// vote, commit, configuration, and it hands out each committed entry past
// `applied` once.
TEST(RaftSnapTest, RestartFromSnapshotAndTailResumesExactly) {
  MemoryStorage s;
  raftpb::Snapshot snap = TestingSnap();
  snap.data = "image";
  ASSERT_TRUE(s.ApplySnapshot(snap).ok());
  ASSERT_TRUE(
      s.Append(test::Ents({{12, 11}, {13, 12}, {14, 12}, {15, 12}})).ok());
  s.SetHardState({12, 2, 14});
  Config c = Cluster::NewConfig(1, &s);
  c.applied = 12;
  auto res = RawNode::New(c);
  ASSERT_TRUE(res.ok()) << res.status();
  RawNode& n = **res;
  const Raft& r = n.raft();
  EXPECT_EQ(r.term(), 12u);
  EXPECT_EQ(r.vote(), 2u);
  EXPECT_EQ(r.raft_log().committed(), 14u);
  EXPECT_EQ(r.raft_log().applied(), 12u);
  EXPECT_EQ(r.raft_log().FirstIndex(), 12u);
  EXPECT_EQ(r.raft_log().LastIndex(), 15u);
  EXPECT_EQ(r.raft_log().LastTerm(), 12u);
  EXPECT_EQ(r.trk().config.voters.String(), "(1 2)");
  Ready rd = n.GetReady();
  EXPECT_FALSE(rd.snapshot.has_value());  // Already durable.
  EXPECT_TRUE(rd.entries.empty());
  EXPECT_EQ(rd.committed_entries, test::Ents({{13, 12}, {14, 12}}));
  n.Advance();
  EXPECT_FALSE(n.HasReady());
  EXPECT_EQ(n.GetBasicStatus().applied, 14u);
}

}  // namespace
}  // namespace raft
