#pragma once

// Quorum arithmetic shared by majority and joint configurations.

#include <cstdint>
#include <limits>
#include <string>

namespace raft::quorum {

// A log index as used in commit computations.
using Index = uint64_t;
inline constexpr Index kInfiniteIndex = std::numeric_limits<Index>::max();

// AckedIndexer tells which log index a voter has acknowledged (its match).
class AckedIndexer {
 public:
  virtual ~AckedIndexer() = default;
  // Stores voter `id`'s acknowledged index in *idx and returns true, or
  // returns false when the voter is unknown (counts as acknowledging 0).
  virtual bool AckedIndex(uint64_t id, Index* idx) const = 0;
};

// The outcome of an election so far.
enum class VoteResult {
  kVotePending = 0,  // Neither a quorum of yes nor of no votes yet.
  kVoteLost = 1,     // A quorum voted no (or cannot vote yes any more).
  kVoteWon = 2,      // A quorum voted yes.
};

// "VotePending", "VoteLost", "VoteWon".
std::string VoteResultName(VoteResult r);

}  // namespace raft::quorum
