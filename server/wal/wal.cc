#include "server/wal/wal.h"

#include <chrono>
#include <utility>

#include "base/check.h"
#include "base/log.h"
#include "proto/raftpb/codec.h"
#include "server/metrics/server_metrics.h"
#include "server/wal/coding.h"

namespace server::wal {
namespace {

constexpr size_t kMarkerSize = 16;

base::Status BadRecord(const RecordView& r, const std::string& why) {
  return base::Status::DataLoss("wal: bad record in " + std::string(r.segment) +
                                " at offset " + std::to_string(r.offset) +
                                ": " + why);
}

// Adds one replayed entry to the run in *ents (the replay rules in wal.h).
void ReplayEntry(raftpb::Entry e, std::vector<raftpb::Entry>* ents) {
  if (!ents->empty()) {
    uint64_t first = ents->front().index;
    uint64_t last = ents->back().index;
    if (e.index >= first && e.index <= last + 1) {
      ents->resize(e.index - first);  // Drop the overwritten suffix.
    } else {
      ents->clear();  // Below the run, or past a gap: start a new run.
    }
  }
  ents->push_back(std::move(e));
}

}  // namespace

bool WalContents::HasMarker(const WalSnapshot& snap) const {
  if (snap == WalSnapshot{}) return true;
  for (const WalSnapshot& m : markers) {
    if (m == snap) return true;
  }
  return false;
}

base::Status WalContents::StartAt(const WalSnapshot& snap) {
  if (!HasMarker(snap)) {
    return base::Status::DataLoss("wal: no marker for snapshot index " +
                                  std::to_string(snap.index) + " term " +
                                  std::to_string(snap.term) + " in the WAL");
  }
  size_t drop = 0;
  while (drop < entries.size() && entries[drop].index <= snap.index) ++drop;
  entries.erase(entries.begin(),
                entries.begin() + static_cast<std::ptrdiff_t>(drop));
  if (!entries.empty() && entries.front().index != snap.index + 1) {
    return base::Status::DataLoss("wal: entries after snapshot index " +
                                  std::to_string(snap.index) + " start at " +
                                  std::to_string(entries.front().index) +
                                  " (missing segments?)");
  }
  start = snap;
  return base::Status::OK();
}

Wal::Wal(std::unique_ptr<RecordLog> log, std::string metadata,
         raftpb::HardState hs, uint64_t last_index)
    : log_(std::move(log)),
      metadata_(std::move(metadata)),
      hard_state_(hs),
      last_index_(last_index) {}

Wal::~Wal() = default;

base::Result<std::unique_ptr<Wal>> Wal::Open(const WalOptions& options,
                                             WalContents* out) {
  *out = WalContents();
  bool have_metadata = false;
  RecordLogOptions ro;
  ro.dir = options.dir;
  ro.segment_bytes = options.segment_bytes;
  ro.initial_index = 1;
  ro.fault_hook = options.fault_hook;
  auto visit = [&](const RecordView& r) -> base::Status {
    switch (static_cast<RecordType>(r.type)) {
      case RecordType::kEntry: {
        base::Result<raftpb::Entry> e = raftpb::DecodeEntry(r.payload);
        if (!e.ok()) return BadRecord(r, e.status().message());
        ReplayEntry(std::move(e).value(), &out->entries);
        return base::Status::OK();
      }
      case RecordType::kHardState: {
        base::Result<raftpb::HardState> hs = raftpb::DecodeHardState(r.payload);
        if (!hs.ok()) return BadRecord(r, hs.status().message());
        out->hard_state = *hs;
        return base::Status::OK();
      }
      case RecordType::kSnapshot:
        if (r.payload.size() != kMarkerSize) {
          return BadRecord(r, "snapshot marker of " +
                                  std::to_string(r.payload.size()) + " bytes");
        }
        out->markers.push_back(
            {GetFixed(r.payload.data(), 8), GetFixed(r.payload.data() + 8, 8)});
        return base::Status::OK();
      case RecordType::kMetadata:
        if (have_metadata && out->metadata != r.payload) {
          return BadRecord(r, "metadata differs from the first segment's");
        }
        out->metadata = std::string(r.payload);
        have_metadata = true;
        return base::Status::OK();
    }
    return BadRecord(r, "unknown record type " + std::to_string(r.type));
  };
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<RecordLog> log,
                         RecordLog::Open(ro, visit, &out->recovery));
  // No record at all: a new WAL, or one whose creation crashed before its
  // metadata was synced. Either way it holds nothing; (re)initialize it.
  out->created = out->recovery.records == 0;
  uint64_t last = out->entries.empty() ? 0 : out->entries.back().index;
  for (const WalSnapshot& m : out->markers) last = std::max(last, m.index);
  std::string metadata = out->created ? options.metadata : out->metadata;
  std::unique_ptr<Wal> wal(
      new Wal(std::move(log), metadata, out->hard_state, last));
  if (out->created) {
    out->metadata = metadata;
    CAIRN_RETURN_IF_ERROR(wal->WriteSegmentPreamble());
    CAIRN_RETURN_IF_ERROR(wal->Sync());
  }
  return wal;
}

base::Status Wal::WriteSegmentPreamble() {
  CAIRN_RETURN_IF_ERROR(
      log_->Append(static_cast<uint8_t>(RecordType::kMetadata), metadata_));
  if (raftpb::IsEmptyHardState(hard_state_)) return base::Status::OK();
  scratch_.clear();
  raftpb::EncodeHardState(hard_state_, &scratch_);
  return log_->Append(static_cast<uint8_t>(RecordType::kHardState), scratch_);
}

base::Status Wal::CutIfFull() {
  if (!log_->ShouldCut()) return base::Status::OK();
  CAIRN_RETURN_IF_ERROR(log_->Cut(last_index_ + 1));
  return WriteSegmentPreamble();
}

base::Status Wal::Save(const raftpb::HardState& hard_state,
                       std::span<const raftpb::Entry> entries) {
  CAIRN_RETURN_IF_ERROR(log_->failed());
  for (const raftpb::Entry& e : entries) {
    scratch_.clear();
    raftpb::EncodeEntry(e, &scratch_);
    CAIRN_RETURN_IF_ERROR(
        log_->Append(static_cast<uint8_t>(RecordType::kEntry), scratch_));
    last_index_ = e.index;
    CAIRN_RETURN_IF_ERROR(CutIfFull());
  }
  if (!raftpb::IsEmptyHardState(hard_state)) {
    hard_state_ = hard_state;
    scratch_.clear();
    raftpb::EncodeHardState(hard_state, &scratch_);
    CAIRN_RETURN_IF_ERROR(
        log_->Append(static_cast<uint8_t>(RecordType::kHardState), scratch_));
    CAIRN_RETURN_IF_ERROR(CutIfFull());
  }
  return base::Status::OK();
}

base::Status Wal::Sync() {
  auto start = std::chrono::steady_clock::now();
  base::Status s = log_->Sync();
  metrics::Server().wal_fsync->Observe(metrics::SecondsSince(start));
  return s;
}

base::Status Wal::SaveSnapshotMarker(const WalSnapshot& snap) {
  std::string payload;
  PutFixed(snap.index, 8, &payload);
  PutFixed(snap.term, 8, &payload);
  CAIRN_RETURN_IF_ERROR(
      log_->Append(static_cast<uint8_t>(RecordType::kSnapshot), payload));
  last_index_ = std::max(last_index_, snap.index);
  CAIRN_RETURN_IF_ERROR(log_->Sync());
  return CutIfFull();
}

base::Status Wal::ReleaseTo(uint64_t index) { return log_->ReleaseTo(index); }

}  // namespace server::wal
