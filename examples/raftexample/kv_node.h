#pragma once

// KvNode: one member of a replicated key-value map, built on raft/ alone.
//
// It owns what a real host owns: the log (a raft::MemoryStorage standing in
// for a disk), the raft::RawNode, and the state machine (a std::map). Its
// HandleReady() is the loop contract of docs/raft.md in one function:
// persist, send, apply, Advance. Messages go to an outbox the caller
// delivers, so any transport (here an in-memory queue) fits.
//
// Commands are "key=value" strings; applying one sets key to value.
//
// Thread safety: none; the caller drives every node from one thread.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "proto/raftpb/raftpb.h"
#include "raft/raw_node.h"
#include "raft/storage.h"

namespace raftexample {

class KvNode {
 public:
  // Creates member `id` whose empty storage holds the cluster's initial
  // configuration `initial_voters` (the same on every member, including
  // members added later: they replay the log from index 1, and with it
  // every configuration change since the start).
  static base::Result<std::unique_ptr<KvNode>> Create(
      uint64_t id, const std::vector<uint64_t>& initial_voters);

  KvNode(const KvNode&) = delete;
  KvNode& operator=(const KvNode&) = delete;

  uint64_t id() const { return id_; }
  raft::RawNode& raft() { return *node_; }
  // The applied state: the replicated map.
  const std::map<std::string, std::string>& kv() const { return kv_; }
  // The configuration as of the last applied configuration change.
  const raftpb::ConfState& conf_state() const { return conf_state_; }

  // Proposes setting key to value (forwarded to the leader if this node
  // is a follower). Errors: raft's proposal-dropped family.
  base::Status ProposePut(const std::string& key, const std::string& value);

  // Handles one Ready if there is one: persists its snapshot, entries and
  // hard state, appends its messages to *outbox, applies its committed
  // entries and calls Advance(). Returns whether there was a Ready.
  // Errors: storage errors and undecodable committed entries (a bug: the
  // caller stops).
  base::Result<bool> HandleReady(std::vector<raftpb::Message>* outbox);

 private:
  KvNode(uint64_t id, std::unique_ptr<raft::MemoryStorage> storage);
  base::Status Apply(const raftpb::Entry& e);

  uint64_t id_;
  std::unique_ptr<raft::MemoryStorage> storage_;  // The node reads it.
  std::unique_ptr<raft::RawNode> node_;
  std::map<std::string, std::string> kv_;
  raftpb::ConfState conf_state_;
  raft::Ready ready_;  // Reused by HandleReady.
};

}  // namespace raftexample
