#include "raft/quorum/quorum.h"

namespace raft::quorum {

std::string VoteResultName(VoteResult r) {
  switch (r) {
    case VoteResult::kVotePending:
      return "VotePending";
    case VoteResult::kVoteLost:
      return "VoteLost";
    case VoteResult::kVoteWon:
      return "VoteWon";
  }
  return "VoteResult(" + std::to_string(static_cast<int>(r)) + ")";
}

}  // namespace raft::quorum
