#pragma once

// RecordLog: the generic, durable, append-only record log under the WAL.
//
// A log is a directory of segment files, each a header followed by
// CRC-32C-framed records (record_format.h; docs/wal-format.md). Records
// carry a type byte (1-255) and opaque payload; this layer knows nothing of
// raft. Each segment is named by a sequence number and a caller-chosen
// "first index" (the raft layer passes the index of the next entry), which
// is what ReleaseTo() compares against.
//
// Lifecycle:
//
//   RecordLog::Open(options, visitor)   scan + recover, then open for append
//     -> Append()* -> Sync()            one write + one fdatasync per batch
//     -> ShouldCut()? Cut(next_index)   start a new segment
//     -> ReleaseTo(index)               drop segments wholly before index
//
// Durability: Append() only buffers in memory. Sync() writes the buffer and
// fdatasyncs the segment; records appended before a successful Sync() survive
// any crash. New segments are created as "<name>.tmp", preallocated, given
// their header, fsynced, renamed into place and the directory fsynced.
//
// Failure: any failed write, allocation or sync puts the log in a sticky
// failed state (a failed fsync may have dropped dirty pages: retrying and
// continuing could acknowledge lost data). Every later call returns the same
// Status; the owner must stop and restart (recovery runs again).
//
// Thread safety: not thread-safe. One thread (the storage thread) owns a
// RecordLog; the object may be handed between threads with the usual
// happens-before (e.g. a queue).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "server/wal/file_util.h"
#include "server/wal/record_format.h"

namespace server::wal {

struct RecordLogOptions {
  // The directory of segment files. Created if missing.
  std::string dir;
  // A segment is cut (ShouldCut()) once its data reaches this size; it is
  // also the preallocation size. A record never spans segments, so a segment
  // holding one huge record may be larger.
  uint64_t segment_bytes = 64ull << 20;
  // First index of the first segment when the directory holds no segment.
  uint64_t initial_index = 0;
  // Test hook: fault injection on every write/sync/allocate/rename.
  FaultHook fault_hook;
};

// A record handed to the recovery visitor. The views stay valid only during
// the visitor call.
struct RecordView {
  uint8_t type = 0;
  std::string_view payload;
  std::string_view segment;  // File name of the segment holding the record.
  uint64_t offset = 0;       // Byte offset of the record header in it.
};

// Called for every valid record, oldest first. A non-OK Status aborts
// Open() and is returned by it.
using RecordVisitor = std::function<base::Status(const RecordView&)>;

// What Open() found.
struct RecoveryInfo {
  size_t segments = 0;
  uint64_t records = 0;
  // A torn tail was cut from the last segment at torn_offset of torn_file,
  // dropping torn_bytes bytes (counted to the end of the written data).
  bool torn_tail = false;
  std::string torn_file;
  uint64_t torn_offset = 0;
  std::string torn_reason;
  // Leftover "*.wal.tmp" files of an interrupted Cut(), removed.
  size_t removed_temp_files = 0;
};

// One segment, for Segments().
struct SegmentInfo {
  uint64_t seq = 0;
  uint64_t first_index = 0;
  std::string name;
};

class RecordLog {
 public:
  // Opens (creating if needed) the log in options.dir, recovers it and
  // visits every record in order. Recovery rules (docs/wal-format.md):
  //  - segment sequence numbers must be consecutive; each header must be
  //    valid, match the file name, and record where the previous segment's
  //    data ends;
  //  - a bad record in the LAST segment that is a torn write (nothing valid
  //    written after it, or a sector of it never reached the disk) is cut:
  //    the file is truncated there, re-zeroed and synced, and a WARN logged;
  //  - any other bad record is refused: DATA_LOSS "wal: corrupt record in
  //    <path> at offset <n>: <reason>".
  // Returns an I/O error Status if the directory cannot be read or written.
  static base::Result<std::unique_ptr<RecordLog>> Open(
      const RecordLogOptions& options, const RecordVisitor& visitor,
      RecoveryInfo* info = nullptr);

  RecordLog(const RecordLog&) = delete;
  RecordLog& operator=(const RecordLog&) = delete;
  // Closes the files. Does NOT sync: records appended since the last Sync()
  // may be lost, as in a crash.
  ~RecordLog();

  // Buffers one record. REQUIRES: type != 0. Returns INVALID_ARGUMENT
  // (not sticky) if payload exceeds kMaxRecordPayload, or the sticky error.
  base::Status Append(uint8_t type, std::string_view payload);

  // Writes everything buffered and fdatasyncs the current segment. A no-op
  // (but still a sync, if anything was written since the last one) when
  // nothing is buffered. On failure the log enters the failed state.
  base::Status Sync();

  // True when the current segment has reached segment_bytes.
  bool ShouldCut() const;

  // Syncs and closes the current segment (trimming its preallocated tail),
  // then starts segment seq+1 named with `next_index`. On failure the log
  // enters the failed state.
  base::Status Cut(uint64_t next_index);

  // Removes every segment wholly before `index`: all segments older than the
  // newest one whose first_index <= index. The current segment is never
  // removed. Syncs the directory. Errors are returned but not sticky (a
  // leftover segment is harmless).
  base::Status ReleaseTo(uint64_t index);

  // The sticky failure, or OK.
  const base::Status& failed() const { return failed_; }
  // Segments on disk, oldest first.
  const std::vector<SegmentInfo>& Segments() const { return segments_; }
  // Bytes of records in the current segment, buffered ones included.
  uint64_t TailBytes() const { return tail_offset_ + buffer_.size(); }
  const std::string& dir() const { return options_.dir; }

 private:
  explicit RecordLog(RecordLogOptions options);

  base::Status Recover(const RecordVisitor& visitor, RecoveryInfo* info);
  // Recovers one segment. `prev_end` is where the previous segment's data
  // ended (null for the first segment found); sets *end to where this
  // one's ends.
  base::Status RecoverSegment(const SegmentInfo& seg, bool last,
                              const uint64_t* prev_end,
                              const RecordVisitor& visitor, RecoveryInfo* info,
                              uint64_t* end);
  // Creates segment `seq` as tmp, preallocates, writes its header, syncs,
  // renames into place and opens it for append.
  base::Status CreateSegment(const SegmentHeader& header);
  base::Status OpenTail(const SegmentInfo& seg, uint64_t end, bool zero_rest);
  base::Status Flush();
  base::Status Fail(base::Status s);
  std::string TailPath() const;

  const RecordLogOptions options_;
  std::vector<SegmentInfo> segments_;  // Oldest first; back() is the tail.
  ScopedFd tail_fd_;
  // Invariant: records in [kSegmentHeaderSize, tail_offset_) of the tail
  // segment are written (not necessarily synced); buffer_ follows them.
  uint64_t tail_offset_ = 0;
  // Bytes of the tail file allocated (zeros past tail_offset_).
  uint64_t tail_allocated_ = 0;
  bool unsynced_ = false;  // Written since the last fdatasync.
  std::string buffer_;
  base::Status failed_;
};

}  // namespace server::wal
