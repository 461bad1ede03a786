#include "kvstore/lessor.h"

#include <algorithm>
#include <utility>

#include "base/check.h"

namespace kvstore {

const LeaseState* Lessor::Find(int64_t id) const {
  auto it = leases_.find(id);
  return it == leases_.end() ? nullptr : &it->second;
}

LeaseState* Lessor::FindMutable(int64_t id) {
  auto it = leases_.find(id);
  return it == leases_.end() ? nullptr : &it->second;
}

void Lessor::Add(int64_t id, int64_t ttl, int64_t remaining_ttl,
                 int64_t now_ms) {
  LeaseState l;
  l.ttl = ttl;
  l.remaining_ttl = remaining_ttl;
  l.deadline_ms = now_ms + 1000 * (remaining_ttl > 0 ? remaining_ttl : ttl);
  bool inserted = leases_.emplace(id, std::move(l)).second;
  CAIRN_CHECK(inserted, "lease %lld added twice", static_cast<long long>(id));
}

void Lessor::Remove(int64_t id) { leases_.erase(id); }

void Lessor::Attach(int64_t id, const std::string& key) {
  if (id == 0) return;
  if (LeaseState* l = FindMutable(id)) l->keys.insert(key);
}

void Lessor::Detach(int64_t id, const std::string& key) {
  if (id == 0) return;
  if (LeaseState* l = FindMutable(id)) l->keys.erase(key);
}

void Lessor::RestartAll(int64_t now_ms, int64_t extend_ms) {
  for (auto& [id, l] : leases_) {
    int64_t ttl = l.remaining_ttl > 0 ? l.remaining_ttl : l.ttl;
    l.deadline_ms = now_ms + extend_ms + 1000 * ttl;
  }
}

std::vector<int64_t> Lessor::Expired(int64_t now_ms, size_t limit) const {
  std::vector<std::pair<int64_t, int64_t>> due;  // (deadline, id)
  for (const auto& [id, l] : leases_) {
    if (l.deadline_ms <= now_ms) due.emplace_back(l.deadline_ms, id);
  }
  std::sort(due.begin(), due.end());
  std::vector<int64_t> ids;
  for (size_t i = 0; i < due.size() && i < limit; ++i) {
    ids.push_back(due[i].second);
  }
  return ids;
}

std::vector<int64_t> Lessor::Ids() const {
  std::vector<int64_t> ids;
  ids.reserve(leases_.size());
  for (const auto& [id, l] : leases_) ids.push_back(id);
  return ids;
}

}  // namespace kvstore
