#include "server/wal/record_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "base/check.h"
#include "base/log.h"
#include "server/wal/record_format.h"

namespace server::wal {
namespace {

// Appends are written out early once this much is buffered.
constexpr size_t kFlushThreshold = 4u << 20;

constexpr std::string_view kTempSuffix = ".tmp";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

RecordLog::RecordLog(RecordLogOptions options) : options_(std::move(options)) {}

RecordLog::~RecordLog() = default;

base::Result<std::unique_ptr<RecordLog>> RecordLog::Open(
    const RecordLogOptions& options, const RecordVisitor& visitor,
    RecoveryInfo* info) {
  CAIRN_CHECK(options.segment_bytes > kSegmentHeaderSize,
              "segment_bytes %llu too small",
              static_cast<unsigned long long>(options.segment_bytes));
  std::unique_ptr<RecordLog> log(new RecordLog(options));
  RecoveryInfo local;
  CAIRN_RETURN_IF_ERROR(log->Recover(visitor, info ? info : &local));
  return log;
}

base::Status RecordLog::Recover(const RecordVisitor& visitor,
                                RecoveryInfo* info) {
  const std::string& dir = options_.dir;
  CAIRN_RETURN_IF_ERROR(CreateDirs(dir));
  CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir));
  for (const std::string& name : names) {
    SegmentHeader h;
    if (EndsWith(name, std::string(".wal") + std::string(kTempSuffix))) {
      // An interrupted Cut(): the segment never got its final name.
      CAIRN_RETURN_IF_ERROR(RemoveFile(JoinPath(dir, name)));
      ++info->removed_temp_files;
    } else if (ParseSegmentFileName(name, &h)) {
      segments_.push_back({h.seq, h.first_index, name});
    }
  }
  if (info->removed_temp_files > 0) {
    CAIRN_RETURN_IF_ERROR(SyncDir(dir, options_.fault_hook));
  }
  std::sort(
      segments_.begin(), segments_.end(),
      [](const SegmentInfo& a, const SegmentInfo& b) { return a.seq < b.seq; });
  for (size_t i = 1; i < segments_.size(); ++i) {
    if (segments_[i].seq != segments_[i - 1].seq + 1) {
      return base::Status::DataLoss("wal: missing segment between " +
                                    JoinPath(dir, segments_[i - 1].name) +
                                    " and " + segments_[i].name);
    }
  }
  info->segments = segments_.size();
  if (segments_.empty()) {
    return CreateSegment({0, options_.initial_index, 0});
  }
  uint64_t end = 0;
  for (size_t i = 0; i < segments_.size(); ++i) {
    uint64_t prev_end = end;
    CAIRN_RETURN_IF_ERROR(
        RecoverSegment(segments_[i], i + 1 == segments_.size(),
                       i > 0 ? &prev_end : nullptr, visitor, info, &end));
  }
  return base::Status::OK();
}

base::Status RecordLog::RecoverSegment(const SegmentInfo& seg, bool last,
                                       const uint64_t* prev_end,
                                       const RecordVisitor& visitor,
                                       RecoveryInfo* info, uint64_t* end) {
  std::string path = JoinPath(options_.dir, seg.name);
  CAIRN_ASSIGN_OR_RETURN(std::string file, ReadFile(path));
  base::Result<SegmentHeader> header = DecodeSegmentHeader(file);
  if (!header.ok()) {
    return header.status().Annotate("wal: bad segment header in " + path);
  }
  if (header->seq != seg.seq || header->first_index != seg.first_index) {
    return base::Status::DataLoss("wal: segment header of " + path +
                                  " does not match its name");
  }
  if (prev_end != nullptr && header->prev_end != *prev_end) {
    return base::Status::DataLoss(
        "wal: the segment before " + path + " ends at offset " +
        std::to_string(*prev_end) + " but should end at " +
        std::to_string(header->prev_end) + " (its tail was lost)");
  }
  SegmentScan scan = ScanSegment(file, last);
  *end = scan.end;
  if (!scan.clean && !scan.torn) {
    return base::Status::DataLoss(
        "wal: corrupt record in " + path + " at offset " +
        std::to_string(scan.bad_offset) + ": " + scan.reason);
  }
  for (const ScannedRecord& r : scan.records) {
    CAIRN_RETURN_IF_ERROR(visitor({r.type, r.payload, seg.name, r.offset}));
    ++info->records;
  }
  if (!last) return base::Status::OK();
  if (scan.torn) {
    CAIRN_LOG(kWarn, "wal",
              "torn tail in %s at offset %llu (%s): truncating %llu bytes",
              path.c_str(), static_cast<unsigned long long>(scan.end),
              scan.reason.c_str(),
              static_cast<unsigned long long>(file.size() - scan.end));
    info->torn_tail = true;
    info->torn_file = path;
    info->torn_offset = scan.end;
    info->torn_reason = scan.reason;
  }
  return OpenTail(seg, scan.end, scan.torn);
}

base::Status RecordLog::OpenTail(const SegmentInfo& seg, uint64_t end,
                                 bool zero_rest) {
  std::string path = JoinPath(options_.dir, seg.name);
  CAIRN_ASSIGN_OR_RETURN(tail_fd_, OpenFile(path, O_RDWR, options_.fault_hook));
  struct stat st;
  if (::fstat(tail_fd_.get(), &st) != 0) {
    return ErrnoStatus("fstat", path, errno);
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  tail_offset_ = end;
  if (zero_rest) {
    // Cut the torn bytes and re-zero the space, so that a later crash cannot
    // expose them behind newer records.
    if (::ftruncate(tail_fd_.get(), static_cast<off_t>(end)) != 0) {
      return ErrnoStatus("ftruncate", path, errno);
    }
    uint64_t want = std::max(size, options_.segment_bytes);
    if (want > end) {
      CAIRN_RETURN_IF_ERROR(
          Allocate(tail_fd_.get(), path, end, want - end, options_.fault_hook));
    }
    CAIRN_RETURN_IF_ERROR(
        SyncFd(tail_fd_.get(), path, false, options_.fault_hook));
    size = std::max(want, end);
  }
  tail_allocated_ = size;
  return base::Status::OK();
}

base::Status RecordLog::CreateSegment(const SegmentHeader& header) {
  SegmentInfo seg{header.seq, header.first_index,
                  SegmentFileName(header.seq, header.first_index)};
  std::string path = JoinPath(options_.dir, seg.name);
  std::string tmp = path + std::string(kTempSuffix);
  const FaultHook& hook = options_.fault_hook;
  CAIRN_ASSIGN_OR_RETURN(ScopedFd fd,
                         OpenFile(tmp, O_RDWR | O_CREAT | O_TRUNC, hook));
  CAIRN_RETURN_IF_ERROR(
      Allocate(fd.get(), tmp, 0, options_.segment_bytes, hook));
  CAIRN_RETURN_IF_ERROR(
      WriteAllAt(fd.get(), tmp, EncodeSegmentHeader(header), 0, hook));
  CAIRN_RETURN_IF_ERROR(SyncFd(fd.get(), tmp, /*data_only=*/false, hook));
  CAIRN_RETURN_IF_ERROR(RenameDurably(options_.dir, tmp, path, hook));
  tail_fd_ = std::move(fd);
  tail_offset_ = kSegmentHeaderSize;
  tail_allocated_ = options_.segment_bytes;
  unsynced_ = false;
  segments_.push_back(std::move(seg));
  CAIRN_LOG(kDebug, "wal", "created segment %s", path.c_str());
  return base::Status::OK();
}

std::string RecordLog::TailPath() const {
  return JoinPath(options_.dir, segments_.back().name);
}

base::Status RecordLog::Fail(base::Status s) {
  CAIRN_CHECK(!s.ok());
  CAIRN_LOG(kError, "wal", "failed, refusing further writes: %s",
            s.ToString().c_str());
  failed_ = std::move(s);
  return failed_;
}

base::Status RecordLog::Append(uint8_t type, std::string_view payload) {
  CAIRN_CHECK(type != 0, "record type 0 is reserved");
  if (!failed_.ok()) return failed_;
  if (payload.size() > kMaxRecordPayload) {
    return base::Status::InvalidArgument(
        "wal: record of " + std::to_string(payload.size()) +
        " bytes exceeds the limit of " + std::to_string(kMaxRecordPayload));
  }
  AppendRecord(type, payload, &buffer_);
  if (buffer_.size() >= kFlushThreshold) return Flush();
  return base::Status::OK();
}

base::Status RecordLog::Flush() {
  if (buffer_.empty()) return base::Status::OK();
  std::string path = TailPath();
  uint64_t need = tail_offset_ + buffer_.size();
  if (need > tail_allocated_) {
    // Keep the written data inside allocated space, so a torn write reads
    // back as zeros rather than as a short file.
    uint64_t grow =
        std::max<uint64_t>(need - tail_allocated_, options_.segment_bytes / 4);
    base::Status s = Allocate(tail_fd_.get(), path, tail_allocated_, grow,
                              options_.fault_hook);
    if (!s.ok()) return Fail(std::move(s));
    tail_allocated_ += grow;
  }
  base::Status s = WriteAllAt(tail_fd_.get(), path, buffer_, tail_offset_,
                              options_.fault_hook);
  if (!s.ok()) return Fail(std::move(s));
  tail_offset_ = need;
  buffer_.clear();
  unsynced_ = true;
  return base::Status::OK();
}

base::Status RecordLog::Sync() {
  if (!failed_.ok()) return failed_;
  CAIRN_RETURN_IF_ERROR(Flush());
  if (!unsynced_) return base::Status::OK();
  base::Status s = SyncFd(tail_fd_.get(), TailPath(), /*data_only=*/true,
                          options_.fault_hook);
  if (!s.ok()) return Fail(std::move(s));
  unsynced_ = false;
  return base::Status::OK();
}

bool RecordLog::ShouldCut() const {
  return TailBytes() >= options_.segment_bytes;
}

base::Status RecordLog::Cut(uint64_t next_index) {
  if (!failed_.ok()) return failed_;
  CAIRN_RETURN_IF_ERROR(Flush());
  std::string path = TailPath();
  // Trim the preallocated zeros, then make data and size durable before the
  // next segment exists: only the newest segment may end torn.
  if (::ftruncate(tail_fd_.get(), static_cast<off_t>(tail_offset_)) != 0) {
    return Fail(ErrnoStatus("ftruncate", path, errno));
  }
  base::Status s = SyncFd(tail_fd_.get(), path, false, options_.fault_hook);
  if (!s.ok()) return Fail(std::move(s));
  unsynced_ = false;
  s = CreateSegment({segments_.back().seq + 1, next_index, tail_offset_});
  if (!s.ok()) return Fail(std::move(s));
  return base::Status::OK();
}

base::Status RecordLog::ReleaseTo(uint64_t index) {
  if (!failed_.ok()) return failed_;
  size_t keep_from = 0;
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i].first_index <= index) keep_from = i;
  }
  if (keep_from == 0) return base::Status::OK();
  for (size_t i = 0; i < keep_from; ++i) {
    std::string path = JoinPath(options_.dir, segments_[i].name);
    base::Status s = RemoveFile(path);
    if (!s.ok()) {
      segments_.erase(segments_.begin(),
                      segments_.begin() + static_cast<std::ptrdiff_t>(i));
      return s;
    }
    CAIRN_LOG(kDebug, "wal", "released segment %s", path.c_str());
  }
  segments_.erase(segments_.begin(),
                  segments_.begin() + static_cast<std::ptrdiff_t>(keep_from));
  return SyncDir(options_.dir, options_.fault_hook);
}

}  // namespace server::wal
