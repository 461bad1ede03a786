#include "tests/raft/harness/test_storage.h"

namespace raft_test {

std::unique_ptr<TestStorage> TestStorage::WithPeers(
    std::vector<uint64_t> voters, std::vector<uint64_t> learners) {
  auto s = std::make_unique<TestStorage>();
  s->conf_state_.voters = std::move(voters);
  s->conf_state_.learners = std::move(learners);
  return s;
}

base::Result<raft::PersistentState> TestStorage::InitialState() const {
  if (has_snapshot_) return mem_.InitialState();
  raft::PersistentState st;
  st.hard_state = mem_.hard_state();
  st.conf_state = conf_state_;
  return st;
}

base::Status TestStorage::ApplySnapshot(const raftpb::Snapshot& snap) {
  base::Status s = mem_.ApplySnapshot(snap);
  if (s.ok()) {
    has_snapshot_ = true;
    conf_state_ = snap.metadata.conf_state;
  }
  return s;
}

std::vector<raftpb::Entry> EntriesWithTerms(
    uint64_t first_index, const std::vector<uint64_t>& terms) {
  std::vector<raftpb::Entry> out;
  out.reserve(terms.size());
  for (size_t i = 0; i < terms.size(); ++i) {
    raftpb::Entry e;
    e.index = first_index + i;
    e.term = terms[i];
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace raft_test
