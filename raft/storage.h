#pragma once

// Storage: the stable log, as raft reads it.
//
// Raft pulls from Storage; it never writes to it. The application appends
// entries, sets the HardState and applies snapshots after each Ready (see
// ready.h), so by the time raft reads an index the application has made it
// durable. Indices are 1-based; a snapshot at index i stands for entries
// [1, i], and its index/term serve as the "dummy" entry before the first
// available one.
//
// Errors (raft/errors.h):
//   ErrCompacted     the index is at or below the last compaction point;
//   ErrUnavailable   the index is past LastIndex();
//   ErrSnapOutOfDate a snapshot older than the current one was offered;
//   ErrSnapshotTemporarilyUnavailable Snapshot() is not ready yet; raft
//                    retries on a later heartbeat response.
// Any other error is fatal to raft (it aborts): storage must not fail.

#include <cstdint>
#include <span>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "proto/raftpb/raftpb.h"

namespace raft {

// What Storage::InitialState() returns.
struct PersistentState {
  raftpb::HardState hard_state;
  raftpb::ConfState conf_state;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // The saved HardState and ConfState (from the latest snapshot and any
  // configuration entries applied since; the application keeps it).
  virtual base::Result<PersistentState> InitialState() const = 0;

  // Appends to *out the entries in [lo, hi), stopping before the total
  // raftpb::EntrySize would exceed max_size, but always at least one entry
  // when lo < hi. Errors: ErrCompacted when lo <= the snapshot index,
  // ErrUnavailable when hi > LastIndex() + 1. REQUIRES: lo <= hi.
  virtual base::Status Entries(uint64_t lo, uint64_t hi, uint64_t max_size,
                               std::vector<raftpb::Entry>* out) const = 0;

  // The term of entry i, for i in [FirstIndex() - 1, LastIndex()] (the
  // entry before the first is the snapshot's). Errors: ErrCompacted below
  // that range, ErrUnavailable above.
  virtual base::Result<uint64_t> Term(uint64_t i) const = 0;

  // Index of the last entry (the snapshot's index if the log is empty).
  virtual base::Result<uint64_t> LastIndex() const = 0;

  // Index of the first entry that may be read through Entries(); older
  // entries were compacted into a snapshot. On an empty storage: 1.
  virtual base::Result<uint64_t> FirstIndex() const = 0;

  // The most recent snapshot. May return ErrSnapshotTemporarilyUnavailable.
  virtual base::Result<raftpb::Snapshot> Snapshot() const = 0;
};

// MemoryStorage: Storage in memory, the reference implementation; tests and
// the benchmarks use it, and an application may use it with its own
// durable log underneath (as etcd does with its WAL).
//
// Thread safety: none. The raft thread and the application must not use it
// concurrently (add a lock around it if they do).
class MemoryStorage final : public Storage {
 public:
  MemoryStorage();
  MemoryStorage(const MemoryStorage&) = delete;
  MemoryStorage& operator=(const MemoryStorage&) = delete;

  base::Result<PersistentState> InitialState() const override;
  base::Status Entries(uint64_t lo, uint64_t hi, uint64_t max_size,
                       std::vector<raftpb::Entry>* out) const override;
  base::Result<uint64_t> Term(uint64_t i) const override;
  base::Result<uint64_t> LastIndex() const override;
  base::Result<uint64_t> FirstIndex() const override;
  base::Result<raftpb::Snapshot> Snapshot() const override;

  // Saves the HardState.
  void SetHardState(const raftpb::HardState& hs);

  // Sets the configuration of a fresh storage (the ConfState of the
  // implicit snapshot at index 0), to bootstrap a new cluster's members
  // and in tests (etcd's withPeers).
  void SetInitialConfState(const raftpb::ConfState& cs) {
    snapshot_.metadata.conf_state = cs;
  }

  // Replaces the contents with the snapshot: the log becomes empty after it.
  // Error: ErrSnapOutOfDate when snap's index is not newer than the current
  // snapshot's.
  base::Status ApplySnapshot(const raftpb::Snapshot& snap);

  // Records a snapshot at index i (a log index already applied) with the
  // given state machine image, and (when cs is non-null) configuration.
  // Returns it. Errors: ErrSnapOutOfDate when i <= the current snapshot's
  // index. REQUIRES (CHECKed): i <= LastIndex().
  base::Result<raftpb::Snapshot> CreateSnapshot(uint64_t i,
                                                const raftpb::ConfState* cs,
                                                raftpb::Payload data);

  // Discards entries before compact_index (the entry at compact_index
  // becomes the dummy entry). Errors: ErrCompacted when compact_index <=
  // the current dummy index. REQUIRES (CHECKed): compact_index <=
  // LastIndex().
  base::Status Compact(uint64_t compact_index);

  // Appends entries, which must be contiguous. Entries at or below the
  // snapshot index are ignored; an entry at an index already present
  // truncates the log from there (a new leader overwrote it). REQUIRES
  // (CHECKed): the first entry is at most LastIndex() + 1.
  base::Status Append(std::span<const raftpb::Entry> entries);

  // The saved HardState (for tests and hosts).
  const raftpb::HardState& hard_state() const { return hard_state_; }

 private:
  uint64_t FirstIndexLocked() const { return ents_[0].index + 1; }
  uint64_t LastIndexLocked() const { return ents_[0].index + ents_.size() - 1; }

  raftpb::HardState hard_state_;
  raftpb::Snapshot snapshot_;
  // ents_[0] is the dummy entry: the snapshot's index and term (0, 0 on a
  // fresh storage). Invariant: ents_ is never empty, and ents_[i].index ==
  // ents_[0].index + i.
  std::vector<raftpb::Entry> ents_;
};

}  // namespace raft
