// Tests of the quorum arithmetic (raft/quorum/), after etcd's
// quorum/testdata (majority and joint commit and vote), plus a
// differential test against a naive commit computation.

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "raft/quorum/joint.h"
#include "raft/quorum/majority.h"
#include "raft/tracker/tracker.h"

namespace raft::quorum {
namespace {

TEST(QuorumTest, MajorityCommittedIndex) {
  struct Case {
    const char* name;
    std::set<uint64_t> voters;
    std::map<uint64_t, Index> acked;
    Index want;
  };
  const Case cases[] = {
      {"empty config commits everything", {}, {}, kInfiniteIndex},
      {"single voter, no ack", {1}, {}, 0},
      {"single voter", {1}, {{1, 12}}, 12},
      {"two voters need both", {1, 2}, {{1, 12}, {2, 5}}, 5},
      {"two voters, one missing", {1, 2}, {{1, 12}}, 0},
      {"three voters: the median", {1, 2, 3}, {{1, 12}, {2, 5}, {3, 7}}, 7},
      {"three voters, one missing", {1, 2, 3}, {{1, 12}, {3, 7}}, 7},
      {"three voters, two missing", {1, 2, 3}, {{1, 12}}, 0},
      {"acks of non-voters ignored",
       {1, 2, 3},
       {{1, 12}, {4, 100}, {5, 100}},
       0},
      {"four voters need three",
       {1, 2, 3, 4},
       {{1, 10}, {2, 9}, {3, 8}, {4, 1}},
       8},
      {"five voters",
       {1, 2, 3, 4, 5},
       {{1, 10}, {2, 9}, {3, 8}, {4, 7}, {5, 6}},
       8},
      {"nine voters (heap path)",
       {1, 2, 3, 4, 5, 6, 7, 8, 9},
       {{1, 9}, {2, 8}, {3, 7}, {4, 6}, {5, 5}, {6, 4}, {7, 3}, {8, 2}, {9, 1}},
       5},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    MajorityConfig cfg(c.voters);
    EXPECT_EQ(cfg.CommittedIndex(MapAckIndexer(c.acked)), c.want);
  }
}

TEST(QuorumTest, MajorityVoteResult) {
  struct Case {
    const char* name;
    std::set<uint64_t> voters;
    std::map<uint64_t, bool> votes;
    VoteResult want;
  };
  const Case cases[] = {
      {"empty config wins", {}, {}, VoteResult::kVoteWon},
      {"one voter pending", {1}, {}, VoteResult::kVotePending},
      {"one voter yes", {1}, {{1, true}}, VoteResult::kVoteWon},
      {"one voter no", {1}, {{1, false}}, VoteResult::kVoteLost},
      {"two: one yes", {1, 2}, {{1, true}}, VoteResult::kVotePending},
      {"two: one no", {1, 2}, {{1, false}}, VoteResult::kVoteLost},
      {"three: two yes",
       {1, 2, 3},
       {{1, true}, {2, true}},
       VoteResult::kVoteWon},
      {"three: yes no pending",
       {1, 2, 3},
       {{1, true}, {2, false}},
       VoteResult::kVotePending},
      {"three: two no",
       {1, 2, 3},
       {{1, true}, {2, false}, {3, false}},
       VoteResult::kVoteLost},
      {"votes of non-voters ignored",
       {1, 2, 3},
       {{1, true}, {4, true}, {5, true}},
       VoteResult::kVotePending},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(MajorityConfig(c.voters).GetVoteResult(c.votes), c.want);
  }
}

TEST(QuorumTest, JointCommittedIndexAndVote) {
  JointConfig j{MajorityConfig{1, 2, 3}, MajorityConfig{3, 4, 5}};
  EXPECT_TRUE(j.joint());
  EXPECT_EQ(j.String(), "(1 2 3)&&(3 4 5)");
  // Incoming commits 7, outgoing commits 5: the joint config commits 5.
  MapAckIndexer acked({{1, 9}, {2, 7}, {3, 5}, {4, 4}, {5, 8}});
  EXPECT_EQ(j.CommittedIndex(acked), 5u);
  // Outside a joint config, the outgoing half does not restrict.
  JointConfig simple{MajorityConfig{1, 2, 3}, MajorityConfig{}};
  EXPECT_FALSE(simple.joint());
  EXPECT_EQ(simple.String(), "(1 2 3)");
  EXPECT_EQ(simple.CommittedIndex(acked), 7u);

  struct Case {
    const char* name;
    std::map<uint64_t, bool> votes;
    VoteResult want;
  };
  const Case cases[] = {
      {"nothing yet", {}, VoteResult::kVotePending},
      {"incoming won, outgoing pending",
       {{1, true}, {2, true}},
       VoteResult::kVotePending},
      {"both won",
       {{1, true}, {2, true}, {4, true}, {5, true}},
       VoteResult::kVoteWon},
      {"shared voter decides both",
       {{1, true}, {3, true}, {4, true}},
       VoteResult::kVoteWon},
      {"outgoing lost",
       {{1, true}, {2, true}, {4, false}, {5, false}},
       VoteResult::kVoteLost},
      {"incoming lost", {{1, false}, {2, false}}, VoteResult::kVoteLost},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(j.GetVoteResult(c.votes), c.want);
  }
  EXPECT_EQ(j.IDs(), (std::set<uint64_t>{1, 2, 3, 4, 5}));
}

// The committed index of a majority config against a naive definition:
// the largest index that at least a majority of voters have reached.
TEST(QuorumTest, CommittedIndexMatchesNaive) {
  const char* env = std::getenv("CAIRN_SEED");
  uint64_t seed =
      env ? std::strtoull(env, nullptr, 10) : std::random_device{}();
  std::printf("quorum_test seed: %llu (replay with CAIRN_SEED)\n",
              static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  for (int iter = 0; iter < 2000; ++iter) {
    size_t n = 1 + rng() % 9;
    std::set<uint64_t> ids;
    MapAckIndexer acked;
    for (uint64_t id = 1; id <= n; ++id) {
      ids.insert(id);
      if (rng() % 4 != 0) acked.map()[id] = rng() % 20;
    }
    Index naive = 0;
    for (Index candidate = 0; candidate < 20; ++candidate) {
      size_t reached = 0;
      for (uint64_t id : ids) {
        auto it = acked.map().find(id);
        if (it != acked.map().end() && it->second >= candidate) ++reached;
      }
      if (reached >= n / 2 + 1) naive = candidate;
    }
    ASSERT_EQ(MajorityConfig(ids).CommittedIndex(acked), naive)
        << "iteration " << iter;
  }
}

TEST(ProgressTrackerTest, ConfStateVotesAndQuorumActive) {
  tracker::ProgressTracker t(256, 0);
  t.config.voters.incoming = MajorityConfig{1, 2, 3};
  t.config.learners = {4};
  for (uint64_t id : {1, 2, 3}) t.InitProgress(id, 0, 1, false);
  t.InitProgress(4, 0, 1, true);
  raftpb::ConfState cs = t.ConfState();
  EXPECT_EQ(cs.voters, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(cs.learners, (std::vector<uint64_t>{4}));
  EXPECT_TRUE(cs.voters_outgoing.empty());
  EXPECT_FALSE(t.IsSingleton());
  EXPECT_EQ(t.VoterNodes(), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(t.LearnerNodes(), (std::vector<uint64_t>{4}));
  EXPECT_EQ(t.config.String(), "voters=(1 2 3) learners=(4)");

  t.progress.at(1).match = 5;
  t.progress.at(2).match = 4;
  t.progress.at(4).match = 9;  // A learner does not count.
  EXPECT_EQ(t.Committed(), 4u);

  t.RecordVote(1, true);
  t.RecordVote(4, true);   // Learner: ignored in the tally.
  t.RecordVote(1, false);  // A second vote of 1 is ignored.
  int granted = 0, rejected = 0;
  EXPECT_EQ(t.TallyVotes(&granted, &rejected), VoteResult::kVotePending);
  EXPECT_EQ(granted, 1);
  EXPECT_EQ(rejected, 0);
  t.RecordVote(2, false);
  t.RecordVote(3, false);
  EXPECT_EQ(t.TallyVotes(&granted, &rejected), VoteResult::kVoteLost);
  EXPECT_EQ(rejected, 2);

  t.progress.at(1).recent_active = true;
  t.progress.at(4).recent_active = true;
  EXPECT_FALSE(t.QuorumActive());
  t.progress.at(3).recent_active = true;
  EXPECT_TRUE(t.QuorumActive());
}

}  // namespace
}  // namespace raft::quorum
