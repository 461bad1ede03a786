// Tests of the raft state machine (raft/raft.h): elections, replication,
// commit rules, proposal drops, limits and restarts. The paper's rules one
// by one are in raft_paper_test.cc; scenarios in testdata/.

#include "raft/raft.h"

#include <gtest/gtest.h>

#include "proto/raftpb/codec.h"
#include "raft/errors.h"
#include "tests/raft/core_cluster.h"
#include "tests/raft/core_test_util.h"

namespace raft {
namespace {

using raftpb::Entry;
using raftpb::Message;
using test::Cluster;
using test::Ents;
using test::Msg;
using test::Solo;

constexpr StateType kFollower = StateType::kStateFollower;
constexpr StateType kCandidate = StateType::kStateCandidate;
constexpr StateType kPreCandidate = StateType::kStatePreCandidate;
constexpr StateType kLeader = StateType::kStateLeader;

TEST(RaftConfigTest, ValidateRejectsBadConfigs) {
  MemoryStorage s;
  struct Case {
    const char* name;
    std::function<void(Config&)> mutate;
    const char* want;  // Substring of the error; nullptr = valid.
  };
  const Case cases[] = {
      {"valid", [](Config&) {}, nullptr},
      {"id 0", [](Config& c) { c.id = 0; }, "id must not be 0"},
      {"heartbeat 0", [](Config& c) { c.heartbeat_tick = 0; },
       "heartbeat_tick"},
      {"election <= heartbeat", [](Config& c) { c.election_tick = 1; },
       "election_tick"},
      {"no storage", [](Config& c) { c.storage = nullptr; }, "storage"},
      {"no inflight", [](Config& c) { c.max_inflight_msgs = 0; },
       "max_inflight_msgs"},
      {"inflight bytes below msg size",
       [](Config& c) {
         c.max_size_per_msg = 1024;
         c.max_inflight_bytes = 512;
       },
       "max_inflight_bytes"},
      {"lease without check quorum",
       [](Config& c) {
         c.read_only_option = ReadOnlyOption::kReadOnlyLeaseBased;
       },
       "check_quorum"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Config cfg = Cluster::NewConfig(1, &s);
    c.mutate(cfg);
    auto r = Raft::New(cfg);
    if (c.want == nullptr) {
      EXPECT_TRUE(r.ok()) << r.status();
    } else {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), base::StatusCode::kInvalidArgument);
      EXPECT_NE(r.status().message().find(c.want), std::string::npos)
          << r.status();
    }
  }
}

TEST(RaftConfigTest, ValidateFillsDefaults) {
  MemoryStorage s;
  Config c = Cluster::NewConfig(1, &s);
  c.max_size_per_msg = 4096;
  ASSERT_TRUE(c.Validate().ok());
  EXPECT_EQ(c.max_committed_size_per_ready, 4096u);
  EXPECT_EQ(c.max_uncommitted_entries_size, kNoLimit);
  EXPECT_EQ(c.max_inflight_bytes, kNoLimit);
}

TEST(RaftTest, StartsAsFollowerWithRandomizedTimeout) {
  Solo a(1, {1, 2, 3});
  EXPECT_EQ(a.r->state(), kFollower);
  EXPECT_EQ(a.r->term(), 0u);
  for (int i = 0; i < 50; ++i) {
    a.r->ResetRandomizedElectionTimeout();
    int t = a.r->randomized_election_timeout();
    EXPECT_GE(t, 10);
    EXPECT_LT(t, 20);
  }
  // The same seed draws the same timeouts.
  Solo b(1, {1, 2, 3}, [](Config& cfg) { cfg.seed = 42; });
  Solo d(1, {1, 2, 3}, [](Config& cfg) { cfg.seed = 42; });
  for (int i = 0; i < 20; ++i) {
    b.r->ResetRandomizedElectionTimeout();
    d.r->ResetRandomizedElectionTimeout();
    EXPECT_EQ(b.r->randomized_election_timeout(),
              d.r->randomized_election_timeout());
  }
}

TEST(RaftTest, LeaderElection) {
  struct Case {
    const char* name;
    bool pre_vote;
    std::vector<uint64_t> isolated;
    StateType wstate;
    uint64_t wterm;
  };
  const Case cases[] = {
      {"all up", false, {}, kLeader, 1},
      {"one down", false, {3}, kLeader, 1},
      {"two down", false, {2, 3}, kCandidate, 1},
      {"pre-vote, all up", true, {}, kLeader, 1},
      {"pre-vote, one down", true, {3}, kLeader, 1},
      // A pre-candidate without a quorum does not raise its term.
      {"pre-vote, two down", true, {2, 3}, kPreCandidate, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Cluster cl(3, [&](Config& cfg) { cfg.pre_vote = c.pre_vote; });
    for (uint64_t id : c.isolated) cl.Isolate(id);
    ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
    EXPECT_EQ(cl.raft(1).state(), c.wstate);
    EXPECT_EQ(cl.raft(1).term(), c.wterm);
    if (c.wstate == kLeader) {
      for (uint64_t id : {2, 3}) {
        if (std::count(c.isolated.begin(), c.isolated.end(), id)) continue;
        EXPECT_EQ(cl.raft(id).state(), kFollower);
        EXPECT_EQ(cl.raft(id).lead(), 1u);
        EXPECT_EQ(cl.raft(id).vote(), 1u);
      }
    }
  }
}

TEST(RaftTest, SingleVoterBecomesLeaderAtOnce) {
  Cluster cl(1);
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  EXPECT_EQ(cl.raft(1).state(), kLeader);
  EXPECT_EQ(cl.raft(1).term(), 1u);
  // The empty entry is committed at once.
  EXPECT_EQ(cl.raft(1).raft_log().committed(), 1u);
}

TEST(RaftTest, LeaderCycleAndHigherTermStepsDown) {
  Cluster cl(3, [](Config& c) { c.pre_vote = true; });
  for (uint64_t id = 1; id <= 3; ++id) {
    ASSERT_TRUE(cl.Local(id, raftpb::kMsgHup).ok());
    for (uint64_t other = 1; other <= 3; ++other) {
      EXPECT_EQ(cl.raft(other).state(), other == id ? kLeader : kFollower);
      EXPECT_EQ(cl.raft(other).lead(), id);
    }
  }
  EXPECT_EQ(cl.raft(1).term(), 3u);
}

TEST(RaftTest, LogReplicationAndForwarding) {
  Cluster cl(3);
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgProp, "from leader").ok());
  // A follower forwards its proposal to the leader.
  ASSERT_TRUE(cl.Local(2, raftpb::kMsgProp, "from follower").ok());
  for (uint64_t id = 1; id <= 3; ++id) {
    SCOPED_TRACE(id);
    const RaftLog& l = cl.raft(id).raft_log();
    EXPECT_EQ(l.committed(), 3u);
    std::vector<Entry> ents = l.AllEntries();
    ASSERT_EQ(ents.size(), 3u);
    EXPECT_TRUE(ents[0].data.empty());  // The leader's empty entry.
    EXPECT_EQ(ents[1].data, "from leader");
    EXPECT_EQ(ents[2].data, "from follower");
    for (const Entry& e : ents) EXPECT_EQ(e.term, 1u);
  }
}

TEST(RaftTest, ProposalDropsHaveDistinctErrors) {
  {
    // No leader known.
    Cluster cl(3);
    base::Status s = cl.Local(2, raftpb::kMsgProp, "x");
    EXPECT_EQ(s, ErrProposalDroppedNoLeader());
    EXPECT_TRUE(IsProposalDropped(s));
  }
  {
    // Forwarding disabled.
    Cluster cl(3, [](Config& c) { c.disable_proposal_forwarding = true; });
    ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
    base::Status s = cl.Local(2, raftpb::kMsgProp, "x");
    EXPECT_EQ(s, ErrProposalDroppedForwardingDisabled());
    EXPECT_TRUE(IsProposalDropped(s));
  }
  {
    // A candidate has no leader.
    Cluster cl(3);
    cl.Isolate(1);
    ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
    ASSERT_EQ(cl.raft(1).state(), kCandidate);
    EXPECT_EQ(cl.Local(1, raftpb::kMsgProp, "x"), ErrProposalDroppedNoLeader());
  }
  {
    // A leadership transfer is in progress.
    Cluster cl(3);
    ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
    cl.Isolate(3);
    Message t = Msg(3, 1, raftpb::kMsgTransferLeader, 0);
    cl.raft(1).Step(t).ok();
    ASSERT_EQ(cl.raft(1).lead_transferee(), 3u);
    base::Status s = cl.Local(1, raftpb::kMsgProp, "x");
    EXPECT_EQ(s, ErrProposalDroppedLeaderTransferring());
    EXPECT_TRUE(IsProposalDropped(s));
  }
  EXPECT_NE(ErrProposalDroppedNoLeader(),
            ErrProposalDroppedForwardingDisabled());
  EXPECT_FALSE(IsProposalDropped(ErrCompacted()));
}

TEST(RaftTest, UncommittedEntryLimit) {
  const uint64_t max_size = 100;
  Cluster cl(3, [](Config& c) { c.max_uncommitted_entries_size = max_size; });
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  // Nothing commits while the followers are away.
  cl.Isolate(1);
  std::string data(30, 'd');
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(cl.Local(1, raftpb::kMsgProp, data).ok()) << i;
  }
  EXPECT_EQ(cl.raft(1).uncommitted_size(), 90u);
  base::Status s = cl.Local(1, raftpb::kMsgProp, data);
  EXPECT_EQ(s, ErrProposalDroppedUncommittedSizeExceeded());
  EXPECT_TRUE(IsProposalDropped(s));
  // Empty proposals are never refused.
  EXPECT_TRUE(cl.Local(1, raftpb::kMsgProp, "").ok());
  // Once committed and reported applied, the budget is released.
  cl.Recover();
  cl.Tick(1);  // Heartbeat; followers catch up and the entries commit.
  ASSERT_EQ(cl.raft(1).raft_log().committed(),
            cl.raft(1).raft_log().LastIndex());
  cl.raft(1).ReduceUncommittedSize(90);
  EXPECT_EQ(cl.raft(1).uncommitted_size(), 0u);
  EXPECT_TRUE(cl.Local(1, raftpb::kMsgProp, data).ok());
  // A single proposal bigger than the limit is accepted when nothing else
  // is uncommitted.
  cl.Tick(1);
  cl.raft(1).ReduceUncommittedSize(30);
  EXPECT_TRUE(cl.Local(1, raftpb::kMsgProp, std::string(200, 'b')).ok());
}

// Paper 5.4.2: a leader counts replicas only for entries of its own term.
TEST(RaftTest, CommitOnlyCurrentTermEntriesByCount) {
  for (bool planted_bug : {false, true}) {
    SCOPED_TRACE(planted_bug ? "commit_prior_term_by_count" : "correct");
    MemoryStorage s;
    raftpb::ConfState cs;
    cs.voters = {1, 2, 3};
    s.SetInitialConfState(cs);
    // Entries 1..2 of term 1 in the log, uncommitted; now leader at term 3.
    ASSERT_TRUE(s.Append(Ents({{1, 1}, {2, 1}})).ok());
    s.SetHardState({2, 0, 0});
    Config cfg = Cluster::NewConfig(1, &s);
    cfg.testing_knobs.commit_prior_term_by_count = planted_bug;
    auto r = Raft::New(cfg);
    ASSERT_TRUE(r.ok());
    Raft& l = **r;
    l.BecomeCandidate();
    l.BecomeLeader();
    ASSERT_EQ(l.term(), 3u);
    ASSERT_EQ(l.raft_log().LastIndex(), 3u);  // The empty entry of term 3.
    (void)l.ReadMessages();
    // Follower 2 acknowledges index 2 (term 1 entries) only.
    Message resp = Msg(2, 1, raftpb::kMsgAppResp, 3);
    resp.index = 2;
    ASSERT_TRUE(l.Step(resp).ok());
    EXPECT_EQ(l.raft_log().committed(), planted_bug ? 2u : 0u);
    // Acknowledging the term-3 entry commits everything before it too.
    resp.index = 3;
    ASSERT_TRUE(l.Step(resp).ok());
    EXPECT_EQ(l.raft_log().committed(), 3u);
  }
}

TEST(RaftTest, VoteRequiresUpToDateLog) {
  struct Case {
    const char* name;
    uint64_t log_term, index;
    bool knob;
    bool wreject;
  };
  // The voter's log ends at 2/2.
  const Case cases[] = {
      {"older last term", 1, 5, false, true},
      {"same term, shorter", 2, 1, false, true},
      {"same term, same length", 2, 2, false, false},
      {"same term, longer", 2, 3, false, false},
      {"newer last term", 3, 1, false, false},
      {"older, but the planted bug grants", 1, 5, true, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    MemoryStorage s;
    raftpb::ConfState cs;
    cs.voters = {1, 2};
    s.SetInitialConfState(cs);
    ASSERT_TRUE(s.Append(Ents({{1, 1}, {2, 2}})).ok());
    s.SetHardState({2, 0, 0});
    Config cfg = Cluster::NewConfig(1, &s);
    cfg.testing_knobs.vote_without_log_check = c.knob;
    auto r = Raft::New(cfg);
    ASSERT_TRUE(r.ok());
    Message m = Msg(2, 1, raftpb::kMsgVote, 3);
    m.log_term = c.log_term;
    m.index = c.index;
    ASSERT_TRUE((*r)->Step(m).ok());
    std::vector<Message> out = (*r)->ReadMessages();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].type, raftpb::kMsgVoteResp);
    EXPECT_EQ(out[0].reject, c.wreject);
    EXPECT_EQ(out[0].term, 3u);
    EXPECT_EQ((*r)->term(), 3u);
    EXPECT_EQ((*r)->vote(), c.wreject ? 0u : 2u);
  }
}

TEST(RaftTest, OneVotePerTerm) {
  Solo a(1, {1, 2, 3});
  Message v2 = Msg(2, 1, raftpb::kMsgVote, 1);
  ASSERT_TRUE(a.r->Step(v2).ok());
  Message v3 = Msg(3, 1, raftpb::kMsgVote, 1);
  ASSERT_TRUE(a.r->Step(v3).ok());
  // A repeat of the vote already cast is granted again.
  ASSERT_TRUE(a.r->Step(v2).ok());
  std::vector<Message> out = a.r->ReadMessages();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_FALSE(out[0].reject);
  EXPECT_TRUE(out[1].reject);
  EXPECT_FALSE(out[2].reject);
  EXPECT_EQ(a.r->vote(), 2u);
}

TEST(RaftTest, StaleTermMessagesAreIgnored) {
  Solo a(1, {1, 2, 3});
  a.r->BecomeFollower(5, 2);
  Message app = Msg(3, 1, raftpb::kMsgApp, 4);
  ASSERT_TRUE(a.r->Step(app).ok());
  EXPECT_EQ(a.r->term(), 5u);
  EXPECT_EQ(a.r->lead(), 2u);
  EXPECT_TRUE(a.r->ReadMessages().empty());
  // With check_quorum, a stale leader is told the newer term.
  a.r->set_check_quorum(true);
  ASSERT_TRUE(a.r->Step(app).ok());
  std::vector<Message> out = a.r->ReadMessages();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, raftpb::kMsgAppResp);
  EXPECT_EQ(out[0].term, 5u);
}

TEST(RaftTest, CheckQuorumLeaderStepsDown) {
  Cluster cl(3, [](Config& c) { c.check_quorum = true; });
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  ASSERT_EQ(cl.raft(1).state(), kLeader);
  // With followers answering heartbeats, the leader stays.
  cl.Tick(1, 25);
  EXPECT_EQ(cl.raft(1).state(), kLeader);
  cl.Isolate(1);
  // Two election timeouts: the first check marks everyone inactive, the
  // second finds no quorum.
  cl.Tick(1, 20);
  EXPECT_EQ(cl.raft(1).state(), kFollower);
  EXPECT_EQ(cl.raft(1).lead(), 0u);
}

TEST(RaftTest, CheckQuorumFollowerIgnoresVotesWithinLease) {
  Cluster cl(3, [](Config& c) { c.check_quorum = true; });
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  // Node 3 is partitioned and campaigns on its own (term 2).
  cl.Isolate(3);
  cl.Local(3, raftpb::kMsgHup).ok();
  ASSERT_EQ(cl.raft(3).term(), 2u);
  cl.Recover();
  // 2 heard from the leader within the election timeout: it ignores the
  // disruptive vote and keeps its term.
  Message vote = Msg(3, 2, raftpb::kMsgVote, 2);
  vote.log_term = 1;
  vote.index = 1;
  ASSERT_TRUE(cl.raft(2).Step(vote).ok());
  EXPECT_EQ(cl.raft(2).term(), 1u);
  EXPECT_EQ(cl.raft(2).lead(), 1u);
  EXPECT_TRUE(cl.raft(2).ReadMessages().empty());
  // A transfer campaign bypasses the lease.
  vote.context = "CampaignTransfer";
  ASSERT_TRUE(cl.raft(2).Step(vote).ok());
  EXPECT_EQ(cl.raft(2).term(), 2u);
}

TEST(RaftTest, PreVoteRejoiningNodeDoesNotDisrupt) {
  Cluster cl(3, [](Config& c) { c.pre_vote = true; });
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  cl.Isolate(3);
  // 3 times out again and again but never raises its term.
  for (int i = 0; i < 5; ++i) cl.Local(3, raftpb::kMsgHup).ok();
  EXPECT_EQ(cl.raft(3).term(), 1u);
  EXPECT_EQ(cl.raft(3).state(), kPreCandidate);
  cl.Recover();
  cl.Tick(1);  // A heartbeat brings 3 back as a follower.
  EXPECT_EQ(cl.raft(3).state(), kFollower);
  EXPECT_EQ(cl.raft(1).state(), kLeader);
  EXPECT_EQ(cl.raft(1).term(), 1u);
}

TEST(RaftTest, HeartbeatCarriesCommitCappedAtMatch) {
  Cluster cl(3);
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  cl.Isolate(3);
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgProp, "a").ok());
  ASSERT_EQ(cl.raft(1).raft_log().committed(), 2u);
  cl.raft(1).BcastHeartbeat();
  std::vector<Message> out = cl.raft(1).ReadMessages();
  ASSERT_EQ(out.size(), 2u);
  for (const Message& m : out) {
    EXPECT_EQ(m.type, raftpb::kMsgHeartbeat);
    // 2 matched index 2; 3 only index 1 (it never saw "a").
    EXPECT_EQ(m.commit, m.to == 2 ? 2u : 1u) << m.to;
  }
}

TEST(RaftTest, FastBacktrackingSkipsDivergentTerms) {
  // Leader log: 1/1 2/1 3/4 4/4 5/4 ... follower log: 1/1 2/2 3/2 4/2 5/3.
  MemoryStorage ls;
  raftpb::ConfState cs;
  cs.voters = {1, 2};
  ls.SetInitialConfState(cs);
  ASSERT_TRUE(ls.Append(test::IndexTerms(1, {1, 1, 4, 4, 4})).ok());
  ls.SetHardState({4, 0, 0});
  auto leader = Raft::New(Cluster::NewConfig(1, &ls));
  ASSERT_TRUE(leader.ok());
  Raft& l = **leader;
  l.BecomeCandidate();
  l.BecomeLeader();  // Term 5, empty entry at 6.
  (void)l.ReadMessages();

  MemoryStorage fs;
  fs.SetInitialConfState(cs);
  ASSERT_TRUE(fs.Append(test::IndexTerms(1, {1, 2, 2, 2, 3})).ok());
  fs.SetHardState({3, 0, 0});
  auto follower = Raft::New(Cluster::NewConfig(2, &fs));
  ASSERT_TRUE(follower.ok());
  Raft& f = **follower;

  int round_trips = 0;
  l.BcastAppend();
  std::vector<Message> to_f = l.ReadMessages();
  while (!to_f.empty() && round_trips < 10) {
    ++round_trips;
    for (Message& m : to_f) ASSERT_TRUE(f.Step(m).ok());
    for (Message& m : f.ReadMessages()) ASSERT_TRUE(l.Step(m).ok());
    to_f = l.ReadMessages();
    std::erase_if(to_f,
                  [](const Message& m) { return m.type != raftpb::kMsgApp; });
    if (f.raft_log().LastIndex() == 6 && f.raft_log().MatchTerm(6, 5)) break;
  }
  EXPECT_EQ(f.raft_log().AllEntries(), l.raft_log().AllEntries());
  // Probe at 6 is rejected (hint 5/3), the leader skips to 2 (term 1),
  // then appends: three round trips instead of one per entry.
  EXPECT_LE(round_trips, 3);
}

TEST(RaftTest, InflightWindowBoundsMessagesAndBytes) {
  struct Case {
    const char* name;
    int max_msgs;
    uint64_t max_bytes;
    size_t wsent;
  };
  const Case cases[] = {
      {"by count", 3, 0, 3},
      {"by bytes", 100, 250, 3},  // 100 bytes each: the third fills it.
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Cluster cl(2, [&](Config& cfg) {
      cfg.max_inflight_msgs = c.max_msgs;
      cfg.max_inflight_bytes = c.max_bytes;
      cfg.max_size_per_msg = 100;
    });
    ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
    cl.Isolate(1);  // Messages from 1 are lost; nothing is acknowledged.
    Raft& l = cl.raft(1);
    // Move 2 to replicate state (it acknowledged the empty entry).
    ASSERT_EQ(l.trk().progress.at(2).state,
              tracker::StateType::kStateReplicate);
    size_t sent = 0;
    for (int i = 0; i < 10; ++i) {
      Message p;
      p.type = raftpb::kMsgProp;
      p.from = 1;
      p.entries.push_back(
          Entry{0, 0, raftpb::kEntryNormal, std::string(100, 'x')});
      ASSERT_TRUE(l.Step(p).ok());
      for (const Message& m : l.ReadMessages()) {
        if (m.type == raftpb::kMsgApp && !m.entries.empty()) ++sent;
      }
    }
    EXPECT_EQ(sent, c.wsent);
    EXPECT_TRUE(l.trk().progress.at(2).IsPaused());
  }
}

TEST(RaftTest, MsgAppBatchesUpToMaxSizePerMsg) {
  Cluster cl(2, [](Config& c) { c.max_size_per_msg = 250; });
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  cl.Isolate(1);
  Raft& l = cl.raft(1);
  for (int i = 0; i < 5; ++i) {
    Message p;
    p.type = raftpb::kMsgProp;
    p.from = 1;
    p.entries.push_back(
        Entry{0, 0, raftpb::kEntryNormal, std::string(100, 'x')});
    ASSERT_TRUE(l.Step(p).ok());
  }
  (void)l.ReadMessages();
  // Back to probing from the start: one MsgApp carries what fits.
  l.trk().progress.at(2).BecomeProbe();
  l.trk().progress.at(2).next = 2;
  ASSERT_TRUE(l.MaybeSendAppend(2, false));
  std::vector<Message> out = l.ReadMessages();
  ASSERT_EQ(out.size(), 1u);
  uint64_t bytes = 0;
  for (const Entry& e : out[0].entries) bytes += raftpb::EntrySize(e);
  EXPECT_EQ(out[0].entries.size(), 2u);
  EXPECT_LE(bytes, 250u);
}

TEST(RaftTest, RestartResumesTermVoteLogAndCommit) {
  Cluster cl(3);
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgProp, "a").ok());
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgProp, "b").ok());
  for (uint64_t id = 1; id <= 3; ++id) {
    SCOPED_TRACE(id);
    raftpb::HardState hs = cl.raft(id).GetHardState();
    std::vector<Entry> ents = cl.raft(id).raft_log().AllEntries();
    cl.Restart(id);
    Raft& r = cl.raft(id);
    EXPECT_EQ(r.GetHardState(), hs);
    EXPECT_EQ(r.term(), 1u);
    EXPECT_EQ(r.vote(), 1u);
    EXPECT_EQ(r.raft_log().committed(), 3u);
    EXPECT_EQ(r.raft_log().AllEntries(), ents);
    EXPECT_EQ(r.state(), kFollower);
    EXPECT_TRUE(r.CheckInvariants().ok()) << r.CheckInvariants();
  }
  // The restarted cluster elects and keeps going.
  ASSERT_TRUE(cl.Local(2, raftpb::kMsgHup).ok());
  EXPECT_EQ(cl.raft(2).state(), kLeader);
  EXPECT_EQ(cl.raft(2).term(), 2u);
  ASSERT_TRUE(cl.Local(2, raftpb::kMsgProp, "c").ok());
  EXPECT_EQ(cl.raft(1).raft_log().committed(), 5u);
}

TEST(RaftTest, RestartRejectsInconsistentStorage) {
  MemoryStorage s;
  raftpb::ConfState cs;
  cs.voters = {1};
  s.SetInitialConfState(cs);
  ASSERT_TRUE(s.Append(Ents({{1, 1}})).ok());
  s.SetHardState({1, 1, 5});  // Commit past the last index.
  auto r = Raft::New(Cluster::NewConfig(1, &s));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::StatusCode::kFailedPrecondition);
}

TEST(RaftTest, ElectionTimeoutStartsCampaign) {
  Cluster cl(3);
  Raft& r = cl.raft(1);
  int timeout = r.randomized_election_timeout();
  for (int i = 0; i < timeout - 1; ++i) r.Tick();
  EXPECT_EQ(r.state(), kFollower);
  cl.Tick(1);
  EXPECT_EQ(r.state(), kLeader);
}

TEST(RaftTest, LeaderSendsHeartbeatsEveryHeartbeatTick) {
  Cluster cl(3, [](Config& c) { c.heartbeat_tick = 2; });
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  Raft& l = cl.raft(1);
  (void)l.ReadMessages();
  l.Tick();
  EXPECT_TRUE(l.ReadMessages().empty());
  l.Tick();
  std::vector<Message> out = l.ReadMessages();
  ASSERT_EQ(out.size(), 2u);
  for (const Message& m : out) EXPECT_EQ(m.type, raftpb::kMsgHeartbeat);
}

TEST(RaftTest, LeaderTransfer) {
  Cluster cl(3);
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  Message t = Msg(2, 1, raftpb::kMsgTransferLeader, 0);
  ASSERT_TRUE(cl.Send(t).ok());
  EXPECT_EQ(cl.raft(2).state(), kLeader);
  EXPECT_EQ(cl.raft(1).state(), kFollower);
  EXPECT_EQ(cl.raft(1).lead(), 2u);
  EXPECT_EQ(cl.raft(2).term(), 2u);
}

TEST(RaftTest, CompactedFollowerCatchesUpBySnapshot) {
  Cluster cl(3);
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  cl.Isolate(3);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(cl.Local(1, raftpb::kMsgProp, "v" + std::to_string(i)).ok());
  }
  uint64_t committed = cl.raft(1).raft_log().committed();
  ASSERT_EQ(committed, 6u);
  raftpb::ConfState cs = cl.raft(1).trk().ConfState();
  ASSERT_TRUE(cl.storage(1).CreateSnapshot(committed, &cs, "image").ok());
  ASSERT_TRUE(cl.storage(1).Compact(committed).ok());
  cl.Recover();
  cl.Tick(1);  // Heartbeat; 3 answers; the leader must send a snapshot.
  Raft& f = cl.raft(3);
  EXPECT_EQ(f.raft_log().committed(), committed);
  EXPECT_EQ(f.raft_log().LastIndex(), committed);
  EXPECT_EQ(cl.storage(3).Snapshot()->data, "image");
  EXPECT_EQ(cl.raft(1).trk().progress.at(3).match, committed);
  // Replication continues from the log afterwards.
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgProp, "after").ok());
  EXPECT_EQ(f.raft_log().committed(), committed + 1);
  EXPECT_EQ(cl.raft(1).trk().progress.at(3).state,
            tracker::StateType::kStateReplicate);
}

TEST(RaftTest, ReportUnreachableAndSnapshotStatus) {
  Cluster cl(2);
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  Raft& l = cl.raft(1);
  tracker::Progress& pr = l.trk().progress.at(2);
  ASSERT_EQ(pr.state, tracker::StateType::kStateReplicate);
  ASSERT_TRUE(l.Step(Msg(2, 1, raftpb::kMsgUnreachable, 0)).ok());
  EXPECT_EQ(pr.state, tracker::StateType::kStateProbe);

  pr.BecomeSnapshot(10);
  Message failed = Msg(2, 1, raftpb::kMsgSnapStatus, 0);
  failed.reject = true;
  ASSERT_TRUE(l.Step(failed).ok());
  EXPECT_EQ(pr.state, tracker::StateType::kStateProbe);
  EXPECT_EQ(pr.pending_snapshot, 0u);
  EXPECT_TRUE(pr.IsPaused());  // Until the next heartbeat.

  pr.BecomeSnapshot(10);
  ASSERT_TRUE(l.Step(Msg(2, 1, raftpb::kMsgSnapStatus, 0)).ok());
  EXPECT_EQ(pr.state, tracker::StateType::kStateProbe);
  EXPECT_EQ(pr.next, 11u);  // Past the snapshot that was delivered.
}

TEST(RaftTest, RemovedLeaderStepsDown) {
  Cluster cl(2);
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  raftpb::ConfChangeV2 cc;
  cc.changes.push_back({raftpb::kConfChangeRemoveNode, 1});
  raftpb::ConfState cs = cl.raft(1).ApplyConfChange(cc);
  EXPECT_EQ(cs.voters, (std::vector<uint64_t>{2}));
  EXPECT_EQ(cl.raft(1).state(), kFollower);
  // No longer a member, it does not campaign.
  EXPECT_FALSE(cl.raft(1).Promotable());
}

TEST(RaftTest, ConfChangeProposalsAreSerialized) {
  Cluster cl(1);
  ASSERT_TRUE(cl.Local(1, raftpb::kMsgHup).ok());
  Raft& l = cl.raft(1);
  l.raft_log().AppliedTo(l.raft_log().committed(), 0);
  raftpb::ConfChange cc{raftpb::kConfChangeAddNode, 2, "", 0};
  auto prop = [&] {
    Message m;
    m.type = raftpb::kMsgProp;
    m.from = 1;
    m.entries.push_back(
        Entry{0, 0, raftpb::kEntryConfChange, raftpb::EncodeToString(cc)});
    return l.Step(m);
  };
  ASSERT_TRUE(prop().ok());
  EXPECT_EQ(l.pending_conf_index(), 2u);
  // A second change before the first is applied is dropped.
  base::Status s = prop();
  EXPECT_TRUE(IsProposalDroppedConfChange(s)) << s;
  EXPECT_TRUE(IsProposalDropped(s));
  std::vector<Entry> ents = l.raft_log().AllEntries();
  ASSERT_EQ(ents.size(), 2u);
  EXPECT_EQ(ents[1].type, raftpb::kEntryConfChange);
}

}  // namespace
}  // namespace raft
