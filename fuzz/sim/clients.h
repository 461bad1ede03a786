#pragma once

// Clients: the simulated clients' operations and the history they observed.
//
// Every client request is its own client (one operation each), so any
// number run concurrently. A Put is a proposal at one node; it completes
// when that node applies it. A Get is a ReadIndex request at one node; it
// completes when that node has applied up to the read index, with the value
// its state machine holds then. When a node crashes, its pending requests
// end with an unknown outcome; a proposal raft refused outright (Propose
// returned an error) never happened and leaves the history.
//
// Time is the simulator's event counter.
//
// Thread safety: none.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fuzz/linearizability.h"

namespace fuzz::sim {

class Clients {
 public:
  // Starts an operation at node index `node`; returns its id (> 0).
  uint64_t StartPut(int node, const std::string& key, const std::string& value,
                    int64_t now);
  uint64_t StartGet(int node, const std::string& key, int64_t now);

  // Raft refused the request: it never happened.
  void Refuse(uint64_t op_id);
  // Node `node` applied op_id's Put: completes it if the node is the one
  // the client talks to.
  void PutApplied(int node, uint64_t op_id, int64_t now);
  // Node learned the read index of Get op_id.
  void ReadIndexKnown(int node, uint64_t op_id, uint64_t index);
  // Node has applied up to `applied`; complete its Gets whose read index is
  // reached, reading values through `read`.
  template <typename ReadFn>
  void Applied(int node, uint64_t applied, int64_t now, ReadFn read) {
    for (auto it = awaiting_apply_.begin(); it != awaiting_apply_.end();) {
      Pending& p = pending_.at(it->first);
      if (p.node == node && it->second <= applied) {
        Complete(it->first, read(history_[p.slot].key), now);
        it = awaiting_apply_.erase(it);
      } else {
        ++it;
      }
    }
  }
  // Node crashed: its pending requests get an unknown outcome.
  void NodeCrashed(int node);

  // The history so far; requests still pending have unknown outcome.
  std::vector<Operation> History() const;
  size_t pending() const { return pending_.size(); }
  // The id the next Start* returns.
  uint64_t next_id() const { return next_id_; }
  bool IsPending(uint64_t op_id) const { return pending_.count(op_id) != 0; }
  // Whether raft refused op_id (so it must never be applied).
  bool WasRefused(uint64_t op_id) const {
    return refused_ids_.count(op_id) != 0;
  }

 private:
  struct Pending {
    int node = 0;
    size_t slot = 0;  // Index into history_.
  };
  uint64_t Start(int node, Operation op);
  void Complete(uint64_t op_id, const std::string& value, int64_t now);

  uint64_t next_id_ = 1;
  std::vector<Operation> history_;
  std::vector<bool> refused_;  // Per slot.
  std::set<uint64_t> refused_ids_;
  std::map<uint64_t, Pending> pending_;
  std::map<uint64_t, uint64_t> awaiting_apply_;  // Get op id -> read index.
};

}  // namespace fuzz::sim
