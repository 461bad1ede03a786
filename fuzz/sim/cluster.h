#pragma once

// Cluster: N simulated nodes running the real raft::RawNode, a simulated
// network, clients, and the safety checks after every event.
//
// Each node is a "disk" and a process. The disk is a raft::MemoryStorage
// written only from Ready (entries, HardState, snapshots) plus the durable
// KvStateMachine with its applied index. The process is a RawNode built from
// the disk; a crash destroys it (and with it everything raft had not handed
// out for persisting), a restart builds a new one from the disk. Messages
// a node sends go into the Network; ticks, deliveries and Ready handling
// happen only when an Event says so.
//
// Ready handling follows ready.h's contract in sync mode: apply the
// snapshot, append entries, set the HardState, then send messages, apply
// committed entries, serve reads, Advance. In async-storage-writes mode
// (SimOptions::mode) a Ready only hands MsgStorageAppend / MsgStorageApply
// to the node's append and apply queues; separate events (kReady with
// b % 4 == 1 or 2) complete the oldest write or apply and deliver the
// responses that waited for it, so a slow disk acknowledges late, and a
// crash loses the writes still queued.
//
// After every Execute(), the cluster feeds what happened to the
// SafetyChecker and calls each live node's CheckInvariants(); the first
// failure is kept in violation().
//
// Thread safety: none.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "fuzz/sim/checker.h"
#include "fuzz/sim/clients.h"
#include "fuzz/sim/generator.h"
#include "fuzz/sim/kv_state_machine.h"
#include "fuzz/sim/network.h"
#include "fuzz/sim/options.h"
#include "fuzz/sim/schedule.h"
#include "raft/logger.h"
#include "raft/raw_node.h"
#include "raft/storage.h"

namespace fuzz::sim {

class Cluster {
 public:
  // REQUIRES: 3 <= options.nodes <= kMaxNodes. `options` must outlive the
  // cluster.
  explicit Cluster(const SimOptions& options);
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;
  ~Cluster();

  // Runs one event; time (now()) advances by one.
  void Execute(const Event& e);

  // Liveness helpers: restart every crashed node and heal the network.
  void RestartAllAndHeal();
  // Every live node ticks once.
  void TickAll();
  // Delivers every in-flight message (FIFO) and handles every Ready until
  // nothing is left to do, or `max_rounds` rounds. Returns false if work
  // was left.
  bool Stabilize(int max_rounds = 1000);
  // A node that is leader in the highest term any node has, or -1.
  int Leader() const;
  // Proposes a put at `node` through the clients; returns its op id, or 0
  // when raft refused it.
  uint64_t Propose(int node, const std::string& key);
  // Whether every node has applied op_id.
  bool AppliedEverywhere(uint64_t op_id) const;

  ClusterView View() const;
  bool ok() const { return violation_.empty(); }
  const std::string& violation() const { return violation_; }
  int64_t now() const { return now_; }
  uint64_t ticks() const { return ticks_; }
  const Clients& clients() const { return clients_; }
  const Network& network() const { return net_; }

 private:
  struct Node;

  void Start(int i);
  void Crash(int i);
  void HandleReady(int i);
  void Persist(int i, const raftpb::Snapshot* snap,
               const std::vector<raftpb::Entry>& entries,
               const raftpb::HardState* hs);
  void ServeReads(int i, const std::vector<raft::ReadState>& reads);
  void CheckLeaderLog(int i);
  std::optional<raftpb::Message> TakeStorageWork(
      int i, std::deque<raftpb::Message>& queue, const char* thread);
  void AppendStep(int i);
  void ApplyStep(int i);
  void StepResponses(int i, std::vector<raftpb::Message> responses);
  void ApplyCommitted(int i, const std::vector<raftpb::Entry>& entries);
  void Deliver(raftpb::Message m);
  void ReportLoss(const raftpb::Message& m, bool unreachable);
  void Snapshot(int i, int keep);
  void Read(int i, int key);
  void CheckAll();
  void Fail(std::string what);
  void Trace(const std::string& line);
  bool Alive(int i) const;

  const SimOptions& options_;
  std::vector<std::unique_ptr<Node>> nodes_;
  Network net_;
  SafetyChecker checker_;
  Clients clients_;
  std::string violation_;
  int64_t now_ = 0;
  uint64_t ticks_ = 0;  // Node ticks in all.
};

}  // namespace fuzz::sim
