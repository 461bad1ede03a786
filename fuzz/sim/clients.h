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
// The cluster also reports when any node first applies a Put. A Put cannot
// take effect later than that (it was committed before), nor at all if no
// node ever applied it by the end of the run. History() uses both facts to
// tighten the history: a Put's response time becomes the earliest of its
// response and its first application, and a Put of unknown outcome that was
// never applied is left out. This is sound for a correct raft and keeps the
// linearizability search small (unknown Puts are what make it explode).
//
// Time is the simulator's event counter.
//
// Thread safety: none.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
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
        history_[p.slot].hint = 2 * applied + 1;  // Read after `applied`.
        Complete(it->first, read(history_[p.slot].key), now);
        it = awaiting_apply_.erase(it);
      } else {
        ++it;
      }
    }
  }
  // Some node applied op_id's Put, at log index `index`, at time `now` (the
  // first call counts).
  void FirstApplied(uint64_t op_id, uint64_t index, int64_t now) {
    first_applied_.emplace(op_id, std::make_pair(now, index));
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
  // Put op id -> (time, log index) of its first application.
  std::map<uint64_t, std::pair<int64_t, uint64_t>> first_applied_;
};

}  // namespace fuzz::sim
