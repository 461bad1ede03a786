#pragma once

// Status of a node, for monitoring and tests (etcd's raft.Status).
// raft::Status is unrelated to base::Status.

#include <cstdint>
#include <string>
#include <vector>

#include "proto/raftpb/raftpb.h"
#include "raft/ready.h"
#include "raft/tracker/progress.h"
#include "raft/tracker/tracker.h"

namespace raft {

class Raft;

// Cheap to take: no map copies.
struct BasicStatus {
  uint64_t id = 0;
  raftpb::HardState hard_state;
  SoftState soft_state;
  uint64_t applied = 0;
  uint64_t lead_transferee = 0;
};

// How far (in entries) a learner's match may trail the leader's last index
// for CaughtUpLearners to count it as caught up.
inline constexpr uint64_t kLearnerCaughtUpMaxLag = 64;

struct Status {
  BasicStatus basic;
  tracker::Config config;
  // Every tracked node's progress; filled only on a leader.
  tracker::ProgressMap progress;
  // The leader's last log index; 0 on other nodes.
  uint64_t last_index = 0;

  // On a leader: the learners (in config.learners) whose Progress
  // IsCaughtUp(last_index, max_lag), in increasing id order; a server may
  // promote them to voters (ConfChangeAddNode). Empty on other nodes.
  std::vector<uint64_t> CaughtUpLearners(
      uint64_t max_lag = kLearnerCaughtUpMaxLag) const;

  // A JSON object like etcd's Status.MarshalJSON, for debugging.
  std::string ToJson() const;
};

BasicStatus GetBasicStatus(const Raft& r);
Status GetStatus(const Raft& r);

}  // namespace raft
