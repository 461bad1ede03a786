#include "raft/quorum/joint.h"

#include <algorithm>

namespace raft::quorum {

std::set<uint64_t> JointConfig::IDs() const {
  std::set<uint64_t> ids = incoming.ids();
  ids.insert(outgoing.ids().begin(), outgoing.ids().end());
  return ids;
}

std::string JointConfig::String() const {
  if (outgoing.empty()) return incoming.String();
  return incoming.String() + "&&" + outgoing.String();
}

Index JointConfig::CommittedIndex(const AckedIndexer& acked) const {
  return std::min(incoming.CommittedIndex(acked),
                  outgoing.CommittedIndex(acked));
}

VoteResult JointConfig::GetVoteResult(
    const std::map<uint64_t, bool>& votes) const {
  VoteResult r1 = incoming.GetVoteResult(votes);
  VoteResult r2 = outgoing.GetVoteResult(votes);
  if (r1 == r2) return r1;
  if (r1 == VoteResult::kVoteLost || r2 == VoteResult::kVoteLost) {
    return VoteResult::kVoteLost;
  }
  // One won, the other is pending.
  return VoteResult::kVotePending;
}

std::string JointConfig::Describe(const AckedIndexer& acked) const {
  MajorityConfig all(IDs());
  return all.Describe(acked);
}

}  // namespace raft::quorum
