#include "raft/tracker/inflights.h"

#include <algorithm>

#include "base/check.h"

namespace raft::tracker {

Inflights::Inflights(size_t size, uint64_t max_bytes)
    : size_(size), max_bytes_(max_bytes) {
  CAIRN_CHECK(size > 0, "Inflights size must be positive");
}

void Inflights::Add(uint64_t index, uint64_t bytes) {
  CAIRN_CHECK(!Full(), "cannot add into a full inflights");
  size_t next = start_ + count_;
  if (next >= size_) next -= size_;
  if (next >= buffer_.size()) {
    // Grow (doubling, up to size_); positions are kept so the ring stays
    // valid.
    size_t new_size = std::min(std::max<size_t>(buffer_.size() * 2, 1), size_);
    buffer_.resize(new_size);
  }
  buffer_[next] = Inflight{index, bytes};
  ++count_;
  bytes_ += bytes;
}

void Inflights::FreeLE(uint64_t to) {
  if (count_ == 0 || to < buffer_[start_].index) return;
  size_t idx = start_;
  size_t i = 0;
  uint64_t freed = 0;
  for (; i < count_; ++i) {
    if (to < buffer_[idx].index) break;
    freed += buffer_[idx].bytes;
    if (++idx >= size_) idx -= size_;
  }
  count_ -= i;
  bytes_ -= freed;
  start_ = idx;
  if (count_ == 0) start_ = 0;
}

}  // namespace raft::tracker
