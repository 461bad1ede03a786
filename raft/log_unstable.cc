#include "raft/log_unstable.h"

#include "base/check.h"

namespace raft {
namespace {

// The entry array is shrunk when its unused capacity exceeds this many
// bytes and is more than half of it.
constexpr size_t kShrinkThresholdBytes = 64 * 1024;

}  // namespace

std::optional<uint64_t> Unstable::MaybeFirstIndex() const {
  if (snapshot_) return snapshot_->metadata.index + 1;
  return std::nullopt;
}

std::optional<uint64_t> Unstable::MaybeLastIndex() const {
  if (!entries_.empty()) return offset_ + entries_.size() - 1;
  if (snapshot_) return snapshot_->metadata.index;
  return std::nullopt;
}

std::optional<uint64_t> Unstable::MaybeTerm(uint64_t i) const {
  if (i < offset_) {
    if (snapshot_ && snapshot_->metadata.index == i) {
      return snapshot_->metadata.term;
    }
    return std::nullopt;
  }
  std::optional<uint64_t> last = MaybeLastIndex();
  if (!last || i > *last) return std::nullopt;
  return entries_[i - offset_].term;
}

std::span<const raftpb::Entry> Unstable::NextEntries() const {
  size_t in_progress = offset_in_progress_ - offset_;
  if (entries_.size() == in_progress) return {};
  return std::span<const raftpb::Entry>(entries_).subspan(in_progress);
}

const raftpb::Snapshot* Unstable::NextSnapshot() const {
  if (!snapshot_ || snapshot_in_progress_) return nullptr;
  return &*snapshot_;
}

void Unstable::AcceptInProgress() {
  if (!entries_.empty()) {
    offset_in_progress_ = entries_.back().index + 1;
  }
  if (snapshot_) snapshot_in_progress_ = true;
}

void Unstable::StableTo(uint64_t index, uint64_t term) {
  std::optional<uint64_t> gt = MaybeTerm(index);
  if (!gt) {
    logger_->Infof("entry at index %llu missing from unstable log; ignoring",
                   static_cast<unsigned long long>(index));
    return;
  }
  if (index < offset_) {
    // Index matched the snapshot, not an entry: the snapshot is still
    // pending, so the entries cannot be stable yet.
    logger_->Infof("entry at index %llu matched unstable snapshot; ignoring",
                   static_cast<unsigned long long>(index));
    return;
  }
  if (*gt != term) {
    // A newer leader overwrote the entry while it was being written.
    logger_->Infof(
        "entry at (index,term)=(%llu,%llu) mismatched with entry at "
        "(%llu,%llu) in unstable log; ignoring",
        static_cast<unsigned long long>(index),
        static_cast<unsigned long long>(term),
        static_cast<unsigned long long>(index),
        static_cast<unsigned long long>(*gt));
    return;
  }
  size_t num = static_cast<size_t>(index + 1 - offset_);
  // Dropping the entries releases their payloads now.
  entries_.erase(entries_.begin(),
                 entries_.begin() + static_cast<ptrdiff_t>(num));
  offset_ = index + 1;
  if (offset_in_progress_ < offset_) offset_in_progress_ = offset_;
  ShrinkEntries();
}

void Unstable::ShrinkEntries() {
  size_t unused =
      (entries_.capacity() - entries_.size()) * sizeof(raftpb::Entry);
  if (unused > kShrinkThresholdBytes &&
      entries_.size() * 2 < entries_.capacity()) {
    entries_.shrink_to_fit();
  }
}

void Unstable::StableSnapTo(uint64_t i) {
  if (snapshot_ && snapshot_->metadata.index == i) {
    snapshot_.reset();
    snapshot_in_progress_ = false;
  }
}

void Unstable::Restore(const raftpb::Snapshot& snap) {
  offset_ = snap.metadata.index + 1;
  offset_in_progress_ = offset_;
  entries_.clear();
  snapshot_ = snap;
  snapshot_in_progress_ = false;
}

void Unstable::TruncateAndAppend(std::span<const raftpb::Entry> ents) {
  CAIRN_CHECK(!ents.empty());
  uint64_t from_index = ents.front().index;
  uint64_t end = offset_ + entries_.size();
  if (from_index == end) {
    // The common case: ents directly follow the unstable entries.
    entries_.insert(entries_.end(), ents.begin(), ents.end());
  } else if (from_index <= offset_) {
    // Replace everything, including what is being written.
    logger_->Infof("replace the unstable entries from index %llu",
                   static_cast<unsigned long long>(from_index));
    entries_.assign(ents.begin(), ents.end());
    offset_ = from_index;
    offset_in_progress_ = offset_;
  } else {
    // Truncate to from_index (exclusive) and append.
    CAIRN_CHECK(from_index < end,
                "unstable append at %llu leaves a gap (end %llu)",
                static_cast<unsigned long long>(from_index),
                static_cast<unsigned long long>(end));
    logger_->Infof("truncate the unstable entries before index %llu",
                   static_cast<unsigned long long>(from_index));
    entries_.resize(static_cast<size_t>(from_index - offset_));
    entries_.insert(entries_.end(), ents.begin(), ents.end());
    if (offset_in_progress_ > from_index) offset_in_progress_ = from_index;
  }
}

void Unstable::Slice(uint64_t lo, uint64_t hi,
                     std::vector<raftpb::Entry>* out) const {
  MustCheckOutOfBounds(lo, hi);
  out->insert(out->end(),
              entries_.begin() + static_cast<ptrdiff_t>(lo - offset_),
              entries_.begin() + static_cast<ptrdiff_t>(hi - offset_));
}

void Unstable::MustCheckOutOfBounds(uint64_t lo, uint64_t hi) const {
  CAIRN_CHECK(lo <= hi, "invalid unstable.slice %llu > %llu",
              static_cast<unsigned long long>(lo),
              static_cast<unsigned long long>(hi));
  uint64_t upper = offset_ + entries_.size();
  CAIRN_CHECK(lo >= offset_ && hi <= upper,
              "unstable.slice[%llu,%llu) out of bound [%llu,%llu]",
              static_cast<unsigned long long>(lo),
              static_cast<unsigned long long>(hi),
              static_cast<unsigned long long>(offset_),
              static_cast<unsigned long long>(upper));
}

void Unstable::SetStateForTest(std::optional<raftpb::Snapshot> snap,
                               std::vector<raftpb::Entry> entries,
                               uint64_t offset, uint64_t offset_in_progress,
                               bool snapshot_in_progress) {
  snapshot_ = std::move(snap);
  entries_ = std::move(entries);
  offset_ = offset;
  offset_in_progress_ = offset_in_progress;
  snapshot_in_progress_ = snapshot_in_progress;
}

}  // namespace raft
