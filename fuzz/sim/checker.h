#pragma once

// SafetyChecker: the Raft safety properties (paper Figure 3), checked over
// everything the simulated nodes do, across all time and across restarts.
//
//  - Election safety: at most one leader per term.
//  - Log matching: two entries with the same index and term hold the same
//    data and follow entries of the same term. Checked on every entry a node
//    persists, against the first copy of (index, term) seen anywhere; by
//    induction on the index that is the paper's property.
//  - Leader completeness: a leader's log (checked right after it persisted
//    a Ready, when its storage holds its whole log) contains every entry
//    committed in an earlier term. An entry counts as committed in term t
//    once a leader of term t reported a commit index at or past it (a stale
//    leader may commit after a newer one was elected; that is still
//    "earlier").
//  - State machine safety: no two nodes apply different entries at one
//    index.
//  - Durability: a node's persisted term and commit never go backwards,
//    its vote never changes within a term, and its applied index only
//    moves forward, one entry at a time or by a newer snapshot, across its
//    restarts (no applied entry is lost or applied twice).
//
// The first violation is kept (later ones are usually its consequences).
// Node arguments are node indexes (raft id - 1).
//
// Thread safety: none.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "proto/raftpb/raftpb.h"
#include "raft/storage.h"

namespace fuzz::sim {

class SafetyChecker {
 public:
  SafetyChecker(int nodes, bool check_vote_durability);

  // Node `node` is leader in `term` with commit index `commit` (from its
  // status after any event).
  void ObserveLeader(int node, uint64_t term, uint64_t commit);
  // Node persisted `hs`.
  void ObserveHardState(int node, const raftpb::HardState& hs);
  // Node appended `entries` to its storage; `storage` is its storage after
  // the append.
  void ObservePersisted(int node, const std::vector<raftpb::Entry>& entries,
                        const raft::Storage& storage);
  // Leader `node` in `term` has persisted its whole log into `storage`.
  void CheckLeaderCompleteness(int node, uint64_t term,
                               const raft::Storage& storage);
  // Node applied committed entry e (its state machine moved to e.index).
  void ObserveApplied(int node, const raftpb::Entry& e);
  // Node applied a snapshot covering [1, index].
  void ObserveSnapshotApplied(int node, uint64_t index, uint64_t term);

  bool ok() const { return violation_.empty(); }
  // "" when ok; else the first broken rule, e.g. "election safety: term 4
  // has two leaders, n1 and n3".
  const std::string& violation() const { return violation_; }
  // Highest index known committed (applied somewhere).
  uint64_t max_committed() const {
    return committed_.empty() ? 0 : committed_.rbegin()->first;
  }

 private:
  void Fail(std::string what);

  bool check_vote_durability_;
  std::string violation_;
  std::map<uint64_t, int> leaders_;             // term -> node.
  std::map<uint64_t, uint64_t> leader_commit_;  // term -> leader's commit.
  // Per node: (term, index) up to which its log as leader in that term was
  // found complete; a leader never truncates its log, so it is not checked
  // again.
  std::vector<std::pair<uint64_t, uint64_t>> complete_upto_;
  // (index, term) -> (data, term of the entry before).
  std::map<std::pair<uint64_t, uint64_t>, std::pair<raftpb::Payload, uint64_t>>
      entries_;
  // index -> (term, data) of the entry applied there.
  std::map<uint64_t, std::pair<uint64_t, raftpb::Payload>> committed_;
  std::vector<raftpb::HardState> hard_states_;  // Latest persisted, per node.
  std::vector<uint64_t> applied_;               // Per node.
};

}  // namespace fuzz::sim
