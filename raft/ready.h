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
// Asynchronous storage writes (Config::async_storage_writes, etcd's
// AsyncStorageWrites). The host never calls Advance(), and hard_state,
// entries, snapshot and committed_entries stay empty: the writes and
// applies travel as local messages in `messages`, after the messages to
// peers and in this order:
//
//   MsgStorageAppend (to kLocalAppendThread): write `entries` (they may
//     overwrite entries from their first index on), the HardState
//     {term, vote, commit} unless all three are 0 (unchanged), and
//     `snapshot` if set.
//   MsgStorageApply (to kLocalApplyThread): apply `entries` in order.
//
// Each carries `responses`, to deliver once its work is done: those to
// this node through RawNode::Step, the others over the network. The rules:
//
//  A1. Messages to peers may be sent at once: they promise nothing about
//      this node's disk (a leader's MsgApps, heartbeats, vote requests).
//  A2. One append thread processes the MsgStorageAppends one at a time, in
//      the order they were emitted (several may be batched into one write
//      and one fsync). A message's responses are delivered only when it
//      and every MsgStorageAppend before it are durable; must_sync false
//      (no entries, term and vote unchanged) allows leaving that Ready's
//      write unsynced. The responses are this node's MsgStorageAppendResp
//      plus the messages that promise durable state: vote responses and
//      append acknowledgments to peers, and this node's own vote (as a
//      candidate) and own MsgAppResp (as a leader). So a candidate counts
//      its own vote, and a leader its own entries toward commit, only once
//      they are durable; a leader may replicate to followers meanwhile.
//  A3. A write must be readable through Storage (config.storage) before
//      its MsgStorageAppendResp is stepped: raft reads an entry from
//      Storage once that response moved it out of the unstable log. Raft
//      reads Storage only from the thread that drives the RawNode;
//      MemoryStorage is not thread-safe, so a host with a separate append
//      thread hands the write to the raft thread (or locks).
//  A4. One apply thread processes the MsgStorageApplys in order, applies
//      configuration changes through RawNode::ApplyConfChange (on the raft
//      thread) and then delivers its MsgStorageApplyResp. Raft hands out
//      only entries the append thread reported durable, so the two
//      threads need no other coordination, except: a snapshot in a
//      MsgStorageAppend is restored into the state machine only after the
//      MsgStorageApplys emitted before it are applied (raft emits none
//      while a snapshot is pending).
//  A5. Responses are never dropped, duplicated or reordered, except that
//      a crash loses all of them: the restarted node starts from what
//      storage holds. Serve read_states once the apply thread has applied
//      up to their index.
//  A6. The log's stable index moves only on MsgStorageAppendResp and the
//      applied index only on MsgStorageApplyResp. A MsgStorageAppendResp
//      carries the term it was emitted at and the log's last (index, term)
//      then; raft ignores its entries when the term has changed since.
//      Otherwise this race (ABA) would lose a write: entries (i, t1) are
//      being written; a new leader overwrites them with (i, t2), then a
//      later one with (i, t1) again, both writes still queued; when the
//      first write completes, (i, t1) matches the unstable log, but the
//      queued (i, t2) write would still land in storage over it. A
//      response of the current term (the next term change always emits a
//      MsgStorageAppend) stabilizes them once no older write is queued.
//      Responses of an earlier term to this node (its own vote or
//      MsgAppResp) are ignored likewise.
//
// Both modes send the same messages to peers and commit the same entries;
// only when the node's own writes count differs.
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
  // Whether hard_state, entries and snapshot must be synced to disk before
  // messages are sent (false when only the commit index changed; always
  // true with a snapshot, which the node acknowledges). In async mode:
  // whether this Ready's MsgStorageAppend must be synced before its
  // responses are delivered.
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
