#pragma once

// MajorityConfig: a set of voters deciding by simple majority.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "raft/quorum/quorum.h"

namespace raft::quorum {

class MajorityConfig {
 public:
  MajorityConfig() = default;
  MajorityConfig(std::initializer_list<uint64_t> ids) : ids_(ids) {}
  explicit MajorityConfig(std::set<uint64_t> ids) : ids_(std::move(ids)) {}

  const std::set<uint64_t>& ids() const { return ids_; }
  std::set<uint64_t>& ids() { return ids_; }
  size_t size() const { return ids_.size(); }
  bool empty() const { return ids_.empty(); }
  bool contains(uint64_t id) const { return ids_.count(id) != 0; }

  // The voter ids in increasing order.
  std::vector<uint64_t> Slice() const { return {ids_.begin(), ids_.end()}; }

  // "(1 2 3)" ; "()" when empty.
  std::string String() const;

  // The largest index acknowledged by a majority of the voters. An empty
  // config returns kInfiniteIndex (so that, joined with another config, it
  // does not restrict the result).
  Index CommittedIndex(const AckedIndexer& acked) const;

  // The election outcome given votes (id -> granted); voters absent from the
  // map have not voted. An empty config wins (it does not constrain a joint
  // config).
  VoteResult GetVoteResult(const std::map<uint64_t, bool>& votes) const;

  // A diagnostic table of the voters' acknowledged indexes, one line each,
  // like etcd's MajorityConfig.Describe. For tests.
  std::string Describe(const AckedIndexer& acked) const;

  friend bool operator==(const MajorityConfig&,
                         const MajorityConfig&) = default;

 private:
  std::set<uint64_t> ids_;
};

// A map from voter id to acknowledged index, for tests.
class MapAckIndexer final : public AckedIndexer {
 public:
  MapAckIndexer() = default;
  explicit MapAckIndexer(std::map<uint64_t, Index> m) : m_(std::move(m)) {}
  bool AckedIndex(uint64_t id, Index* idx) const override {
    auto it = m_.find(id);
    if (it == m_.end()) return false;
    *idx = it->second;
    return true;
  }
  std::map<uint64_t, Index>& map() { return m_; }

 private:
  std::map<uint64_t, Index> m_;
};

}  // namespace raft::quorum
