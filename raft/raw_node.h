#pragma once

// RawNode: the application's handle on a raft node (etcd's RawNode).
//
// The host drives it from one thread:
//
//   for (;;) {
//     on timer:        node.Tick();
//     on peer message: node.Step(msg);
//     on client write: node.Propose(data);
//     if (node.HasReady()) {
//       node.GetReady(&rd);   // see ready.h for the contract:
//       persist rd.hard_state, rd.entries, rd.snapshot;
//       send rd.messages; apply rd.committed_entries;
//       node.Advance();
//     }
//   }
//
// Time exists only as Tick() calls; randomness only through Config.seed.
// Thread safety: none; one thread only.

#include <cstdint>
#include <memory>

#include "base/result.h"
#include "base/status.h"
#include "proto/raftpb/raftpb.h"
#include "raft/config.h"
#include "raft/raft.h"
#include "raft/ready.h"
#include "raft/status.h"

namespace raft {

// The outcome of sending a snapshot (ReportSnapshot).
enum class SnapshotStatus { kSnapshotFinish = 1, kSnapshotFailure = 2 };

class RawNode {
 public:
  // Creates a node from config (validated; see Config) whose state is
  // restored from config.storage. A fresh cluster's storage holds the
  // initial ConfState (e.g. through MemoryStorage::ApplySnapshot of a
  // snapshot with that ConfState). Errors: invalid config, storage errors.
  static base::Result<std::unique_ptr<RawNode>> New(Config config);

  RawNode(const RawNode&) = delete;
  RawNode& operator=(const RawNode&) = delete;

  // Advances time by one tick: a follower may campaign, a leader may send
  // heartbeats or step down (check_quorum).
  void Tick();
  // Advances the election clock without any action (etcd's
  // TickQuiesced), for hosts that quiesce idle groups.
  void TickQuiesced();

  // Campaigns for leadership now (MsgHup).
  base::Status Campaign();

  // Proposes data to be appended to the log. OK means raft accepted it;
  // it may still be lost (the leader fails before committing it): the
  // application learns it committed by seeing it in committed_entries.
  // Errors: the proposal-dropped family of raft/errors.h.
  base::Status Propose(raftpb::Payload data);
  // Proposes a configuration change (as an EntryConfChange /
  // EntryConfChangeV2 entry). Errors as Propose.
  base::Status ProposeConfChange(const raftpb::ConfChange& cc);
  base::Status ProposeConfChangeV2(const raftpb::ConfChangeV2& cc);
  // Applies a committed configuration change (call it when the entry is
  // applied, before Advance); returns the ConfState now in effect, which
  // the host persists with its next snapshot. A change that does not fit
  // the current configuration (raft/confchange) is refused alike by every
  // member: the configuration stays, the refusal is logged, and *error (if
  // non-null) says why.
  raftpb::ConfState ApplyConfChange(const raftpb::ConfChangeV2& cc,
                                    base::Status* error = nullptr);

  // Delivers a message from a peer. Errors: ErrStepLocalMsg for local
  // message types, ErrStepPeerNotFound for responses from unknown peers.
  // The const& overload copies the message only when raft must keep or
  // forward it (MsgProp, MsgReadIndex, MsgTransferLeader); a MsgApp's
  // entries are copied into the log without copying the message.
  base::Status Step(const raftpb::Message& m);
  base::Status Step(raftpb::Message&& m);

  // True when GetReady would return something to do.
  bool HasReady() const;
  // Returns the pending work. REQUIRES: each Ready is followed by Advance()
  // before the next GetReady().
  Ready GetReady();
  // Same, into *rd, reusing its vectors' capacity (rd is cleared first).
  void GetReady(Ready* rd);
  // Acknowledges the last Ready: its entries and snapshot are persisted,
  // its committed entries applied, its messages sent.
  void Advance();

  // A snapshot of the node's status (copies the progress map).
  raft::Status GetStatus() const;
  // The cheap part of the status (no allocation).
  BasicStatus GetBasicStatus() const;

  // Reports that `id` could not be reached (the leader probes it again).
  void ReportUnreachable(uint64_t id);
  // Reports whether sending a snapshot to `id` succeeded.
  void ReportSnapshot(uint64_t id, SnapshotStatus status);
  // Asks the leader to hand leadership to `transferee`.
  void TransferLeader(uint64_t transferee);
  // Forgets the current leader (a follower keeps its term); etcd's
  // ForgetLeader.
  void ForgetLeader();
  // Requests a linearizable read; the answer is a ReadState with rctx in a
  // later Ready.
  void ReadIndex(raftpb::Payload rctx);

  // Checks the node's invariants (Raft::CheckInvariants).
  base::Status CheckInvariants() const { return raft_->CheckInvariants(); }

  // The state machine, for tests and diagnostics.
  Raft& raft() { return *raft_; }
  const Raft& raft() const { return *raft_; }

 private:
  explicit RawNode(std::unique_ptr<Raft> r);
  base::Status CheckStep(const raftpb::Message& m) const;
  base::Status CheckWellFormed(const raftpb::Message& m) const;
  base::Status CheckLocalResponse(const raftpb::Message& m) const;
  bool ApplyUnstableEntries() const;
  void GetReadyAsync(Ready* rd);
  raftpb::Message StorageAppendResp(const raftpb::Snapshot* snap) const;

  std::unique_ptr<Raft> raft_;
  // The soft and hard state reported by the last Ready.
  SoftState prev_soft_state_;
  raftpb::HardState prev_hard_state_;
  // What the last Ready handed out, acknowledged by Advance().
  struct Pending {
    bool has_ready = false;
    uint64_t last_entry_index = 0;
    uint64_t last_entry_term = 0;
    uint64_t snapshot_index = 0;
    uint64_t last_committed_index = 0;
    uint64_t committed_size = 0;          // EntrySize bytes.
    uint64_t committed_payload_size = 0;  // PayloadSize bytes.
  };
  Pending pending_;
  // Reused MsgProp, so proposals do not allocate a vector each time.
  raftpb::Message prop_;
};

}  // namespace raft
