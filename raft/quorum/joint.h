#pragma once

// JointConfig: two majority configs (incoming, outgoing) that must both
// agree, as in joint consensus (thesis 4.3). Outside a joint configuration
// the outgoing config is empty and the joint config behaves exactly like
// the incoming one.

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "raft/quorum/majority.h"
#include "raft/quorum/quorum.h"

namespace raft::quorum {

struct JointConfig {
  MajorityConfig incoming;  // [0] in etcd.
  MajorityConfig outgoing;  // [1] in etcd; empty unless joint.

  bool joint() const { return !outgoing.empty(); }
  // Union of both configs' ids.
  std::set<uint64_t> IDs() const;
  bool contains(uint64_t id) const {
    return incoming.contains(id) || outgoing.contains(id);
  }

  // "(1 2 3)" or "(1 2 3)&&(1 2 4)".
  std::string String() const;

  // The largest index committed by both configs (the minimum of the two).
  Index CommittedIndex(const AckedIndexer& acked) const;

  // Won when both win; lost when either loses; else pending.
  VoteResult GetVoteResult(const std::map<uint64_t, bool>& votes) const;

  std::string Describe(const AckedIndexer& acked) const;

  friend bool operator==(const JointConfig&, const JointConfig&) = default;
};

}  // namespace raft::quorum
