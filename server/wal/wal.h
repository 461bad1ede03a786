#pragma once

// Wal: the raft write-ahead log, typed records on top of RecordLog.
//
// Record types (the payload of each RecordLog record; docs/wal-format.md):
//
//   1 kEntry      raftpb::Entry, protobuf-encoded (proto/raftpb/codec.h)
//   2 kHardState  raftpb::HardState, protobuf-encoded
//   3 kSnapshot   a snapshot marker: index u64 LE, term u64 LE
//   4 kMetadata   opaque bytes fixed when the WAL is created (the server
//                 keeps member and cluster IDs there), repeated at the start
//                 of every segment
//
// Replay rules (as etcd's WAL): records are read oldest first; a later entry
// with the same index replaces the earlier one and everything after it (a
// new leader overwrote an uncommitted suffix); the last hard state wins.
// Every segment starts with the metadata and the latest hard state, so
// releasing old segments loses neither.
//
// Start-up, with the snapshot files (server/snap/snapshotter.h):
//
//   WalContents c;
//   CAIRN_ASSIGN_OR_RETURN(auto wal, Wal::Open(opts, &c));
//   snap::LoadOptions lo;
//   lo.accept = [&c](uint64_t t, uint64_t i) { return c.HasMarker({i, t}); };
//   auto snapshot = snapshotter.LoadNewest(lo);  // NOT_FOUND: none yet
//   WalSnapshot start = snapshot.ok() ? WalSnapshot{snapshot->index,
//                                                   snapshot->term}
//                                     : WalSnapshot{};
//   CAIRN_RETURN_IF_ERROR(c.StartAt(start));     // entries after it only
//   ... LoadIntoMemoryStorage(...) (raft_storage.h) ...
//
// Then per Ready, on the storage thread:
//   wal->Save(ready.hard_state, ready.entries); wal->Sync() if MustSync;
// After writing snapshot file (term, index):
//   wal->SaveSnapshotMarker({index, term}); (syncs)
//   snapshotter.Release(keep); wal->ReleaseTo(index of the oldest snapshot
//   kept), so that a fallback to an older snapshot still finds its entries.
//
// Errors: a failed write or sync is sticky (RecordLog); every later call
// returns it and the server must exit. Thread safety: none; owned by the
// storage thread.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "proto/raftpb/raftpb.h"
#include "server/wal/file_util.h"
#include "server/wal/record_log.h"

namespace server::wal {

enum class RecordType : uint8_t {
  kEntry = 1,
  kHardState = 2,
  kSnapshot = 3,
  kMetadata = 4,
};

// A snapshot marker: the (index, term) of a snapshot the server wrote.
// {0, 0} stands for "no snapshot" (replay from the first entry).
struct WalSnapshot {
  uint64_t index = 0;
  uint64_t term = 0;
  friend bool operator==(const WalSnapshot&, const WalSnapshot&) = default;
};

struct WalOptions {
  // Directory of the segment files ("<data-dir>/member/wal" in the server).
  std::string dir;
  uint64_t segment_bytes = 64ull << 20;
  // Written when the WAL is created; ignored when it exists (WalContents
  // then returns the stored one).
  std::string metadata;
  FaultHook fault_hook;  // Test hook, see file_util.h.
};

// What Open() read. After StartAt(), `entries` are exactly the entries
// after `start`.
struct WalContents {
  std::string metadata;
  raftpb::HardState hard_state;  // The last one saved (empty if none).
  // Before StartAt(): the contiguous run of entries replay ended with (an
  // entry below the first one seen, or past a gap, restarts the run).
  // After: those with index > start.index, starting at start.index + 1.
  std::vector<raftpb::Entry> entries;
  // Every snapshot marker found, oldest first.
  std::vector<WalSnapshot> markers;
  WalSnapshot start;  // Set by StartAt().
  RecoveryInfo recovery;
  // The WAL held no record (it did not exist, or its creation was cut short
  // by a crash) and was initialized with options.metadata.
  bool created = false;

  // True if `snap` is {0, 0} or a marker of it was found.
  bool HasMarker(const WalSnapshot& snap) const;

  // Keeps only the entries after `snap`. Errors (DATA_LOSS): snap.index > 0
  // and no marker for it was found; or the entries do not continue at
  // snap.index + 1 (a segment needed was released or lost).
  base::Status StartAt(const WalSnapshot& snap);
};

class Wal {
 public:
  // Opens the WAL in options.dir (creating it, with options.metadata, if it
  // holds no segment), recovers it (RecordLog::Open: a torn tail is cut, a
  // corrupt record refused with DATA_LOSS naming file and offset) and
  // fills *out. Also DATA_LOSS: an undecodable record, an unknown record
  // type, metadata records that differ.
  static base::Result<std::unique_ptr<Wal>> Open(const WalOptions& options,
                                                 WalContents* out);

  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;
  ~Wal();

  // Appends the entries, then the hard state unless it is empty
  // (raftpb::IsEmptyHardState), cutting a new segment first when the
  // current one is full. Does not sync: call Sync() (once per batch).
  // REQUIRES: entries are contiguous.
  base::Status Save(const raftpb::HardState& hard_state,
                    std::span<const raftpb::Entry> entries);

  // Makes everything saved so far durable (one fdatasync).
  base::Status Sync();

  // Appends a snapshot marker and syncs. Call after the snapshot file is
  // durable, before releasing anything.
  base::Status SaveSnapshotMarker(const WalSnapshot& snap);

  // Removes segments wholly before `index` (RecordLog::ReleaseTo). Pass the
  // index of the oldest snapshot file kept.
  base::Status ReleaseTo(uint64_t index);

  // Index of the last entry saved (or of the start snapshot/marker).
  uint64_t last_index() const { return last_index_; }
  // The sticky failure, or OK.
  const base::Status& failed() const { return log_->failed(); }
  RecordLog& record_log() { return *log_; }

 private:
  Wal(std::unique_ptr<RecordLog> log, std::string metadata,
      raftpb::HardState hs, uint64_t last_index);
  base::Status CutIfFull();
  base::Status WriteSegmentPreamble();

  std::unique_ptr<RecordLog> log_;
  const std::string metadata_;
  raftpb::HardState hard_state_;  // Last one saved, repeated after a cut.
  uint64_t last_index_ = 0;
  std::string scratch_;
};

}  // namespace server::wal
