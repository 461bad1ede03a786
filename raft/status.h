#pragma once

// Status of a node, for monitoring and tests (etcd's raft.Status).
// raft::Status is unrelated to base::Status.

#include <cstdint>
#include <string>

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

struct Status {
  BasicStatus basic;
  tracker::Config config;
  // Every tracked node's progress; filled only on a leader.
  tracker::ProgressMap progress;

  // A JSON object like etcd's Status.MarshalJSON, for debugging.
  std::string ToJson() const;
};

BasicStatus GetBasicStatus(const Raft& r);
Status GetStatus(const Raft& r);

}  // namespace raft
