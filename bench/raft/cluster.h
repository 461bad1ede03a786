#pragma once

// Cluster: N raft::RawNodes wired together in memory, for the raft benchmark.
//
// This is the C++ twin of bench/etcdraft/cluster.go, which drives etcd/raft
// the same way; keep the two loops in step (docs/bench/raft.md). Node 1 is
// the leader. Every node persists to its own MemoryStorage and applies by
// adding up payload sizes; messages are delivered in memory, after the
// sender's Ready was persisted: first every node with a Ready handles it,
// then the messages of those Readies are delivered, node by node, in order.

#include <cstdint>
#include <memory>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "proto/raftpb/raftpb.h"
#include "raft/raw_node.h"
#include "raft/ready.h"
#include "raft/storage.h"

namespace bench {

// Size of every proposal's data, in bytes.
inline constexpr size_t kPayloadSize = 128;

class Cluster {
 public:
  // Builds n voters, each bootstrapped from a MemoryStorage snapshot at
  // index 1 term 1 holding the voter set, and elects node 1 (running until
  // its empty entry is applied everywhere). With async, the nodes use
  // asynchronous storage writes (raft/ready.h); their append and apply
  // "threads" run inline, in order, when the Ready is handled: this
  // measures the protocol's cost, not the overlap real threads would give.
  static base::Result<std::unique_ptr<Cluster>> New(int n, bool async = false);

  // Proposes data on the leader and runs every node's Ready loop, delivering
  // messages, until nothing is left to do. Error if the proposal was refused
  // or some node did not apply it.
  base::Status ProposeAndApply(const raftpb::Payload& data);

  // Issues k ReadIndex requests on the leader, each with a fresh, unique
  // 8-byte context, then settles the cluster. Error unless the leader
  // released exactly k read states.
  base::Status ReadIndexRound(int k);

  // Runs Ready loops and delivers messages until no node has work left.
  void Settle();

  // Sum of the payload sizes node i (0-based) applied.
  uint64_t applied_bytes(size_t i) const { return members_[i]->applied_sum; }

 private:
  struct Member {
    uint64_t id = 0;
    raft::MemoryStorage storage;
    std::unique_ptr<raft::RawNode> node;
    // Reused: GetReady(&rd) keeps its capacity and recycles the entry
    // buffers of the messages it holds, which the cluster delivers from
    // here by const reference (as a host encodes them for the network).
    raft::Ready rd;
    bool undelivered = false;  // rd.messages not yet delivered
    // Async mode: responses of local work addressed to peers, delivered
    // with rd.messages.
    std::vector<raftpb::Message> outbox;
    uint64_t applied = 1;      // index of the last applied entry
    uint64_t applied_sum = 0;  // the "state machine": bytes applied
    uint64_t compacted_to = 1;
    uint64_t read_states = 0;  // read states received so far
  };

  Cluster() = default;
  void HandleReady(Member& m);
  // Async mode: the append or apply thread's work for local message lm.
  void DoLocalWork(Member& m, const raftpb::Message& lm);
  void Apply(Member& m, const std::vector<raftpb::Entry>& ents);

  std::vector<std::unique_ptr<Member>> members_;
  uint64_t next_read_ctx_ = 0;
};

}  // namespace bench
