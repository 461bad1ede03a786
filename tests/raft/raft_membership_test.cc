// Membership changes end to end (thesis chapter 4): proposal validation
// (etcd-io/raft#80), learners, removing the leader (etcd-io/raft#83),
// replacing a member, the disruptive removed server, refusal of invalid
// committed changes, and a randomized joint-consensus safety test.
//
// The randomized test prints its seed on failure; replay one seed with
//   CAIRN_MEMBERSHIP_SEED=<seed> ./raft_membership_test
//       --gtest_filter='*Randomized*'

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "proto/raftpb/codec.h"
#include "raft/errors.h"
#include "raft/raft.h"
#include "raft/status.h"
#include "tests/raft/core_cluster.h"
#include "tests/raft/member_cluster.h"

namespace raft::test {
namespace {

using raftpb::Entry;
using raftpb::Message;

constexpr StateType kLeader = StateType::kStateLeader;
constexpr StateType kFollower = StateType::kStateFollower;

raftpb::ConfChangeV2 V2(
    std::vector<raftpb::ConfChangeSingle> changes,
    raftpb::ConfChangeTransition t = raftpb::kConfChangeTransitionAuto) {
  raftpb::ConfChangeV2 cc;
  cc.transition = t;
  cc.changes = std::move(changes);
  return cc;
}

Message PropConfChange(uint64_t to, const raftpb::ConfChangeV2& cc) {
  Message m;
  m.type = raftpb::kMsgProp;
  m.from = to;
  m.to = to;
  m.entries.push_back(
      Entry{0, 0, raftpb::kEntryConfChangeV2, raftpb::EncodeToString(cc)});
  return m;
}

// Commits `n` normal entries through leader `l` of cl.
void ProposeNormal(Cluster& cl, uint64_t l, int n) {
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(cl.Local(l, raftpb::kMsgProp, "x" + std::to_string(i)).ok());
  }
}

// etcd-io/raft#80: a new leader assumed a configuration change pending up to
// its last index, so, until it had applied its whole log, it refused every
// change. Here it looks at its log tail: no change there, none pending.
TEST(RaftMembershipTest, Issue80NewLeaderWithLaggingAppliedAcceptsChange) {
  Cluster cl(3);
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  ProposeNormal(cl, 1, 5);
  // Node 2 takes over. The Cluster applies nothing: its applied index
  // trails its commit index, as a slow state machine's does.
  ASSERT_TRUE(cl.Local(2, raftpb::kMsgHup).ok());
  Raft& l = cl.raft(2);
  ASSERT_EQ(l.state(), kLeader);
  ASSERT_LT(l.raft_log().applied(), l.raft_log().LastIndex());
  EXPECT_EQ(l.pending_conf_index(), 0u);
  base::Status s =
      cl.Send(PropConfChange(2, V2({{raftpb::kConfChangeAddLearnerNode, 4}})));
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(l.pending_conf_index(), l.raft_log().LastIndex());
}

// The other half of #80: a change in the log tail that the new leader has
// not applied is pending (committed or not), and once applied the next
// change is checked against the configuration it produced, not the stale
// one the leader started with.
TEST(RaftMembershipTest, Issue80PendingChangeIsFoundInTheLogTail) {
  Cluster cl(3);
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  // Node 1, cut off, appends a change nobody else gets, loses leadership,
  // and wins the next election with the change uncommitted in its log.
  cl.Isolate(1);
  raftpb::ConfChangeV2 enter = V2({{raftpb::kConfChangeAddLearnerNode, 4}},
                                  raftpb::kConfChangeTransitionJointExplicit);
  ASSERT_TRUE(cl.Send(PropConfChange(1, enter)).ok());
  Raft& l = cl.raft(1);
  uint64_t cc_index = l.raft_log().LastIndex();
  ASSERT_GT(cc_index, l.raft_log().committed());
  l.BecomeFollower(l.term(), kNone);
  cl.Recover();
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  ASSERT_EQ(l.state(), kLeader);
  ASSERT_GE(l.raft_log().committed(), cc_index);
  EXPECT_EQ(l.pending_conf_index(), cc_index);
  raftpb::ConfChangeV2 leave;
  base::Status s = cl.Send(PropConfChange(1, leave));
  EXPECT_TRUE(IsProposalDroppedConfChange(s))
      << s << " applied " << l.raft_log().applied() << " pending "
      << l.pending_conf_index() << " commit " << l.raft_log().committed();
  EXPECT_NE(s.message().find("possible unapplied conf change at index " +
                             std::to_string(cc_index)),
            std::string::npos)
      << s;

  // The host applies the log, the change included.
  l.AppliedTo(l.raft_log().committed(), 0);
  raftpb::ConfState cs = l.ApplyConfChange(enter);
  EXPECT_EQ(cs.voters_outgoing, (std::vector<uint64_t>{1, 2, 3}));
  // Against the configuration it started with (not joint) leaving would be
  // refused; against the latest one it is valid.
  s = cl.Send(PropConfChange(1, leave));
  EXPECT_TRUE(s.ok()) << s;
  // And another change while that one is pending is not.
  s = cl.Send(PropConfChange(1, V2({{raftpb::kConfChangeAddNode, 4}})));
  EXPECT_TRUE(IsProposalDroppedConfChange(s)) << s;
}

TEST(RaftMembershipTest, InvalidProposalIsDroppedWhole) {
  Cluster cl(1);
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  Raft& l = cl.raft(1);
  l.raft_log().AppliedTo(l.raft_log().committed(), 0);
  uint64_t last = l.raft_log().LastIndex();
  Message m = PropConfChange(1, V2({{raftpb::kConfChangeRemoveNode, 1}}));
  m.entries.insert(m.entries.begin(), Entry{0, 0, raftpb::kEntryNormal, "a"});
  base::Status s = cl.Send(m);
  EXPECT_EQ(s, ErrProposalDroppedConfChange("removed all voters"));
  EXPECT_TRUE(IsProposalDropped(s));
  EXPECT_EQ(l.raft_log().LastIndex(), last);
  EXPECT_EQ(l.pending_conf_index(), 0u);
}

// etcd#10998: a learner asked to vote votes; it may already be a voter in a
// configuration it has not applied yet.
TEST(RaftMembershipTest, LearnerGrantsVote) {
  for (raftpb::MessageType t : {raftpb::kMsgVote, raftpb::kMsgPreVote}) {
    SCOPED_TRACE(raftpb::MessageTypeName(t));
    MemoryStorage storage;
    raftpb::ConfState cs;
    cs.voters = {1, 2};
    cs.learners = {3};
    storage.SetInitialConfState(cs);
    auto r = Raft::New(Cluster::NewConfig(3, &storage));
    ASSERT_TRUE(r.ok()) << r.status();
    Raft& learner = **r;
    ASSERT_TRUE(learner.is_learner());
    Message vote;
    vote.type = t;
    vote.from = 2;
    vote.to = 3;
    vote.term = 2;
    ASSERT_TRUE(learner.Step(vote).ok());
    std::vector<Message> out = learner.ReadMessages();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].type, t == raftpb::kMsgVote ? raftpb::kMsgVoteResp
                                                 : raftpb::kMsgPreVoteResp);
    EXPECT_FALSE(out[0].reject);
  }
}

// Proposes cc at the leader of c and stabilizes. Returns the proposal's
// status.
base::Status Change(MemberCluster& c, const raftpb::ConfChangeV2& cc) {
  uint64_t l = c.Leader();
  if (l == 0) return base::Status::Unavailable("no leader");
  base::Status s = c.node(l).ProposeConfChangeV2(cc);
  c.Stabilize();
  return s;
}

void MakeLeader(MemberCluster& c, uint64_t id) {
  ASSERT_TRUE(c.node(id).Campaign().ok());
  c.Stabilize();
  ASSERT_EQ(c.Leader(), id);
}

std::vector<uint64_t> Voters(MemberCluster& c, uint64_t id) {
  return c.conf_state(id).voters;
}

// Thesis 4.2.1: a new server joins as a learner and does not count toward
// commit until it has caught up; the leader's Status says when it has.
TEST(RaftMembershipTest, NewServerCatchesUpAsLearnerBeforeCounting) {
  MemberCluster c({1, 2, 3}, {});
  ASSERT_NO_FATAL_FAILURE(MakeLeader(c, 1));
  uint64_t l = 1;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(c.node(l).Propose("v" + std::to_string(i)).ok());
  }
  c.Stabilize();
  c.AddNode(4);
  // The newcomer is slow: it is cut off while it is a learner.
  c.Isolate(4);
  ASSERT_TRUE(Change(c, V2({{raftpb::kConfChangeAddLearnerNode, 4}})).ok());
  ASSERT_EQ(c.conf_state(1).learners, (std::vector<uint64_t>{4}));
  // Commits go on without it.
  ASSERT_TRUE(c.node(l).Propose("w").ok());
  c.Stabilize();
  EXPECT_EQ(c.applied_data(2).back(), "w");
  EXPECT_TRUE(c.node(l).GetStatus().CaughtUpLearners().empty());

  c.Heal();
  for (int i = 0; i < 3; ++i) {
    c.TickAll();
    c.Stabilize();
  }
  raft::Status st = c.node(l).GetStatus();
  EXPECT_EQ(st.CaughtUpLearners(), (std::vector<uint64_t>{4}));
  EXPECT_EQ(c.applied_data(4), c.applied_data(1));
  // Promote it; now it counts.
  ASSERT_TRUE(Change(c, V2({{raftpb::kConfChangeAddNode, 4}})).ok());
  EXPECT_EQ(Voters(c, 4), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_TRUE(c.node(l).GetStatus().CaughtUpLearners().empty());
  // With 2 and 3 down, 1 and 4 are not a majority of four.
  c.Crash(2);
  c.Crash(3);
  ASSERT_TRUE(c.node(l).Propose("y").ok());
  c.Stabilize();
  EXPECT_NE(c.applied_data(4).back(), "y");
  c.Restart(3);
  c.Stabilize();
  for (int i = 0; i < 3 && c.applied_data(4).back() != "y"; ++i) {
    c.TickAll();
    c.Stabilize();
  }
  EXPECT_EQ(c.applied_data(4).back(), "y");
  EXPECT_TRUE(c.ok()) << c.violation();
}

// Thesis 4.2.2: the leader removes itself. It leads until the change is
// committed and applied, then steps down and never campaigns again; the
// others elect a leader.
TEST(RaftMembershipTest, RemovedLeaderStepsDownAndStaysOut) {
  MemberCluster c({1, 2, 3}, {});
  ASSERT_NO_FATAL_FAILURE(MakeLeader(c, 1));
  ASSERT_TRUE(c.node(1)
                  .ProposeConfChange({raftpb::kConfChangeRemoveNode, 1, "", 0})
                  .ok());
  c.Stabilize();
  EXPECT_EQ(c.node(1).GetBasicStatus().soft_state.raft_state, kFollower);
  EXPECT_EQ(Voters(c, 2), (std::vector<uint64_t>{2, 3}));
  uint64_t term = c.node(1).raft().term();
  EXPECT_EQ(c.node(1).Propose("z"), ErrProposalDroppedNoLeader());
  uint64_t l = c.ElectLeader();
  EXPECT_TRUE(l == 2 || l == 3) << l;
  // However long it waits, node 1 does not campaign.
  for (int i = 0; i < 100; ++i) {
    c.TickAll();
    c.Stabilize();
  }
  EXPECT_NE(c.Leader(), 1u);
  EXPECT_EQ(c.node(1).raft().term(), term);
  EXPECT_TRUE(c.ok()) << c.violation();
}

// A removed follower stops campaigning once it has applied its removal.
TEST(RaftMembershipTest, RemovedFollowerStopsCampaigning) {
  MemberCluster c({1, 2, 3}, {});
  ASSERT_NO_FATAL_FAILURE(MakeLeader(c, 1));
  ASSERT_TRUE(Change(c, V2({{raftpb::kConfChangeRemoveNode, 3}})).ok());
  ASSERT_EQ(Voters(c, 3), (std::vector<uint64_t>{1, 2}));
  c.Isolate(3);
  uint64_t term = c.node(3).raft().term();
  for (int i = 0; i < 100; ++i) c.Tick(3);
  c.Stabilize();
  EXPECT_EQ(c.node(3).raft().term(), term);
  EXPECT_FALSE(c.node(3).raft().Promotable());
  EXPECT_TRUE(c.ok()) << c.violation();
}

// Thesis 4.3: replacing a member in one joint change (auto leave) never
// leaves the group with an even number of voters in between.
TEST(RaftMembershipTest, ReplaceMemberThroughJointConsensus) {
  MemberCluster c({1, 2, 3}, {});
  ASSERT_NO_FATAL_FAILURE(MakeLeader(c, 1));
  c.AddNode(4);
  ASSERT_TRUE(Change(c, V2({{raftpb::kConfChangeRemoveNode, 3},
                            {raftpb::kConfChangeAddNode, 4}}))
                  .ok());
  for (uint64_t id : {1, 2, 4}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(Voters(c, id), (std::vector<uint64_t>{1, 2, 4}));
    EXPECT_TRUE(c.conf_state(id).voters_outgoing.empty());
  }
  ASSERT_TRUE(c.node(1).Propose("after").ok());
  c.Stabilize();
  EXPECT_EQ(c.applied_data(4).back(), "after");
  EXPECT_TRUE(c.ok()) << c.violation();
}

// Thesis 4.2.3: a server removed while partitioned never learns it, times
// out and campaigns. With pre_vote and check_quorum the members, hearing
// from their leader, ignore it: the leader and the term stay.
TEST(RaftMembershipTest, DisruptiveRemovedServerIsIgnored) {
  MemberCluster::Options o;
  o.pre_vote = true;
  o.check_quorum = true;
  MemberCluster c({1, 2, 3, 4}, o);
  ASSERT_NO_FATAL_FAILURE(MakeLeader(c, 1));
  c.Isolate(4);
  ASSERT_TRUE(Change(c, V2({{raftpb::kConfChangeRemoveNode, 4}})).ok());
  ASSERT_EQ(Voters(c, 1), (std::vector<uint64_t>{1, 2, 3}));
  ASSERT_EQ(Voters(c, 4), (std::vector<uint64_t>{1, 2, 3, 4}));
  c.Heal();
  uint64_t term = c.node(1).raft().term();
  for (int i = 0; i < 200; ++i) {
    c.TickAll();
    c.Stabilize();
  }
  EXPECT_EQ(c.Leader(), 1u);
  EXPECT_EQ(c.node(1).raft().term(), term);
  EXPECT_EQ(c.node(2).raft().term(), term);
  EXPECT_TRUE(c.ok()) << c.violation();
}

// A committed change that does not fit the configuration (validation was
// disabled at proposal time) is refused by every member alike; nobody
// crashes and the configuration stays the same everywhere.
TEST(RaftMembershipTest, InvalidCommittedChangeIsRefusedAlike) {
  MemberCluster::Options o;
  o.disable_conf_change_validation = true;
  MemberCluster c({1, 2, 3}, o);
  ASSERT_NO_FATAL_FAILURE(MakeLeader(c, 1));
  // Leaving a joint config that is not joint.
  ASSERT_TRUE(Change(c, raftpb::ConfChangeV2{}).ok());
  ASSERT_TRUE(Change(c, V2({{raftpb::kConfChangeRemoveNode, 3}},
                           raftpb::kConfChangeTransitionJointExplicit))
                  .ok());
  ASSERT_EQ(c.conf_state(2).voters_outgoing, (std::vector<uint64_t>{1, 2, 3}));
  // Entering a joint config twice.
  ASSERT_TRUE(Change(c, V2({{raftpb::kConfChangeAddNode, 3}},
                           raftpb::kConfChangeTransitionJointExplicit))
                  .ok());
  ASSERT_TRUE(Change(c, raftpb::ConfChangeV2{}).ok());
  for (uint64_t id : {1, 2, 3}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(c.refused_changes(id), 2);
    EXPECT_EQ(Voters(c, id), (std::vector<uint64_t>{1, 2}));
  }
  EXPECT_EQ(Voters(c, 1), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(Voters(c, 2), (std::vector<uint64_t>{1, 2}));
  ASSERT_TRUE(c.node(1).Propose("still").ok());
  c.Stabilize();
  EXPECT_EQ(c.applied_data(2).back(), "still");
  EXPECT_TRUE(c.ok()) << c.violation();
}

// ---- Randomized joint-consensus safety ----

// One run: random membership changes (simple and joint, learners,
// promotions, demotions, removals of the leader), proposals, partitions,
// message loss, crashes and restarts, with the cluster's safety checks after
// every event; then the network heals, every node restarts, and the group
// must elect a leader and commit a final entry on every member.
int RunRandomized(uint64_t seed, int steps) {
  std::mt19937_64 rng(seed);
  auto pick = [&rng](size_t n) {
    return static_cast<size_t>(
        std::uniform_int_distribution<size_t>(0, n - 1)(rng));
  };
  MemberCluster::Options o;
  o.seed = seed;
  o.pre_vote = pick(2) == 0;
  o.check_quorum = pick(2) == 0;
  MemberCluster c({1, 2, 3}, o);
  uint64_t next_id = 4;
  const uint64_t kMaxId = 8;
  int proposals = 0;
  // Started nodes that no accepted proposal names yet (never members, so
  // their ids may still be used), and those named by the proposal being
  // built.
  std::vector<uint64_t> spare;
  std::vector<uint64_t> fresh;
  int down = 0;

  auto random_change = [&](const tracker::Config& cfg) {
    raftpb::ConfChangeV2 cc;
    if (cfg.voters.joint()) return cc;  // Leave (explicit or early).
    std::vector<uint64_t> voters = cfg.voters.incoming.Slice();
    std::vector<uint64_t> learners(cfg.learners.begin(), cfg.learners.end());
    auto add_new = [&](raftpb::ConfChangeType t) {
      uint64_t id = 0;
      if (!spare.empty()) {
        id = spare.back();
        spare.pop_back();
      } else if (next_id <= kMaxId) {
        id = next_id++;
        c.AddNode(id);
      } else {
        return false;
      }
      fresh.push_back(id);
      cc.changes.push_back({t, id});
      return true;
    };
    // Removals and demotions only from three voters up. From two voters to
    // one, a removed leader whose last MsgApp is lost leaves the other
    // needing its vote, which its longer log denies: a liveness limit of
    // applying changes at apply time (docs/raft.md), not a safety one.
    bool may_shrink = voters.size() >= 3;
    uint64_t victim = voters[pick(voters.size())];
    switch (pick(7)) {
      case 0:
        add_new(raftpb::kConfChangeAddLearnerNode);
        break;
      case 1:
        if (!learners.empty()) {
          cc.changes.push_back(
              {raftpb::kConfChangeAddNode, learners[pick(learners.size())]});
        }
        break;
      case 2:
        if (may_shrink)
          cc.changes.push_back({raftpb::kConfChangeRemoveNode, victim});
        break;
      case 3:
        if (may_shrink)
          cc.changes.push_back({raftpb::kConfChangeAddLearnerNode, victim});
        break;
      case 4:
        add_new(raftpb::kConfChangeAddNode);
        break;
      default: {
        // Joint: replace a voter, perhaps demote another.
        if (!may_shrink) break;
        cc.changes.push_back({raftpb::kConfChangeRemoveNode, victim});
        if (!add_new(raftpb::kConfChangeAddNode) && !learners.empty()) {
          cc.changes.push_back(
              {raftpb::kConfChangeAddNode, learners[pick(learners.size())]});
        }
        if (pick(2) == 0) {
          cc.changes.push_back(
              {raftpb::kConfChangeAddLearnerNode, voters[pick(voters.size())]});
        }
        cc.transition = pick(2) == 0
                            ? raftpb::kConfChangeTransitionJointExplicit
                            : raftpb::kConfChangeTransitionJointImplicit;
      }
    }
    return cc;
  };

  for (int step = 0; step < steps && c.ok(); ++step) {
    std::vector<uint64_t> ids = c.ids();
    uint64_t id = ids[pick(ids.size())];
    size_t op = pick(100);
    if (op < 25) {
      c.Tick(id);
    } else if (op < 55) {
      c.Deliver(1 + pick(20));
    } else if (op < 75) {
      c.Process(id);
    } else if (op < 80) {
      if (c.Up(id)) {
        (void)c.node(id).Propose("p" + std::to_string(++proposals));
      }
    } else if (op < 94) {
      uint64_t l = c.Leader();
      if (l != 0) {
        fresh.clear();
        base::Status s = c.node(l).ProposeConfChangeV2(
            random_change(c.node(l).raft().trk().config));
        if (!s.ok()) {
          if (!IsProposalDropped(s)) {
            ADD_FAILURE() << "unexpected proposal error " << s;
          }
          spare.insert(spare.end(), fresh.begin(), fresh.end());
        }
      }
    } else if (op < 96) {
      // At most one node is down at a time.
      if (!c.Up(id)) {
        c.Restart(id);
        --down;
      } else if (++down <= 1) {
        c.Crash(id);
      } else {
        --down;
      }
    } else if (op < 98) {
      c.Heal();
      c.Isolate(id);
    } else if (op < 99) {
      c.Heal();
    } else {
      c.set_drop_rate(pick(2) == 0 ? 0.0 : 0.2);
    }
  }
  EXPECT_TRUE(c.ok()) << c.violation();
  if (!c.ok()) return 0;

  // Liveness: heal and restart everything; then, electing leaders again
  // as needed, an entry "final" commits on every member of the leader's
  // configuration.
  c.Heal();
  c.set_drop_rate(0);
  for (uint64_t id : c.ids()) c.Restart(id);
  auto everywhere = [&c](uint64_t l) {
    const tracker::Config& cfg = c.node(l).raft().trk().config;
    std::set<uint64_t> members = cfg.voters.IDs();
    members.insert(cfg.learners.begin(), cfg.learners.end());
    for (uint64_t id : members) {
      const std::vector<std::string>& d = c.applied_data(id);
      if (std::find(d.begin(), d.end(), "final") == d.end()) return false;
    }
    return true;
  };
  uint64_t l = 0;
  bool done = false;
  for (int round = 0; round < 500 && !done && c.ok(); ++round) {
    c.TickAll();
    c.Stabilize();
    l = c.Leader();
    if (l == 0) continue;
    const std::vector<std::string>& d = c.applied_data(l);
    if (std::find(d.begin(), d.end(), "final") == d.end()) {
      (void)c.node(l).Propose("final");
      c.Stabilize();
    }
    done = everywhere(l);
  }
  EXPECT_TRUE(c.ok()) << c.violation();
  if (!done) {
    std::string state;
    for (uint64_t id : c.ids()) {
      raft::Status st = c.node(id).GetStatus();
      state += "\n" + st.ToJson() + " " + st.config.String() +
               " applied data " + std::to_string(c.applied_data(id).size());
    }
    ADD_FAILURE() << "\"final\" did not commit everywhere after healing:"
                  << state;
  }
  if (!done || !c.ok()) return 0;
  const tracker::Config& cfg = c.node(l).raft().trk().config;
  std::set<uint64_t> members = cfg.voters.IDs();
  members.insert(cfg.learners.begin(), cfg.learners.end());
  for (uint64_t id : members) {
    SCOPED_TRACE("member " + std::to_string(id));
    const std::vector<std::string>& d = c.applied_data(id);
    EXPECT_NE(std::find(d.begin(), d.end(), "final"), d.end());
    // Every member applied the same sequence as the leader (up to where
    // the shorter one ends).
    const std::vector<std::string>& ld = c.applied_data(l);
    size_t n = std::min(d.size(), ld.size());
    EXPECT_TRUE(
        std::equal(d.begin(), d.begin() + static_cast<long>(n), ld.begin()));
  }
  // Proposal validation has no false negatives: no committed change was
  // refused when applied.
  for (uint64_t id : c.ids()) EXPECT_EQ(c.refused_changes(id), 0) << id;
  // Leader completeness: every entry anyone applied is in the leader's log.
  const RaftLog& log = c.node(l).raft().raft_log();
  for (const auto& [index, term_desc] : c.applied_log()) {
    if (index < log.FirstIndex()) continue;
    base::Result<uint64_t> t = log.Term(index);
    EXPECT_TRUE(t.ok()) << index;
    if (t.ok()) {
      EXPECT_EQ(*t, term_desc.first)
          << "index " << index << " " << term_desc.second;
    }
  }
  int changes = 0;
  for (const auto& [index, term_desc] : c.applied_log()) {
    if (term_desc.second.find("EntryConfChange") != std::string::npos) {
      ++changes;
    }
  }
  return changes;
}

TEST(RaftMembershipTest, JointConsensusSafetyRandomized) {
  std::vector<uint64_t> seeds;
  if (const char* env = std::getenv("CAIRN_MEMBERSHIP_SEED")) {
    seeds.push_back(std::strtoull(env, nullptr, 10));
  } else {
    for (uint64_t s = 1; s <= 50; ++s) seeds.push_back(s);
  }
  int changes = 0;
  for (uint64_t seed : seeds) {
    SCOPED_TRACE("seed " + std::to_string(seed) +
                 " (replay: CAIRN_MEMBERSHIP_SEED=" + std::to_string(seed) +
                 ")");
    changes += RunRandomized(seed, 3000);
    if (::testing::Test::HasFailure()) break;
  }
  // The runs did change the membership, many times.
  EXPECT_GE(changes, static_cast<int>(seeds.size()) * 2);
  std::printf("%d configuration changes applied over %zu seeds\n", changes,
              seeds.size());
}

}  // namespace
}  // namespace raft::test
