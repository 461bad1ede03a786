#include "fuzz/sim/checker.h"

#include <algorithm>

namespace fuzz::sim {
namespace {

std::string N(int node) { return "n" + std::to_string(node + 1); }
std::string U(uint64_t v) { return std::to_string(v); }

}  // namespace

SafetyChecker::SafetyChecker(int nodes, bool check_vote_durability)
    : check_vote_durability_(check_vote_durability),
      complete_upto_(nodes),
      hard_states_(nodes),
      applied_(nodes, 0) {}

void SafetyChecker::Fail(std::string what) {
  if (violation_.empty()) violation_ = std::move(what);
}

void SafetyChecker::ObserveLeader(int node, uint64_t term, uint64_t commit) {
  uint64_t& c = leader_commit_[term];
  if (commit > c) c = commit;
  auto [it, inserted] = leaders_.emplace(term, node);
  if (!inserted && it->second != node) {
    Fail("election safety: term " + U(term) + " has two leaders, " +
         N(it->second) + " and " + N(node));
  }
}

void SafetyChecker::ObserveHardState(int node, const raftpb::HardState& hs) {
  raftpb::HardState& prev = hard_states_[node];
  if (hs.term < prev.term) {
    Fail("durability: " + N(node) + " persisted term " + U(hs.term) +
         " after term " + U(prev.term));
  } else if (check_vote_durability_ && hs.term == prev.term && prev.vote != 0 &&
             hs.vote != prev.vote) {
    Fail("durability: " + N(node) + " changed its vote in term " + U(hs.term) +
         " from n" + U(prev.vote) + " to n" + U(hs.vote));
  }
  if (hs.commit < prev.commit) {
    Fail("durability: " + N(node) + " persisted commit " + U(hs.commit) +
         " after commit " + U(prev.commit));
  }
  prev = hs;
}

void SafetyChecker::ObservePersisted(int node,
                                     const std::vector<raftpb::Entry>& entries,
                                     const raft::Storage& storage) {
  for (const raftpb::Entry& e : entries) {
    base::Result<uint64_t> prev_term = storage.Term(e.index - 1);
    if (!prev_term.ok()) continue;  // Compacted below: checked before.
    auto key = std::make_pair(e.index, e.term);
    auto [it, inserted] =
        entries_.emplace(key, std::make_pair(e.data, *prev_term));
    if (inserted) continue;
    if (it->second.first != e.data) {
      Fail("log matching: " + N(node) + " persisted a different entry " +
           U(e.index) + " in term " + U(e.term) + " than another node");
    } else if (it->second.second != *prev_term) {
      Fail("log matching: " + N(node) + " has entry " + U(e.index) +
           " of term " + U(e.term) + " after an entry of term " +
           U(*prev_term) + ", another node after one of term " +
           U(it->second.second));
    }
  }
}

void SafetyChecker::CheckLeaderCompleteness(int node, uint64_t term,
                                            const raft::Storage& storage) {
  uint64_t committed_before = 0;  // Highest index committed before `term`.
  for (auto it = leader_commit_.begin();
       it != leader_commit_.end() && it->first < term; ++it) {
    if (it->second > committed_before) committed_before = it->second;
  }
  auto& [checked_term, checked_upto] = complete_upto_[node];
  if (checked_term != term) checked_upto = 0;
  checked_term = term;
  if (committed_before <= checked_upto) return;
  const uint64_t first = storage.FirstIndex().value_or(1);
  const uint64_t last = storage.LastIndex().value_or(0);
  if (committed_before > last) {
    Fail("leader completeness: " + N(node) + ", leader in term " + U(term) +
         ", lacks entry " + U(committed_before) +
         " committed in an earlier term; its log ends at " + U(last));
    return;
  }
  for (auto it = committed_.lower_bound(std::max(first, checked_upto + 1));
       it != committed_.end() && it->first <= committed_before; ++it) {
    base::Result<uint64_t> t = storage.Term(it->first);
    if (t.ok() && *t != it->second.first) {
      Fail("leader completeness: " + N(node) + ", leader in term " + U(term) +
           ", has term " + U(*t) + " at index " + U(it->first) +
           " where an entry of term " + U(it->second.first) + " was committed");
      return;
    }
  }
  checked_upto = std::min(committed_before, max_committed());
}

void SafetyChecker::ObserveApplied(int node, const raftpb::Entry& e) {
  if (e.index != applied_[node] + 1) {
    Fail("durability: " + N(node) + " applied entry " + U(e.index) +
         " after applying up to " + U(applied_[node]));
  }
  applied_[node] = e.index;
  auto [it, inserted] =
      committed_.emplace(e.index, std::make_pair(e.term, e.data));
  if (!inserted &&
      (it->second.first != e.term || it->second.second != e.data)) {
    Fail("state machine safety: " + N(node) + " applied entry " + U(e.index) +
         " of term " + U(e.term) + ", another node applied one of term " +
         U(it->second.first) + " there");
  }
}

void SafetyChecker::ObserveSnapshotApplied(int node, uint64_t index,
                                           uint64_t term) {
  if (index <= applied_[node]) {
    Fail("durability: " + N(node) + " applied a snapshot at " + U(index) +
         " after applying up to " + U(applied_[node]));
  }
  applied_[node] = index;
  auto it = committed_.find(index);
  if (it != committed_.end() && it->second.first != term) {
    Fail("state machine safety: " + N(node) + " applied a snapshot at " +
         U(index) + " of term " + U(term) + ", another node applied term " +
         U(it->second.first) + " there");
  }
}

}  // namespace fuzz::sim
