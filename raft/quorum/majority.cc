#include "raft/quorum/majority.h"

#include <algorithm>
#include <array>

namespace raft::quorum {

std::string MajorityConfig::String() const {
  std::string s = "(";
  bool first = true;
  for (uint64_t id : ids_) {
    if (!first) s += ' ';
    first = false;
    s += std::to_string(id);
  }
  s += ')';
  return s;
}

Index MajorityConfig::CommittedIndex(const AckedIndexer& acked) const {
  size_t n = ids_.size();
  if (n == 0) {
    // An empty config commits everything, so that in a joint config it
    // defers to the other half.
    return kInfiniteIndex;
  }
  // Up to seven voters (the common case) on the stack; no allocation.
  std::array<Index, 7> stack{};
  std::vector<Index> heap;
  Index* srt = stack.data();
  if (n > stack.size()) {
    heap.resize(n);
    srt = heap.data();
  } else {
    std::fill(stack.begin(), stack.end(), 0);
  }
  // Voters that have not acknowledged anything count as 0: fill from the
  // back so the zeroes stay in front.
  size_t i = n;
  for (uint64_t id : ids_) {
    Index idx;
    if (acked.AckedIndex(id, &idx)) srt[--i] = idx;
  }
  std::sort(srt, srt + n);
  // The largest index that n/2 + 1 voters have reached.
  return srt[n - (n / 2 + 1)];
}

VoteResult MajorityConfig::GetVoteResult(
    const std::map<uint64_t, bool>& votes) const {
  // An empty config wins every election, so a joint config with an empty
  // half defers to the other half.
  if (ids_.empty()) return VoteResult::kVoteWon;
  size_t granted = 0;
  size_t missing = 0;
  for (uint64_t id : ids_) {
    auto it = votes.find(id);
    if (it == votes.end()) {
      ++missing;
      continue;
    }
    if (it->second) ++granted;
  }
  size_t q = ids_.size() / 2 + 1;
  if (granted >= q) return VoteResult::kVoteWon;
  if (granted + missing >= q) return VoteResult::kVotePending;
  return VoteResult::kVoteLost;
}

std::string MajorityConfig::Describe(const AckedIndexer& acked) const {
  if (ids_.empty()) return "<empty majority quorum>";
  std::string s;
  for (uint64_t id : ids_) {
    Index idx;
    if (acked.AckedIndex(id, &idx)) {
      s += "id=" + std::to_string(id) + " idx=" + std::to_string(idx) + "\n";
    } else {
      s += "id=" + std::to_string(id) + " idx=?\n";
    }
  }
  return s;
}

}  // namespace raft::quorum
