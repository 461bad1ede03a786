#pragma once

// Inflights: the MsgApps sent to one follower and not yet acknowledged, as
// a ring buffer of (last index, bytes). The window is full when it holds
// `size` messages or `max_bytes` entry bytes, whichever comes first; the
// leader then pauses sending to that follower (only probes go out).
//
// The buffer grows on demand up to `size` slots and is then reused, so a
// follower in steady state costs no allocation.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace raft::tracker {

class Inflights {
 public:
  // REQUIRES: size > 0. max_bytes 0 means no byte limit.
  Inflights(size_t size, uint64_t max_bytes);

  // Copyable (Status snapshots copy Progress).
  Inflights(const Inflights&) = default;
  Inflights& operator=(const Inflights&) = default;

  // Records a message whose last entry is `index`, carrying `bytes` bytes.
  // REQUIRES (CHECKed): !Full(), and index greater than the last added.
  void Add(uint64_t index, uint64_t bytes);

  // Frees every message whose last index is <= to (they were acknowledged).
  void FreeLE(uint64_t to);

  // True when no more messages may be sent.
  bool Full() const {
    return count_ == size_ || (max_bytes_ != 0 && bytes_ >= max_bytes_);
  }
  size_t Count() const { return count_; }
  uint64_t bytes() const { return bytes_; }
  size_t size() const { return size_; }
  uint64_t max_bytes() const { return max_bytes_; }

  // Empties the window (keeps the buffer).
  void Reset() {
    count_ = 0;
    start_ = 0;
    bytes_ = 0;
  }

 private:
  struct Inflight {
    uint64_t index;
    uint64_t bytes;
  };

  size_t start_ = 0;              // Ring position of the oldest message.
  size_t count_ = 0;              // Messages in the window.
  uint64_t bytes_ = 0;            // Sum of their bytes.
  size_t size_;                   // Most messages.
  uint64_t max_bytes_;            // Most bytes; 0 = no limit.
  std::vector<Inflight> buffer_;  // Grows up to size_ entries.
};

}  // namespace raft::tracker
