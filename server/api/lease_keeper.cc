#include "server/api/lease_keeper.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <string>
#include <vector>

#include "base/log.h"
#include "cairnpb/internal.pb.h"
#include "kvstore/errors.h"

namespace server::api {

int64_t LeaseKeeper::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

LeaseKeeper::LeaseKeeper(uv_loop_t* loop, Node* node, kvstore::Store* store,
                         uint64_t extend_ms)
    : loop_(loop), node_(node), store_(store), extend_ms_(extend_ms) {}

base::Status LeaseKeeper::Start() {
  int rc = uv_timer_init(loop_, timer_.get());
  if (rc < 0) {
    return base::Status::Internal(std::string("lease timer: ") +
                                  uv_strerror(rc));
  }
  timer_.MarkInitialized();
  timer_->data = this;
  uv_timer_start(timer_.get(), &LeaseKeeper::OnTimer, kScanIntervalMs,
                 kScanIntervalMs);
  return base::Status::OK();
}

void LeaseKeeper::Stop() { timer_.Close(); }

bool LeaseKeeper::primary() const {
  return node_->is_leader() && promoted_term_ == node_->term();
}

base::Result<int64_t> LeaseKeeper::Renew(int64_t id) {
  if (!node_->is_leader()) {
    if (node_->leader() == 0) return ErrNoLeader();
    return base::Status::Unavailable(
        "etcdserver: lease keep-alive must reach the leader");
  }
  // A leader that has not promoted yet renews too: promotion only moves
  // deadlines later.
  if (revoking_.count(id) != 0) return 0;
  auto ttl = store_->LeaseRenew(id, NowMs());
  if (!ttl.ok() && ttl.status() == kvstore::ErrLeaseNotFound()) return 0;
  return ttl;
}

void LeaseKeeper::OnTimer(uv_timer_t* t) {
  if (t->data != nullptr) static_cast<LeaseKeeper*>(t->data)->Scan();
}

void LeaseKeeper::Scan() {
  if (!node_->is_leader()) {
    pending_term_ = 0;
    return;
  }
  MaybePromote();
  if (primary()) RevokeExpired();
}

void LeaseKeeper::MaybePromote() {
  const uint64_t term = node_->term();
  if (promoted_term_ == term) return;
  if (pending_term_ != term) {
    // The entry that opened this term is at or before the leader's last
    // index now; everything up to it must be applied first.
    raft::Status st = node_->raw_node().GetStatus();
    auto self = st.progress.find(node_->member_id());
    uint64_t last = node_->commit_index();
    if (self != st.progress.end()) {
      last = std::max({last, self->second.match, self->second.next - 1});
    }
    pending_term_ = term;
    pending_index_ = last;
  }
  if (node_->applied_index() < pending_index_) return;
  store_->PromoteLeases(NowMs(), static_cast<int64_t>(extend_ms_));
  promoted_term_ = term;
  pending_term_ = 0;
  CAIRN_LOG(kInfo, "lease",
            "promoted leases at term %" PRIu64
            " (every TTL restarts, "
            "extended by %" PRIu64 " ms)",
            term, extend_ms_);
}

void LeaseKeeper::RevokeExpired() {
  std::vector<int64_t> due =
      store_->ExpiredLeases(NowMs(), kRevokesPerScan + revoking_.size());
  for (int64_t id : due) {
    if (revoking_.size() >= kRevokesPerScan) break;
    if (!revoking_.insert(id).second) continue;
    cairnpb::InternalRequest request;
    request.mutable_lease_revoke()->set_id(id);
    // The keeper outlives every proposal: the node answers them all
    // before Member stops it.
    node_->Propose(request.SerializeAsString(), [this, id](Outcome o) {
      revoking_.erase(id);
      if (!o.status.ok() && o.status != kvstore::ErrLeaseNotFound()) {
        CAIRN_LOG(kWarn, "lease",
                  "revoking expired lease %016" PRIx64 " failed: %s",
                  static_cast<uint64_t>(id), o.status.ToString().c_str());
      }
    });
  }
}

}  // namespace server::api
