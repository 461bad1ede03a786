#pragma once

// Ready: what a node needs its host to do, taken from RawNode::GetReady().
//
// The contract (etcd's, paper Figure 2 "persist before responding"):
//
//  1. Persist hard_state, entries and snapshot (in any order, but all
//     of them) before sending any of `messages`: those messages may promise
//     that this state is durable (a vote, an append acknowledgment). A
//     leader may send its MsgApps before its own write completes (they
//     promise nothing about the leader's disk), and `messages` is ordered
//     so that doing so is safe only for messages to other nodes. When
//     must_sync is true the write must be durable (fsync) before sending;
//     otherwise it may be buffered.
//  2. If `snapshot` is set, apply it to the state machine first.
//  3. Apply committed_entries in order. They are already durable in the
//     log (unless the node is a single voter, which may apply entries it
//     is still writing). Configuration changes among them are applied
//     through RawNode::ApplyConfChange.
//  4. Serve read_states once the applied index reaches their index.
//  5. Call RawNode::Advance() to acknowledge all of the above. Entries of
//     the next Ready may overlap (overwrite) those of this one.
//
// Ownership: a Ready is a plain value that owns copies of everything it
// holds (entry payloads are shared, immutable buffers). It stays valid
// after Advance(). To avoid reallocating vectors, the host may keep one
// Ready and pass it to RawNode::GetReady(Ready*) each time: its vectors
// are cleared and their capacity reused.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/raftpb/raftpb.h"
#include "raft/read_only.h"

namespace raft {

// The role of a node.
enum class StateType {
  kStateFollower = 0,
  kStateCandidate = 1,
  kStateLeader = 2,
  kStatePreCandidate = 3,
};
// "StateFollower", "StateCandidate", "StateLeader", "StatePreCandidate".
std::string StateTypeName(StateType s);

// Volatile state the host may want to know about (not persisted).
struct SoftState {
  uint64_t lead = 0;  // The known leader; 0 (kNone) when unknown.
  StateType raft_state = StateType::kStateFollower;

  friend bool operator==(const SoftState&, const SoftState&) = default;
};

struct Ready {
  // Set when lead or role changed since the last Ready.
  std::optional<SoftState> soft_state;
  // Set when term, vote or commit changed: persist it.
  std::optional<raftpb::HardState> hard_state;
  // Reads released since the last Ready (see ReadState).
  std::vector<ReadState> read_states;
  // Entries to append to stable storage (may overwrite earlier ones).
  std::vector<raftpb::Entry> entries;
  // A snapshot to persist and apply.
  std::optional<raftpb::Snapshot> snapshot;
  // Committed entries to apply, in order.
  std::vector<raftpb::Entry> committed_entries;
  // Messages to send after the writes above are done (rule 1).
  std::vector<raftpb::Message> messages;
  // Whether hard_state and entries must be synced to disk before messages
  // are sent (false when only the commit index changed).
  bool must_sync = false;

  // Empties the Ready, keeping vector capacity.
  void Clear() {
    soft_state.reset();
    hard_state.reset();
    read_states.clear();
    entries.clear();
    snapshot.reset();
    committed_entries.clear();
    messages.clear();
    must_sync = false;
  }

  // True when there is nothing to do.
  bool empty() const {
    return !soft_state && !hard_state && read_states.empty() &&
           entries.empty() && !snapshot && committed_entries.empty() &&
           messages.empty();
  }
};

// Whether the hard state changed requires an fsync: term, vote or the
// number of entries changed (etcd's MustSync).
bool MustSync(const raftpb::HardState& st, const raftpb::HardState& prev,
              size_t entries);

}  // namespace raft
