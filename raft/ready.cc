#include "raft/ready.h"

namespace raft {

std::string StateTypeName(StateType s) {
  switch (s) {
    case StateType::kStateFollower:
      return "StateFollower";
    case StateType::kStateCandidate:
      return "StateCandidate";
    case StateType::kStateLeader:
      return "StateLeader";
    case StateType::kStatePreCandidate:
      return "StatePreCandidate";
  }
  return "StateType(" + std::to_string(static_cast<int>(s)) + ")";
}

bool MustSync(const raftpb::HardState& st, const raftpb::HardState& prev,
              size_t entries) {
  // Persistent state on all servers (paper Figure 2): currentTerm, votedFor
  // and log[] must be durable before responding; commit need not be.
  return entries != 0 || st.vote != prev.vote || st.term != prev.term;
}

}  // namespace raft
