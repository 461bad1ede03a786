#pragma once

// TestStorage: a raft::MemoryStorage that also carries the initial
// membership, for tests (etcd's newTestMemoryStorage(withPeers(...))).
//
// MemoryStorage takes its ConfState from its latest snapshot, and a fresh
// one has none; a test cluster needs its voters known from the start
// without a snapshot at some index. TestStorage reports `conf_state` from
// InitialState() until a snapshot is applied, and the snapshot's after.
//
// Not thread-safe.

#include <cstdint>
#include <memory>
#include <vector>

#include "proto/raftpb/raftpb.h"
#include "raft/storage.h"

namespace raft_test {

class TestStorage final : public raft::Storage {
 public:
  TestStorage() = default;
  TestStorage(const TestStorage&) = delete;
  TestStorage& operator=(const TestStorage&) = delete;

  // A storage whose initial configuration has these voters and learners.
  static std::unique_ptr<TestStorage> WithPeers(
      std::vector<uint64_t> voters, std::vector<uint64_t> learners = {});

  base::Result<raft::PersistentState> InitialState() const override;
  base::Status Entries(uint64_t lo, uint64_t hi, uint64_t max_size,
                       std::vector<raftpb::Entry>* out) const override {
    return mem_.Entries(lo, hi, max_size, out);
  }
  base::Result<uint64_t> Term(uint64_t i) const override {
    return mem_.Term(i);
  }
  base::Result<uint64_t> LastIndex() const override { return mem_.LastIndex(); }
  base::Result<uint64_t> FirstIndex() const override {
    return mem_.FirstIndex();
  }
  base::Result<raftpb::Snapshot> Snapshot() const override {
    return mem_.Snapshot();
  }

  // Writers, as MemoryStorage's.
  base::Status Append(const std::vector<raftpb::Entry>& entries) {
    return mem_.Append(entries);
  }
  void SetHardState(const raftpb::HardState& hs) { mem_.SetHardState(hs); }
  base::Status ApplySnapshot(const raftpb::Snapshot& snap);
  base::Status Compact(uint64_t i) { return mem_.Compact(i); }

  raftpb::ConfState& conf_state() { return conf_state_; }
  raft::MemoryStorage& mem() { return mem_; }
  const raft::MemoryStorage& mem() const { return mem_; }

 private:
  raft::MemoryStorage mem_;
  raftpb::ConfState conf_state_;
  bool has_snapshot_ = false;
};

// Entries with consecutive indexes starting at `first_index` and the given
// terms (etcd's index(i).terms(...)).
std::vector<raftpb::Entry> EntriesWithTerms(uint64_t first_index,
                                            const std::vector<uint64_t>& terms);

}  // namespace raft_test
