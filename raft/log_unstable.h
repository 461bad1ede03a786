#pragma once

// Unstable: the log entries and snapshot the node has accepted but the
// application has not yet made durable (etcd's raftLog.unstable).
//
// entries[i] has log index offset + i. The entries [offset, offset_in_
// progress) have been handed to the application for writing (in a Ready)
// and not yet acknowledged; [offset_in_progress, ...) have not been handed
// out yet. StableTo() drops acknowledged entries.
//
// Memory is released by bytes: an acknowledged entry's payload is freed the
// moment StableTo() drops it (its reference goes away), and the entry
// array itself is shrunk only when its unused capacity is large in bytes,
// so a steady stream of proposals reuses one array without allocating.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "proto/raftpb/raftpb.h"
#include "raft/logger.h"

namespace raft {

class Unstable {
 public:
  // offset: the index the first unstable entry will have (last stable
  // index + 1).
  Unstable(uint64_t offset, Logger* logger)
      : offset_(offset), offset_in_progress_(offset), logger_(logger) {}

  // The index of the first entry if there is a snapshot (snapshot index +
  // 1); otherwise nullopt (the unstable log cannot tell).
  std::optional<uint64_t> MaybeFirstIndex() const;
  // The last index if there are entries or a snapshot.
  std::optional<uint64_t> MaybeLastIndex() const;
  // The term of entry i if the unstable part knows it.
  std::optional<uint64_t> MaybeTerm(uint64_t i) const;

  // Entries not yet handed out for writing (empty span if none).
  std::span<const raftpb::Entry> NextEntries() const;
  // The snapshot if not yet handed out.
  const raftpb::Snapshot* NextSnapshot() const;
  // Marks everything returned by NextEntries()/NextSnapshot() as handed out.
  void AcceptInProgress();

  // The application made entries up to (index, term) durable. Ignored when
  // that entry is not in the unstable log with that term (a newer leader
  // overwrote it meanwhile) or is covered by a pending snapshot.
  void StableTo(uint64_t index, uint64_t term);
  // The application made the snapshot at index i durable.
  void StableSnapTo(uint64_t i);

  // Replaces everything with a snapshot (the log restarts after it).
  void Restore(const raftpb::Snapshot& snap);

  // Appends entries, truncating any conflicting suffix first. REQUIRES
  // (CHECKed): ents non-empty and ents[0].index <= last index + 1.
  void TruncateAndAppend(std::span<const raftpb::Entry> ents);

  // Appends copies of entries [lo, hi) to *out. REQUIRES (CHECKed):
  // offset <= lo <= hi <= offset + entries.size().
  void Slice(uint64_t lo, uint64_t hi, std::vector<raftpb::Entry>* out) const;

  const std::vector<raftpb::Entry>& entries() const { return entries_; }
  const std::optional<raftpb::Snapshot>& snapshot() const { return snapshot_; }
  uint64_t offset() const { return offset_; }
  uint64_t offset_in_progress() const { return offset_in_progress_; }
  bool snapshot_in_progress() const { return snapshot_in_progress_; }

  // For tests: sets the internal state directly.
  void SetStateForTest(std::optional<raftpb::Snapshot> snap,
                       std::vector<raftpb::Entry> entries, uint64_t offset,
                       uint64_t offset_in_progress, bool snapshot_in_progress);

 private:
  void MustCheckOutOfBounds(uint64_t lo, uint64_t hi) const;
  void ShrinkEntries();

  // The incoming snapshot, if any.
  std::optional<raftpb::Snapshot> snapshot_;
  // Entries not yet durable; entries_[i] has index offset_ + i.
  std::vector<raftpb::Entry> entries_;
  uint64_t offset_;
  // Whether snapshot_ was handed out for writing.
  bool snapshot_in_progress_ = false;
  // Entries below this index were handed out for writing.
  // Invariant: offset_ <= offset_in_progress_ <= offset_ + entries_.size().
  uint64_t offset_in_progress_;
  Logger* logger_;
};

}  // namespace raft
