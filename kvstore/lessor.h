#pragma once

// Lessor: the in-memory lease table of the Store. What is replicated about a
// lease (ID, granted TTL, checkpointed remaining TTL) is also in SQLite
// (backend.h, table lease); the deadlines are local clock readings that the
// member counts down, restarts on keep-alive, and restarts for every lease
// on open, restore and promotion (etcd's lessor does the same). Which keys a
// lease holds follows each key's newest version.
//
// Thread safety: none; owned by the Store.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace kvstore {

struct LeaseState {
  int64_t ttl = 0;             // granted TTL, seconds
  int64_t remaining_ttl = 0;   // checkpointed remaining TTL, 0 = none
  int64_t deadline_ms = 0;     // expires when the clock reaches this
  std::set<std::string> keys;  // attached keys
};

class Lessor {
 public:
  const LeaseState* Find(int64_t id) const;
  LeaseState* FindMutable(int64_t id);
  // Adds a lease whose countdown starts at now_ms (from its remaining TTL
  // when it has one). REQUIRES: id not present.
  void Add(int64_t id, int64_t ttl, int64_t remaining_ttl, int64_t now_ms);
  void Remove(int64_t id);
  // Moves `key` between leases; 0 means none. Leases absent are skipped.
  void Attach(int64_t id, const std::string& key);
  void Detach(int64_t id, const std::string& key);
  // Restarts the countdown of every lease at now_ms + extend_ms.
  void RestartAll(int64_t now_ms, int64_t extend_ms);
  // Leases with deadline <= now_ms, soonest first (ties by ID).
  std::vector<int64_t> Expired(int64_t now_ms, size_t limit) const;
  // Every lease ID, ascending.
  std::vector<int64_t> Ids() const;
  void Clear() { leases_.clear(); }

 private:
  std::map<int64_t, LeaseState> leases_;
};

}  // namespace kvstore
