#include "raft/storage.h"

#include <utility>

#include "base/check.h"
#include "raft/errors.h"

namespace raft {

MemoryStorage::MemoryStorage() {
  // The dummy entry at index 0, term 0.
  ents_.emplace_back();
}

base::Result<PersistentState> MemoryStorage::InitialState() const {
  return PersistentState{hard_state_, snapshot_.metadata.conf_state};
}

void MemoryStorage::SetHardState(const raftpb::HardState& hs) {
  hard_state_ = hs;
}

base::Status MemoryStorage::Entries(uint64_t lo, uint64_t hi, uint64_t max_size,
                                    std::vector<raftpb::Entry>* out) const {
  uint64_t offset = ents_[0].index;
  if (lo <= offset) return ErrCompacted();
  if (hi > LastIndexLocked() + 1) return ErrUnavailable();
  CAIRN_CHECK(lo <= hi, "MemoryStorage::Entries: lo %llu > hi %llu",
              static_cast<unsigned long long>(lo),
              static_cast<unsigned long long>(hi));
  uint64_t size = 0;
  for (uint64_t i = lo; i < hi; ++i) {
    const raftpb::Entry& e = ents_[i - offset];
    size += raftpb::EntrySize(e);
    // Always return at least one entry.
    if (i > lo && size > max_size) break;
    out->push_back(e);
  }
  return base::Status();
}

base::Result<uint64_t> MemoryStorage::Term(uint64_t i) const {
  uint64_t offset = ents_[0].index;
  if (i < offset) return ErrCompacted();
  if (i - offset >= ents_.size()) return ErrUnavailable();
  return ents_[i - offset].term;
}

base::Result<uint64_t> MemoryStorage::LastIndex() const {
  return LastIndexLocked();
}

base::Result<uint64_t> MemoryStorage::FirstIndex() const {
  return FirstIndexLocked();
}

base::Result<raftpb::Snapshot> MemoryStorage::Snapshot() const {
  return snapshot_;
}

base::Status MemoryStorage::ApplySnapshot(const raftpb::Snapshot& snap) {
  if (snapshot_.metadata.index >= snap.metadata.index) {
    return ErrSnapOutOfDate();
  }
  snapshot_ = snap;
  ents_.clear();
  ents_.push_back(raftpb::Entry{
      snap.metadata.term, snap.metadata.index, raftpb::kEntryNormal, {}});
  return base::Status();
}

base::Result<raftpb::Snapshot> MemoryStorage::CreateSnapshot(
    uint64_t i, const raftpb::ConfState* cs, raftpb::Payload data) {
  if (i <= snapshot_.metadata.index) return ErrSnapOutOfDate();
  uint64_t offset = ents_[0].index;
  CAIRN_CHECK(i <= LastIndexLocked(),
              "snapshot %llu is out of bound lastindex(%llu)",
              static_cast<unsigned long long>(i),
              static_cast<unsigned long long>(LastIndexLocked()));
  snapshot_.metadata.index = i;
  snapshot_.metadata.term = ents_[i - offset].term;
  if (cs != nullptr) snapshot_.metadata.conf_state = *cs;
  snapshot_.data = std::move(data);
  return snapshot_;
}

base::Status MemoryStorage::Compact(uint64_t compact_index) {
  uint64_t offset = ents_[0].index;
  if (compact_index <= offset) return ErrCompacted();
  CAIRN_CHECK(compact_index <= LastIndexLocked(),
              "compact %llu is out of bound lastindex(%llu)",
              static_cast<unsigned long long>(compact_index),
              static_cast<unsigned long long>(LastIndexLocked()));
  uint64_t i = compact_index - offset;
  // The entry at compact_index becomes the dummy entry; drop its payload.
  ents_.erase(ents_.begin(), ents_.begin() + static_cast<ptrdiff_t>(i));
  ents_[0].data = raftpb::Payload();
  ents_[0].type = raftpb::kEntryNormal;
  return base::Status();
}

base::Status MemoryStorage::Append(std::span<const raftpb::Entry> entries) {
  if (entries.empty()) return base::Status();
  uint64_t first = FirstIndexLocked();
  uint64_t last = entries[0].index + entries.size() - 1;
  // Nothing new: all entries are compacted.
  if (last < first) return base::Status();
  // Skip the compacted prefix.
  size_t skip = first > entries[0].index ? first - entries[0].index : 0;
  uint64_t offset = entries[skip].index - ents_[0].index;
  CAIRN_CHECK(offset <= ents_.size(),
              "missing log entry [last: %llu, append at: %llu]",
              static_cast<unsigned long long>(LastIndexLocked()),
              static_cast<unsigned long long>(entries[skip].index));
  // Truncate a conflicting suffix, then append.
  ents_.resize(offset);
  ents_.insert(ents_.end(), entries.begin() + static_cast<ptrdiff_t>(skip),
               entries.end());
  return base::Status();
}

}  // namespace raft
