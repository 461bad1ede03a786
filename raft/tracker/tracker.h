#pragma once

// ProgressTracker: the leader's view of the configuration, of each node's
// log, and of the votes of an election.
//
// The configuration is joint-capable from the start (voters are two
// majority configs; learners and learners_next as in etcd), so joint
// consensus (issue 5) fits without a rewrite.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "proto/raftpb/raftpb.h"
#include "raft/quorum/joint.h"
#include "raft/quorum/quorum.h"
#include "raft/tracker/progress.h"

namespace raft::tracker {

// Config: the membership. Invariants: a node is in at most one of
// Voters.incoming and Learners; LearnersNext are outgoing voters not in
// the incoming config that become learners when the joint config is left.
struct Config {
  quorum::JointConfig voters;
  // True when a joint config is left automatically once the change that
  // entered it is applied.
  bool auto_leave = false;
  std::set<uint64_t> learners;
  std::set<uint64_t> learners_next;

  // "voters=(1 2 3)&&(1 2) learners=(4) learners_next=(5) autoleave".
  std::string String() const;

  friend bool operator==(const Config&, const Config&) = default;
};

class ProgressTracker {
 public:
  // max_inflight and max_inflight_bytes size new Progresses' windows.
  ProgressTracker(size_t max_inflight, uint64_t max_inflight_bytes);

  Config config;
  ProgressMap progress;
  // Votes of the current election: id -> granted.
  std::map<uint64_t, bool> votes;

  size_t max_inflight() const { return max_inflight_; }
  uint64_t max_inflight_bytes() const { return max_inflight_bytes_; }

  // The ConfState this config corresponds to.
  raftpb::ConfState ConfState() const;

  // True when there is exactly one voter (and no joint config).
  bool IsSingleton() const {
    return config.voters.incoming.size() == 1 && !config.voters.joint();
  }

  // The largest index acknowledged (Progress.match) by a quorum of voters.
  quorum::Index Committed() const;

  // True when a quorum of voters is recent_active.
  bool QuorumActive() const;

  // Sorted ids of voters (both halves) and of learners (learners and
  // learners_next).
  std::vector<uint64_t> VoterNodes() const;
  std::vector<uint64_t> LearnerNodes() const;

  // Election bookkeeping.
  void ResetVotes() { votes.clear(); }
  // Records id's vote unless it already voted.
  void RecordVote(uint64_t id, bool granted) { votes.emplace(id, granted); }
  // Counts granted and rejected votes and returns the result.
  quorum::VoteResult TallyVotes(int* granted, int* rejected) const;

  // Adds a Progress for a new node with the given next index.
  void InitProgress(uint64_t id, uint64_t match, uint64_t next,
                    bool is_learner);

 private:
  size_t max_inflight_;
  uint64_t max_inflight_bytes_;
};

}  // namespace raft::tracker
