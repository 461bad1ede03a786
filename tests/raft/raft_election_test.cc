// PreVote (thesis 9.6) and CheckQuorum (thesis 6.2, "leader lease" 4.2.3)
// on networks of raft nodes: a partitioned node that rejoins must not
// depose a stable leader, a leader cut off from its quorum steps down, and
// the two options combine. After etcd/raft's TestLeaderElectionWithCheckQuorum,
// TestFreeStuckCandidateWithCheckQuorum, TestDisruptiveFollower(PreVote),
// TestPreVoteWithCheckQuorum and friends.

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <string>

#include "raft/raft.h"
#include "tests/raft/harness/test_raft.h"

namespace raft_test {
namespace {

using raft::StateType;
using raftpb::Message;

raft::StderrLogger* DebugLogger() {
  static raft::StderrLogger logger(raft::LogLevel::kDebug);
  return getenv("RAFT_DEBUG") ? &logger : nullptr;
}

ConfigTweak Options(bool pre_vote, bool check_quorum) {
  return [=](raft::Config& c) {
    c.logger = DebugLogger();
    c.pre_vote = pre_vote;
    c.check_quorum = check_quorum;
  };
}

// Ticks node `id` once per tick and sends what it emits through the
// network (so partitions apply), `ticks` times.
void Tick(RaftNetwork& n, uint64_t id, int ticks) {
  RaftPeer* p = n.peers.at(id);
  for (int i = 0; i < ticks; ++i) {
    p->raft().Tick();
    n.net->Send(n.net->Filter(p->ReadMessages()));
  }
}

// Elects node 1 in a fresh network and checks it.
RaftNetwork ElectedNetwork(size_t size, const ConfigTweak& tweak) {
  RaftNetwork n = NewRaftNetwork(size, tweak);
  n.net->Send(Hup(1));
  EXPECT_EQ(n.raft(1).state(), StateType::kStateLeader);
  return n;
}

TEST(RaftElectionTest, PreVoteElectsLeaderWithoutExtraTerm) {
  RaftNetwork n = ElectedNetwork(3, Options(true, false));
  // The pre-vote round does not bump the term: one real election, term 1.
  for (uint64_t id : {1u, 2u, 3u}) {
    EXPECT_EQ(n.raft(id).term(), 1u) << id;
    EXPECT_EQ(n.raft(id).lead(), 1u) << id;
  }
  EXPECT_EQ(n.raft(2).state(), StateType::kStateFollower);
  bool saw_prevote = false;
  for (const Message& m : n.net->delivered()) {
    saw_prevote |= m.type == raftpb::kMsgPreVote;
  }
  EXPECT_TRUE(saw_prevote);
}

// Thesis 9.6: a node that cannot win (its pre-votes are refused) never
// increases its term, so when it rejoins it does not depose the leader.
TEST(RaftElectionTest, PreVotePartitionedNodeRejoinsWithoutDisruption) {
  RaftNetwork n = ElectedNetwork(3, Options(true, false));
  n.net->Isolate(3);
  for (int i = 0; i < 3; ++i) n.net->Send(Prop(1, "data"));
  const uint64_t leader_last = n.raft(1).raft_log().LastIndex();

  // Node 3 times out again and again: each time a pre-candidate, never a
  // candidate, and its term stays 1.
  for (int round = 0; round < 5; ++round) {
    Tick(n, 3, 2 * n.raft(3).election_timeout());
    EXPECT_EQ(n.raft(3).state(), StateType::kStatePreCandidate);
    EXPECT_EQ(n.raft(3).term(), 1u);
  }

  n.net->Recover();
  n.net->Send(Hup(3));
  // Its log is behind, so the pre-votes are refused; nobody's term moves
  // and, having lost the pre-vote, 3 returns to follower.
  EXPECT_EQ(n.raft(1).state(), StateType::kStateLeader);
  EXPECT_EQ(n.raft(1).term(), 1u);
  EXPECT_EQ(n.raft(2).term(), 1u);
  EXPECT_EQ(n.raft(3).term(), 1u);
  EXPECT_EQ(n.raft(3).state(), StateType::kStateFollower);

  // The next heartbeat brings 3 back as a follower with the leader's log.
  Tick(n, 1, n.raft(1).heartbeat_timeout());
  EXPECT_EQ(n.raft(3).state(), StateType::kStateFollower);
  EXPECT_EQ(n.raft(3).lead(), 1u);
  EXPECT_EQ(n.raft(3).raft_log().LastIndex(), leader_last);
  EXPECT_EQ(n.raft(3).raft_log().committed(), n.raft(1).raft_log().committed());
}

// Without PreVote the same rejoin does disrupt: 3's term went up while it
// was isolated, and the leader steps down when it hears of the higher term
// (the reason PreVote exists).
TEST(RaftElectionTest, WithoutPreVoteRejoiningNodeDisruptsLeader) {
  RaftNetwork n = ElectedNetwork(3, Options(false, false));
  n.net->Isolate(3);
  n.net->Send(Prop(1, "data"));
  Tick(n, 3, 2 * n.raft(3).election_timeout());
  EXPECT_EQ(n.raft(3).state(), StateType::kStateCandidate);
  EXPECT_GT(n.raft(3).term(), 1u);
  const uint64_t t3 = n.raft(3).term();
  n.net->Recover();
  n.net->Send(Hup(3));
  EXPECT_NE(n.raft(1).state(), StateType::kStateLeader);
  EXPECT_GT(n.raft(1).term(), 1u);
  EXPECT_GE(n.raft(1).term(), t3);
  // 3's log is behind, so it cannot win; 3 is not leader.
  EXPECT_NE(n.raft(3).state(), StateType::kStateLeader);
}

// Thesis 6.2: with CheckQuorum a leader that has not heard from a quorum
// for an election timeout steps down.
TEST(RaftElectionTest, CheckQuorumLeaderStepsDownWhenQuorumLost) {
  auto p = RaftPeer::New(1, 5, 1, TestStorage::WithPeers({1, 2, 3}),
                         Options(false, true));
  raft::Raft& r = p->raft();
  r.BecomeCandidate();
  r.BecomeLeader();
  for (int i = 0; i < r.election_timeout() + 1; ++i) r.Tick();
  EXPECT_EQ(r.state(), StateType::kStateFollower);
  EXPECT_EQ(r.term(), 1u);
  EXPECT_EQ(r.lead(), 0u);
}

TEST(RaftElectionTest, CheckQuorumLeaderStaysWhenQuorumActive) {
  auto p = RaftPeer::New(1, 5, 1, TestStorage::WithPeers({1, 2, 3}),
                         Options(false, true));
  raft::Raft& r = p->raft();
  r.BecomeCandidate();
  r.BecomeLeader();
  for (int i = 0; i < 3 * r.election_timeout(); ++i) {
    ASSERT_TRUE(r.Step(Msg(2, 1, raftpb::kMsgHeartbeatResp, r.term())).ok());
    r.Tick();
  }
  EXPECT_EQ(r.state(), StateType::kStateLeader);
}

// The same on a network: the leader of 5 is partitioned with one follower;
// it steps down within an election timeout while the majority side elects a
// new leader; after healing there is one leader, of the higher term.
TEST(RaftElectionTest, CheckQuorumMinorityLeaderStepsDownAndHeals) {
  RaftNetwork n = ElectedNetwork(5, Options(false, true));
  for (uint64_t a : {1u, 2u}) {
    for (uint64_t b : {3u, 4u, 5u}) n.net->Cut(a, b);
  }
  const int et = n.raft(1).election_timeout();
  // The majority side times out (ticks beyond any randomized timeout) and
  // elects a leader in term 2.
  for (int i = 0; i < 2 * et; ++i) {
    for (uint64_t id : {3u, 4u, 5u}) Tick(n, id, 1);
  }
  int majority_leaders = 0;
  for (uint64_t id : {3u, 4u, 5u}) {
    majority_leaders += n.raft(id).state() == StateType::kStateLeader;
  }
  EXPECT_EQ(majority_leaders, 1);
  // The old leader hears only from node 2: no quorum, it steps down. Its
  // first quorum check (after one election timeout) still counts the
  // activity seen before the partition; the second one fails.
  Tick(n, 1, et);
  EXPECT_EQ(n.raft(1).state(), StateType::kStateLeader);
  Tick(n, 1, et);
  EXPECT_EQ(n.raft(1).state(), StateType::kStateFollower);
  EXPECT_EQ(n.raft(1).term(), 1u);

  n.net->Recover();
  for (uint64_t id : {3u, 4u, 5u}) {
    if (n.raft(id).state() == StateType::kStateLeader) {
      Tick(n, id, n.raft(id).heartbeat_timeout());
    }
  }
  uint64_t lead = 0;
  for (uint64_t id = 1; id <= 5; ++id) {
    if (n.raft(id).state() == StateType::kStateLeader) {
      EXPECT_EQ(lead, 0u) << "two leaders";
      lead = id;
    }
  }
  ASSERT_NE(lead, 0u);
  for (uint64_t id = 1; id <= 5; ++id) {
    EXPECT_EQ(n.raft(id).lead(), lead) << id;
    EXPECT_EQ(n.raft(id).term(), n.raft(lead).term()) << id;
  }
}

// Thesis 4.2.3: with CheckQuorum a follower that heard from a leader within
// the election timeout ignores vote requests (the leader lease); once the
// lease expired it votes again.
TEST(RaftElectionTest, LeaderSupersedingWithCheckQuorum) {
  RaftNetwork n = NewRaftNetwork(3, Options(false, true));
  raft::Raft& b = n.raft(2);
  SetRandomizedElectionTimeout(b, b.election_timeout() + 1);
  for (int i = 0; i < b.election_timeout(); ++i) b.Tick();
  n.net->Send(Hup(1));
  ASSERT_EQ(n.raft(1).state(), StateType::kStateLeader);
  EXPECT_EQ(n.raft(3).state(), StateType::kStateFollower);

  n.net->Send(Hup(3));
  // Node 2 refused: its election_elapsed had not reached the timeout.
  EXPECT_EQ(n.raft(3).state(), StateType::kStateCandidate);
  EXPECT_EQ(n.raft(1).state(), StateType::kStateLeader);

  // Let node 2's lease on leader 1 expire.
  for (int i = 0; i < b.election_timeout(); ++i) b.Tick();
  n.net->Send(Hup(3));
  EXPECT_EQ(n.raft(3).state(), StateType::kStateLeader);
}

TEST(RaftElectionTest, LeaderElectionWithCheckQuorum) {
  RaftNetwork n = NewRaftNetwork(3, Options(false, true));
  raft::Raft& a = n.raft(1);
  raft::Raft& b = n.raft(2);
  SetRandomizedElectionTimeout(a, a.election_timeout() + 1);
  SetRandomizedElectionTimeout(b, b.election_timeout() + 2);
  // Right after start votes are cast regardless of the election timeout.
  n.net->Send(Hup(1));
  ASSERT_EQ(a.state(), StateType::kStateLeader);
  EXPECT_EQ(n.raft(3).state(), StateType::kStateFollower);

  // Reset the timeouts above election_timeout (becoming leader/follower
  // may have redrawn them), then let both leases run out.
  SetRandomizedElectionTimeout(a, a.election_timeout() + 1);
  SetRandomizedElectionTimeout(b, b.election_timeout() + 2);
  for (int i = 0; i < a.election_timeout(); ++i) a.Tick();
  for (int i = 0; i < b.election_timeout(); ++i) b.Tick();
  n.net->Send(Hup(3));
  EXPECT_EQ(a.state(), StateType::kStateFollower);
  EXPECT_EQ(n.raft(3).state(), StateType::kStateLeader);
}

// A candidate stuck at a higher term (isolated, it kept campaigning) must be
// able to rejoin: the leader's stale heartbeat is answered with the higher
// term, the leader steps down, and the stuck node can then win.
TEST(RaftElectionTest, FreeStuckCandidateWithCheckQuorum) {
  RaftNetwork n = NewRaftNetwork(3, Options(false, true));
  raft::Raft& a = n.raft(1);
  raft::Raft& b = n.raft(2);
  raft::Raft& c = n.raft(3);
  SetRandomizedElectionTimeout(b, b.election_timeout() + 1);
  for (int i = 0; i < b.election_timeout(); ++i) b.Tick();
  n.net->Send(Hup(1));

  n.net->Isolate(1);
  n.net->Send(Hup(3));
  EXPECT_EQ(b.state(), StateType::kStateFollower);
  EXPECT_EQ(c.state(), StateType::kStateCandidate);
  EXPECT_EQ(c.term(), b.term() + 1);

  // Campaign again: still refused (2 is in its lease), the term grows.
  n.net->Send(Hup(3));
  EXPECT_EQ(b.state(), StateType::kStateFollower);
  EXPECT_EQ(c.state(), StateType::kStateCandidate);
  EXPECT_EQ(c.term(), b.term() + 2);

  n.net->Recover();
  n.net->Send(Msg(1, 3, raftpb::kMsgHeartbeat, a.term()));
  // The leader learned the higher term and stepped down.
  EXPECT_EQ(a.state(), StateType::kStateFollower);
  EXPECT_EQ(a.term(), c.term());

  n.net->Send(Hup(3));
  EXPECT_EQ(c.state(), StateType::kStateLeader);
}

// A follower whose election timer fires just before the leader's heartbeat
// arrives becomes a candidate of a higher term; without PreVote its answer
// to the late heartbeat deposes the leader.
TEST(RaftElectionTest, DisruptiveFollower) {
  RaftNetwork n = NewRaftNetwork(3, Options(false, true));
  for (uint64_t id : {1u, 2u, 3u}) n.raft(id).BecomeFollower(1, 0);
  n.net->Send(Hup(1));
  ASSERT_EQ(n.raft(1).state(), StateType::kStateLeader);
  ASSERT_EQ(n.raft(2).state(), StateType::kStateFollower);
  ASSERT_EQ(n.raft(3).state(), StateType::kStateFollower);

  raft::Raft& n3 = n.raft(3);
  SetRandomizedElectionTimeout(n3, n3.election_timeout() + 2);
  for (int i = 0; i < n3.randomized_election_timeout(); ++i) n3.Tick();
  // n3's vote requests are still queued in n3 (not sent).
  EXPECT_EQ(n.raft(1).state(), StateType::kStateLeader);
  EXPECT_EQ(n3.state(), StateType::kStateCandidate);
  EXPECT_EQ(n.raft(1).term(), 2u);
  EXPECT_EQ(n.raft(2).term(), 2u);
  EXPECT_EQ(n3.term(), 3u);

  // The delayed heartbeat of leader 1 (term 2) reaches n3 (term 3), which
  // answers with its higher term: the leader steps down.
  n.net->Send(Msg(1, 3, raftpb::kMsgHeartbeat, n.raft(1).term()));
  EXPECT_EQ(n.raft(1).state(), StateType::kStateFollower);
  EXPECT_EQ(n.raft(2).state(), StateType::kStateFollower);
  EXPECT_EQ(n3.state(), StateType::kStateCandidate);
  EXPECT_EQ(n.raft(1).term(), 3u);
  EXPECT_EQ(n.raft(2).term(), 2u);
  EXPECT_EQ(n3.term(), 3u);
}

// With PreVote the same node only becomes a pre-candidate (no term bump),
// and the late heartbeat does not depose the leader.
TEST(RaftElectionTest, DisruptiveFollowerPreVote) {
  RaftNetwork n = NewRaftNetwork(3, Options(false, true));
  for (uint64_t id : {1u, 2u, 3u}) n.raft(id).BecomeFollower(1, 0);
  n.net->Send(Hup(1));
  ASSERT_EQ(n.raft(1).state(), StateType::kStateLeader);

  n.net->Isolate(3);
  for (int i = 0; i < 3; ++i) n.net->Send(Prop(1, "somedata"));
  for (uint64_t id : {1u, 2u, 3u}) n.raft(id).set_pre_vote(true);
  n.net->Recover();
  n.net->Send(Hup(3));

  EXPECT_EQ(n.raft(1).state(), StateType::kStateLeader);
  EXPECT_EQ(n.raft(2).state(), StateType::kStateFollower);
  EXPECT_EQ(n.raft(3).state(), StateType::kStatePreCandidate);
  for (uint64_t id : {1u, 2u, 3u}) EXPECT_EQ(n.raft(id).term(), 2u) << id;

  n.net->Send(Msg(1, 3, raftpb::kMsgHeartbeat, n.raft(1).term()));
  EXPECT_EQ(n.raft(1).state(), StateType::kStateLeader);
}

// PreVote and CheckQuorum together: when the leader is isolated, the others
// refuse pre-votes while their lease on it holds, then elect a new leader
// once it expired; the old leader steps down by CheckQuorum, and after
// healing it follows the new leader without disrupting it.
TEST(RaftElectionTest, PreVoteWithCheckQuorum) {
  RaftNetwork n = ElectedNetwork(3, Options(true, true));
  n.net->Isolate(1);

  // Within the lease, 2's pre-vote is refused by 3 (it heard from the
  // leader recently), so nothing changes.
  n.net->Send(Hup(2));
  EXPECT_EQ(n.raft(2).state(), StateType::kStatePreCandidate);
  EXPECT_EQ(n.raft(2).term(), 1u);
  EXPECT_EQ(n.raft(3).term(), 1u);

  // Let 2 and 3 time out; one of them wins term 2.
  const int et = n.raft(2).election_timeout();
  for (int i = 0; i < 2 * et; ++i) {
    Tick(n, 2, 1);
    Tick(n, 3, 1);
  }
  const bool two = n.raft(2).state() == StateType::kStateLeader;
  const bool three = n.raft(3).state() == StateType::kStateLeader;
  ASSERT_NE(two, three) << "exactly one of 2 and 3 must lead";
  const uint64_t lead = two ? 2 : 3;
  EXPECT_EQ(n.raft(lead).term(), 2u);

  // The old leader loses its quorum and steps down (at its second quorum
  // check: the first one still counts the activity seen before).
  Tick(n, 1, 2 * n.raft(1).election_timeout());
  EXPECT_EQ(n.raft(1).state(), StateType::kStateFollower);
  // Isolated, it only pre-campaigns: its term stays 1.
  Tick(n, 1, 2 * n.raft(1).election_timeout());
  EXPECT_EQ(n.raft(1).term(), 1u);

  n.net->Recover();
  Tick(n, lead, n.raft(lead).heartbeat_timeout());
  EXPECT_EQ(n.raft(1).state(), StateType::kStateFollower);
  EXPECT_EQ(n.raft(1).lead(), lead);
  EXPECT_EQ(n.raft(1).term(), 2u);
  EXPECT_EQ(n.raft(lead).state(), StateType::kStateLeader);
}

// A pre-candidate that loses its pre-vote round keeps its term and returns
// to follower, so a node with a stale log cannot raise terms (thesis 9.6).
TEST(RaftElectionTest, PreVoteRejectedByUpToDateCheck) {
  RaftNetwork n = ElectedNetwork(3, Options(true, false));
  n.net->Isolate(3);
  n.net->Send(Prop(1, "x"));
  n.net->Recover();
  n.net->ClearTrace();
  // Nodes 1 and 2 have a longer log than 3: 3's pre-vote is refused by
  // both (the leader refuses too, without stepping down).
  n.net->Send(Hup(3));
  EXPECT_EQ(n.raft(1).state(), StateType::kStateLeader);
  EXPECT_EQ(n.raft(3).term(), 1u);
  int rejections = 0;
  for (const Message& m : n.net->delivered()) {
    if (m.type == raftpb::kMsgPreVoteResp && m.to == 3) {
      EXPECT_TRUE(m.reject);
      // A refusal carries the voter's own term (a grant would carry the
      // proposed one); the voter's term did not move.
      EXPECT_EQ(m.term, 1u);
      ++rejections;
    }
  }
  EXPECT_EQ(rejections, 2);
}

// A node partitioned away (and behind) rejoins while the leader is cut
// off: with PreVote the remaining two must still elect a leader, although
// the rejoining node has a smaller term (etcd's
// TestNodeWithSmallerTermCanCompleteElection; PreVote used to deadlock
// here).
TEST(RaftElectionTest, NodeWithSmallerTermCanCompleteElection) {
  RaftNetwork n = NewRaftNetwork(3, Options(true, false));
  for (uint64_t id : {1u, 2u, 3u}) n.raft(id).BecomeFollower(1, 0);
  n.net->Cut(1, 3);
  n.net->Cut(2, 3);

  n.net->Send(Hup(1));
  ASSERT_EQ(n.raft(1).state(), StateType::kStateLeader);
  ASSERT_EQ(n.raft(2).state(), StateType::kStateFollower);
  n.net->Send(Hup(3));
  ASSERT_EQ(n.raft(3).state(), StateType::kStatePreCandidate);
  n.net->Send(Hup(2));

  EXPECT_EQ(n.raft(1).term(), 3u);
  EXPECT_EQ(n.raft(2).term(), 3u);
  EXPECT_EQ(n.raft(3).term(), 1u);
  EXPECT_EQ(n.raft(1).state(), StateType::kStateFollower);
  EXPECT_EQ(n.raft(2).state(), StateType::kStateLeader);
  EXPECT_EQ(n.raft(3).state(), StateType::kStatePreCandidate);

  // Bring 3 back and "crash" the leader 2.
  n.net->Recover();
  n.net->Cut(2, 1);
  n.net->Cut(2, 3);
  n.net->Send(Hup(3));
  n.net->Send(Hup(1));
  EXPECT_TRUE(n.raft(1).state() == StateType::kStateLeader ||
              n.raft(3).state() == StateType::kStateLeader)
      << "no leader";
}

// A node that is not in its own configuration cannot campaign, but it
// still follows (and votes for) a leader (etcd's
// TestNonPromotableVoterWithCheckQuorum).
TEST(RaftElectionTest, NonPromotableVoterWithCheckQuorum) {
  auto a = RaftPeer::New(1, 10, 1, TestStorage::WithPeers({1, 2}),
                         Options(false, true));
  auto b = RaftPeer::New(2, 10, 1, TestStorage::WithPeers({1}),
                         Options(false, true));
  RaftPeer* pa = a.get();
  RaftPeer* pb = b.get();
  ASSERT_FALSE(pb->raft().Promotable());
  Network net;
  net.AddPeer(1, std::move(a));
  net.AddPeer(2, std::move(b));

  SetRandomizedElectionTimeout(pb->raft(), pb->raft().election_timeout() + 1);
  for (int i = 0; i < 2 * pb->raft().election_timeout(); ++i) {
    pb->raft().Tick();
    net.Send(pb->ReadMessages());
  }
  EXPECT_EQ(pb->raft().state(), StateType::kStateFollower);
  EXPECT_EQ(pb->raft().term(), 0u) << "a non-promotable node campaigned";

  net.Send(Hup(1));
  EXPECT_EQ(pa->raft().state(), StateType::kStateLeader);
  EXPECT_EQ(pb->raft().state(), StateType::kStateFollower);
  EXPECT_EQ(pb->raft().lead(), 1u);
}

// Election Safety and State Machine Safety (paper Figure 3) under random
// partitions, message loss, ticks and proposals, with PreVote and
// CheckQuorum chosen by the seed: at most one leader per term, and no two
// nodes ever disagree on a committed entry. At the end the network heals
// and a leader must commit everything.
// Replay one seed with CAIRN_TEST_SEED=<n>.
void RunRandomizedSafety(uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto coin = [&](int percent) {
    return static_cast<int>(rng() % 100) < percent;
  };
  const bool pre_vote = coin(50);
  const bool check_quorum = coin(50);
  RaftNetwork n = NewRaftNetwork(5, Options(pre_vote, check_quorum), seed);
  std::map<uint64_t, uint64_t> leader_of_term;
  int proposals = 0;

  // The term of each committed index, as first seen committed anywhere,
  // and how far each node's commit has been checked against it.
  std::vector<uint64_t> committed_terms = {0};
  std::map<uint64_t, uint64_t> checked;
  auto check = [&]() {
    for (uint64_t id = 1; id <= 5; ++id) {
      raft::Raft& r = n.raft(id);
      if (r.state() == StateType::kStateLeader) {
        auto [it, inserted] = leader_of_term.emplace(r.term(), id);
        ASSERT_EQ(it->second, id) << "two leaders in term " << r.term();
      }
      for (uint64_t i = checked[id] + 1; i <= r.raft_log().committed(); ++i) {
        uint64_t term = r.raft_log().ZeroTermOnOutOfBounds(i);
        if (i == committed_terms.size()) committed_terms.push_back(term);
        ASSERT_EQ(term, committed_terms[i])
            << "node " << id << " committed a different entry at index " << i;
        checked[id] = i;
      }
    }
  };

  for (int step = 0; step < 2000; ++step) {
    if (step % 250 == 0) {
      n.net->Recover();
      if (coin(60)) n.net->Isolate(1 + rng() % 5);
      if (coin(30)) n.net->Cut(1 + rng() % 5, 1 + rng() % 5);
      if (coin(40)) n.net->Drop(1 + rng() % 5, 1 + rng() % 5, 0.3);
    }
    uint64_t id = 1 + rng() % 5;
    if (coin(5)) {
      n.net->Send(Prop(id, "v" + std::to_string(proposals++)));
    } else {
      Tick(n, id, 1);
    }
    check();
    if (::testing::Test::HasFatalFailure()) return;
  }

  // Heal. The cluster must converge: some leader has committed an entry of
  // its term and every node has committed its whole log. (A node that
  // kept campaigning while cut off may first have to time out and depose
  // the leader, when neither PreVote nor CheckQuorum is on.)
  n.net->Recover();
  auto converged = [&]() {
    for (uint64_t lead = 1; lead <= 5; ++lead) {
      const raft::Raft& l = n.raft(lead);
      if (l.state() != StateType::kStateLeader) continue;
      const uint64_t last = l.raft_log().LastIndex();
      if (l.raft_log().ZeroTermOnOutOfBounds(last) != l.term()) return false;
      for (uint64_t id = 1; id <= 5; ++id) {
        if (n.raft(id).raft_log().committed() != last) return false;
      }
      return true;
    }
    return false;
  };
  int rounds = 0;
  for (; rounds < 500 && !converged(); ++rounds) {
    for (uint64_t id = 1; id <= 5; ++id) Tick(n, id, 1);
    check();
    if (::testing::Test::HasFatalFailure()) return;
  }
  std::string state;
  for (uint64_t id = 1; id <= 5; ++id) {
    const raft::Raft& r = n.raft(id);
    state += "\n  " + std::to_string(id) + ": " +
             raft::StateTypeName(r.state()) +
             " term=" + std::to_string(r.term()) +
             " commit=" + std::to_string(r.raft_log().committed()) +
             " last=" + std::to_string(r.raft_log().LastIndex());
  }
  EXPECT_TRUE(converged()) << "no convergence 500 ticks after healing:"
                           << state;
}

TEST(RaftElectionTest, RandomizedSafety) {
  std::vector<uint64_t> seeds;
  if (const char* env = std::getenv("CAIRN_TEST_SEED")) {
    seeds.push_back(std::strtoull(env, nullptr, 10));
  } else {
    for (uint64_t s = 1; s <= 10; ++s) seeds.push_back(s);
  }
  for (uint64_t seed : seeds) {
    SCOPED_TRACE("seed " + std::to_string(seed) +
                 " (replay with CAIRN_TEST_SEED=" + std::to_string(seed) + ")");
    RunRandomizedSafety(seed);
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace raft_test
