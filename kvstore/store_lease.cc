// Store: leases (etcd-v3-api.md 4.9). Grant, revoke and checkpoint are
// applied requests; keep-alive, time-to-live, listing and expiry are local
// queries against the deadlines the Lessor keeps.

#include <algorithm>
#include <string>
#include <vector>

#include "base/check.h"
#include "kvstore/errors.h"
#include "kvstore/store.h"

namespace kvstore {
namespace {

constexpr int64_t kMaxLeaseTTL = 9'000'000'000;

// A well-mixed 63-bit value derived from the entry index (splitmix64).
int64_t LeaseIdFor(uint64_t index) {
  uint64_t z = index + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<int64_t>(z & 0x7fffffffffffffffULL);
}

}  // namespace

base::Status Store::DoLeaseGrant(uint64_t index,
                                 const etcdserverpb::LeaseGrantRequest& r,
                                 etcdserverpb::LeaseGrantResponse* resp) {
  if (r.ttl() > kMaxLeaseTTL) return ErrLeaseTTLTooLarge();
  int64_t id = r.id();
  if (id != 0 && lessor_.Find(id) != nullptr) return ErrLeaseExist();
  if (id == 0) {
    // Chosen from the entry index: the same on every member.
    id = LeaseIdFor(index);
    while (id == 0 || lessor_.Find(id) != nullptr) {
      id = (id + 1) & 0x7fffffffffffffffLL;
    }
  }
  const int64_t ttl = std::max(r.ttl(), options_.min_lease_ttl);
  CAIRN_RETURN_IF_ERROR(Io(backend_->PutLease(LeaseRow{id, ttl, 0})));
  lessor_.Add(id, ttl, 0, options_.clock());
  resp->mutable_header()->set_revision(rev_);
  resp->set_id(id);
  resp->set_ttl(ttl);
  return {};
}

base::Status Store::DoLeaseRevoke(const etcdserverpb::LeaseRevokeRequest& r) {
  const LeaseState* l = lessor_.Find(r.id());
  if (l == nullptr) return ErrLeaseNotFound();
  // Every attached key goes in one revision, in key order.
  std::vector<std::string> keys(l->keys.begin(), l->keys.end());
  StartWrite();
  base::Status s;
  for (const std::string& k : keys) {
    const KeyHistory* h = index_.Find(k);
    CAIRN_CHECK(h != nullptr && h->live() && h->lease == r.id(),
                "kvstore: lease %lld holds a key it does not own",
                static_cast<long long>(r.id()));
    s = DeleteKey(k, *h, nullptr);
    if (!s.ok()) break;
  }
  FinishWrite();
  CAIRN_RETURN_IF_ERROR(s);
  CAIRN_RETURN_IF_ERROR(Io(backend_->DeleteLease(r.id())));
  lessor_.Remove(r.id());
  return {};
}

base::Status Store::DoLeaseCheckpoint(
    const etcdserverpb::LeaseCheckpointRequest& r) {
  const int64_t now = options_.clock();
  for (const auto& cp : r.checkpoints()) {
    LeaseState* l = lessor_.FindMutable(cp.id());
    if (l == nullptr) continue;  // revoked meanwhile
    l->remaining_ttl = std::max<int64_t>(cp.remaining_ttl(), 0);
    CAIRN_RETURN_IF_ERROR(
        Io(backend_->PutLease(LeaseRow{cp.id(), l->ttl, l->remaining_ttl})));
    if (l->remaining_ttl > 0) l->deadline_ms = now + 1000 * l->remaining_ttl;
  }
  return {};
}

base::Result<int64_t> Store::LeaseRenew(int64_t id, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  CAIRN_RETURN_IF_ERROR(failed_);
  LeaseState* l = lessor_.FindMutable(id);
  if (l == nullptr) return ErrLeaseNotFound();
  if (l->deadline_ms <= now_ms) return ErrLeaseExpired();
  l->remaining_ttl = 0;
  l->deadline_ms = now_ms + 1000 * l->ttl;
  return l->ttl;
}

etcdserverpb::LeaseTimeToLiveResponse Store::LeaseTimeToLive(
    const etcdserverpb::LeaseTimeToLiveRequest& r, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  etcdserverpb::LeaseTimeToLiveResponse resp;
  resp.mutable_header()->set_revision(rev_);
  resp.set_id(r.id());
  const LeaseState* l = lessor_.Find(r.id());
  if (l == nullptr) {
    resp.set_ttl(-1);
    return resp;
  }
  resp.set_ttl(std::max<int64_t>(0, (l->deadline_ms - now_ms) / 1000));
  resp.set_grantedttl(l->ttl);
  if (r.keys()) {
    for (const std::string& k : l->keys) resp.add_keys(k);
  }
  return resp;
}

etcdserverpb::LeaseLeasesResponse Store::LeaseLeases() {
  std::lock_guard<std::mutex> lock(mu_);
  etcdserverpb::LeaseLeasesResponse resp;
  resp.mutable_header()->set_revision(rev_);
  // As etcd's lessor, soonest expiry first (ties by ID).
  std::vector<std::pair<int64_t, int64_t>> order;  // (deadline, id)
  for (int64_t id : lessor_.Ids()) {
    order.emplace_back(lessor_.Find(id)->deadline_ms, id);
  }
  std::sort(order.begin(), order.end());
  for (const auto& [deadline, id] : order) resp.add_leases()->set_id(id);
  return resp;
}

std::vector<int64_t> Store::ExpiredLeases(int64_t now_ms, size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  return lessor_.Expired(now_ms, limit);
}

void Store::PromoteLeases(int64_t now_ms, int64_t extend_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  lessor_.RestartAll(now_ms, extend_ms);
}

}  // namespace kvstore
