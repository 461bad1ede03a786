#pragma once

// RaftLog: the node's log, the stable part in Storage followed by the
// unstable part (etcd's raftLog). Indices satisfy
//
//   snapshot.index <= applied <= applying <= committed
//   committed <= last index
//
// where "applying" is the highest index handed to the application to apply
// (in Ready.committed_entries) and "applied" the highest it acknowledged
// (Advance). Thesis figure 3.1 / paper Figure 2 give the append rules.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "proto/raftpb/raftpb.h"
#include "raft/log_unstable.h"
#include "raft/logger.h"
#include "raft/storage.h"

namespace raft {

class RaftLog {
 public:
  // Restores the log from storage: committed and applied start at the
  // snapshot index. max_applying_ents_size bounds the bytes of committed
  // entries handed out and not yet applied (kNoLimit: none).
  // Aborts (CHECK) when storage fails.
  RaftLog(Storage* storage, Logger* logger, uint64_t max_applying_ents_size);

  RaftLog(const RaftLog&) = delete;
  RaftLog& operator=(const RaftLog&) = delete;

  // "committed=5, applied=3, applying=3, unstable.offset=6, ..."
  std::string String() const;

  // The AppendEntries consistency check and append (paper Figure 2,
  // receiver rules 2-5): if the entry at `index` has term `log_term`,
  // appends ents (truncating a conflicting suffix), commits up to
  // min(committed, index of the last new entry) and returns the index of
  // the last new entry. Returns nullopt when the check fails.
  std::optional<uint64_t> MaybeAppend(uint64_t index, uint64_t log_term,
                                      uint64_t committed,
                                      std::span<const raftpb::Entry> ents);

  // Appends ents (which may overwrite uncommitted entries) and returns the
  // new last index. REQUIRES (CHECKed): ents[0].index - 1 >= committed.
  uint64_t Append(std::span<const raftpb::Entry> ents);

  // The index of the first entry of ents that conflicts with the log (same
  // index, different term) or, when none conflicts, the first that is new
  // (past the last index); 0 when all are already present.
  uint64_t FindConflict(std::span<const raftpb::Entry> ents) const;

  // Fast backtracking (etcd's findConflictByTerm): the largest index j <=
  // index whose term is <= term, and the term of j. Used by a follower to
  // hint the leader, and by the leader to skip a whole term on rejection.
  // When index is out of the log's range it is returned with term 0.
  std::pair<uint64_t, uint64_t> FindConflictByTerm(uint64_t index,
                                                   uint64_t term) const;

  // Entries not yet handed out for persisting, and whether there are any.
  std::span<const raftpb::Entry> NextUnstableEnts() const {
    return unstable_.NextEntries();
  }
  bool HasNextUnstableEnts() const { return !NextUnstableEnts().empty(); }
  // True when unstable entries exist, handed out or not.
  bool HasNextOrInProgressUnstableEnts() const {
    return !unstable_.entries().empty();
  }
  // The unstable snapshot, if not yet handed out.
  const raftpb::Snapshot* NextUnstableSnapshot() const {
    return unstable_.NextSnapshot();
  }
  bool HasNextUnstableSnapshot() const {
    return unstable_.NextSnapshot() != nullptr;
  }
  // True when a snapshot is pending in the unstable log or being written.
  bool HasNextOrInProgressSnapshot() const {
    return unstable_.snapshot().has_value();
  }

  // Appends to *out the committed entries ready to be applied: above
  // applying, up to committed (only stable ones unless allow_unstable),
  // bounded by max_applying_ents_size minus what is being applied.
  void NextCommittedEnts(bool allow_unstable,
                         std::vector<raftpb::Entry>* out) const;
  // True when NextCommittedEnts would return something.
  bool HasNextCommittedEnts(bool allow_unstable) const;
  // The highest index that may be applied now.
  uint64_t MaxAppliableIndex(bool allow_unstable) const;

  // The latest snapshot (unstable or from storage).
  base::Result<raftpb::Snapshot> Snapshot() const;

  uint64_t FirstIndex() const;
  uint64_t LastIndex() const;
  uint64_t LastTerm() const;

  // The term of entry i. ErrCompacted below first index - 1, ErrUnavailable
  // above the last index. Aborts on any other storage error.
  base::Result<uint64_t> Term(uint64_t i) const;
  // Term(i), or 0 when i is compacted or unavailable.
  uint64_t ZeroTermOnOutOfBounds(uint64_t i) const;
  bool MatchTerm(uint64_t i, uint64_t term) const;

  // Appends entries [i, last] to *out, bounded by max_size bytes (at least
  // one entry). Returns ErrCompacted when i is compacted. i > last index
  // appends nothing.
  base::Status Entries(uint64_t i, uint64_t max_size,
                       std::vector<raftpb::Entry>* out) const;
  // Every entry (aborts on error; for tests).
  std::vector<raftpb::Entry> AllEntries() const;

  // Appends entries [lo, hi) bounded by max_size (at least one). Errors:
  // ErrCompacted when lo < first index. REQUIRES (CHECKed): lo <= hi <=
  // last index + 1.
  base::Status Slice(uint64_t lo, uint64_t hi, uint64_t max_size,
                     std::vector<raftpb::Entry>* out) const;

  // Paper 5.4.1: true when a log ending at (lasti, term) is at least as
  // up-to-date as this one.
  bool IsUpToDate(uint64_t lasti, uint64_t term) const;

  // Raises committed to to_commit. REQUIRES (CHECKed): to_commit <= last
  // index. Lowering is ignored.
  void CommitTo(uint64_t to_commit);
  // Commits max_index if the entry there has `term` (so a leader commits
  // only entries of its own term, paper 5.4.2) and it raises committed.
  bool MaybeCommit(uint64_t max_index, uint64_t term);

  // The application applied everything up to i; size is the bytes of the
  // entries it applied (to release the applying budget).
  void AppliedTo(uint64_t i, uint64_t size);
  // Entries up to i (size bytes) were handed out for applying.
  void AcceptApplying(uint64_t i, uint64_t size, bool allow_unstable);

  // Persistence acknowledgments, forwarded to the unstable log.
  void StableTo(uint64_t i, uint64_t t) { unstable_.StableTo(i, t); }
  void StableSnapTo(uint64_t i) { unstable_.StableSnapTo(i); }
  // Marks the next unstable entries and snapshot as handed out.
  void AcceptUnstable() { unstable_.AcceptInProgress(); }

  // Replaces the log with a snapshot; committed becomes its index.
  void Restore(const raftpb::Snapshot& snap);

  uint64_t committed() const { return committed_; }
  uint64_t applied() const { return applied_; }
  uint64_t applying() const { return applying_; }
  Storage* storage() const { return storage_; }
  Unstable& unstable() { return unstable_; }
  const Unstable& unstable() const { return unstable_; }

  // For tests.
  void set_committed(uint64_t c) { committed_ = c; }
  void set_applied_for_test(uint64_t a) { applied_ = applying_ = a; }

 private:
  base::Status MustCheckOutOfBounds(uint64_t lo, uint64_t hi) const;
  // Term(i) without building an error Status (which allocates): nullopt
  // when i is compacted or unavailable.
  std::optional<uint64_t> TermIfKnown(uint64_t i) const;

  Storage* storage_;
  Unstable unstable_;
  uint64_t committed_ = 0;
  uint64_t applying_ = 0;
  uint64_t applied_ = 0;
  Logger* logger_;
  uint64_t max_applying_ents_size_;
  // Bytes (EntrySize) of entries handed out for applying and not applied.
  uint64_t applying_ents_size_ = 0;
  // True when the last NextCommittedEnts stopped at the byte limit.
  bool applying_ents_paused_ = false;
};

}  // namespace raft
