#include "server/api/lease_keeper.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <string>
#include <utility>
#include <vector>

#include "base/log.h"
#include "kvstore/errors.h"
#include "server/metrics/server_metrics.h"
#include "server/net/uv_status.h"

namespace server::api {
int64_t LeaseKeeper::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

LeaseKeeper::LeaseKeeper(uv_loop_t* loop, Node* node, kvstore::Store* store,
                         LeaderForwarder* forwarder, uint64_t extend_ms,
                         std::function<int64_t()> clock)
    : loop_(loop),
      node_(node),
      store_(store),
      forwarder_(forwarder),
      extend_ms_(extend_ms),
      clock_(std::move(clock)) {
  for (auto kind :
       {cairnpb::LeaderRequest::kKeepAlive, cairnpb::LeaderRequest::kTimeToLive,
        cairnpb::LeaderRequest::kLeases}) {
    forwarder_->SetHandler(
        kind, [this](const cairnpb::LeaderRequest& r, Answer done) {
          ServeLocal(r, std::move(done));
        });
  }
}

base::Status LeaseKeeper::Start() {
  int rc = uv_timer_init(loop_, timer_.get());
  if (rc < 0) return net::UvStatus(rc, "lease timer");
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

void LeaseKeeper::PromoteIfDue() {
  if (node_->is_leader() && !primary()) MaybePromote();
}

void LeaseKeeper::Renew(int64_t id, Done<int64_t> done) {
  if (primary() && revoking_.count(id) == 0) {
    // The common case on the leader, without building requests.
    base::Result<int64_t> ttl = store_->LeaseRenew(id, clock_());
    if (ttl.ok()) {
      metrics::Server().lease_renewed->Inc();
      return done(ttl);
    }
    if (ttl.status() == kvstore::ErrLeaseNotFound()) return done(ttl);
  }
  auto answer = [done = std::move(done)](const base::Status& s,
                                         cairnpb::LeaderResponse r) {
    if (!s.ok()) return done(s);
    done(r.keep_alive().ttl());
  };
  cairnpb::LeaderRequest request;
  request.mutable_keep_alive()->set_id(id);
  if (primary()) return ServeLocal(request, std::move(answer));
  forwarder_->Run(std::move(request), std::move(answer));
}

void LeaseKeeper::TimeToLive(const etcdserverpb::LeaseTimeToLiveRequest& r,
                             Done<etcdserverpb::LeaseTimeToLiveResponse> done) {
  cairnpb::LeaderRequest request;
  *request.mutable_time_to_live() = r;
  forwarder_->Run(std::move(request),
                  [done = std::move(done)](const base::Status& s,
                                           cairnpb::LeaderResponse resp) {
                    if (!s.ok()) return done(s);
                    done(std::move(*resp.mutable_time_to_live()));
                  });
}

void LeaseKeeper::Leases(Done<etcdserverpb::LeaseLeasesResponse> done) {
  if (node_->leader() == 0) return done(store_->LeaseLeases());
  cairnpb::LeaderRequest request;
  request.mutable_leases();
  forwarder_->Run(std::move(request),
                  [done = std::move(done)](const base::Status& s,
                                           cairnpb::LeaderResponse resp) {
                    if (!s.ok()) return done(s);
                    done(std::move(*resp.mutable_leases()));
                  });
}

void LeaseKeeper::ServeLocal(const cairnpb::LeaderRequest& request,
                             Answer done) {
  PromoteIfDue();
  if (!primary()) return done(ErrNotPrimary(), {});
  cairnpb::LeaderResponse resp;
  switch (request.request_case()) {
    case cairnpb::LeaderRequest::kKeepAlive: {
      const int64_t id = request.keep_alive().id();
      if (revoking_.count(id) != 0) {
        revoke_waiters_[id].push_back(std::move(done));
        return;
      }
      base::Result<int64_t> ttl = store_->LeaseRenew(id, clock_());
      if (!ttl.ok() && ttl.status() == kvstore::ErrLeaseExpired()) {
        // As etcd's lessor: an expired lease is not renewed; the answer
        // waits until its revoke is applied.
        revoke_waiters_[id].push_back(std::move(done));
        return StartRevoke(id);
      }
      if (!ttl.ok()) return done(ttl.status(), {});
      metrics::Server().lease_renewed->Inc();
      resp.mutable_keep_alive()->set_id(id);
      resp.mutable_keep_alive()->set_ttl(*ttl);
      return done(base::Status::OK(), std::move(resp));
    }
    case cairnpb::LeaderRequest::kTimeToLive:
      *resp.mutable_time_to_live() =
          store_->LeaseTimeToLive(request.time_to_live(), clock_());
      return done(base::Status::OK(), std::move(resp));
    case cairnpb::LeaderRequest::kLeases:
      *resp.mutable_leases() = store_->LeaseLeases();
      return done(base::Status::OK(), std::move(resp));
    default:
      return done(base::Status::InvalidArgument("etcdserver: bad request"), {});
  }
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
  store_->PromoteLeases(clock_(), static_cast<int64_t>(extend_ms_));
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
      store_->ExpiredLeases(clock_(), kRevokesPerScan + revoking_.size());
  for (int64_t id : due) {
    if (revoking_.size() >= kRevokesPerScan) break;
    StartRevoke(id);
  }
}

void LeaseKeeper::StartRevoke(int64_t id) {
  if (!revoking_.insert(id).second) return;
  cairnpb::InternalRequest request;
  request.mutable_lease_revoke()->set_id(id);
  // The keeper outlives every proposal: the node answers them all before
  // Member stops it.
  node_->Propose(request.SerializeAsString(), [this, id](Outcome o) {
    revoking_.erase(id);
    const bool gone = o.status.ok() || o.status == kvstore::ErrLeaseNotFound();
    if (!gone) {
      CAIRN_LOG(kWarn, "lease",
                "revoking expired lease %016" PRIx64 " failed: %s",
                static_cast<uint64_t>(id), o.status.ToString().c_str());
    }
    auto it = revoke_waiters_.find(id);
    if (it == revoke_waiters_.end()) return;
    std::vector<Answer> waiters = std::move(it->second);
    revoke_waiters_.erase(it);
    // A revoke that failed (leadership lost) is retried by the next
    // primary; the keep-alives ask it (etcd: ErrNotPrimary on demotion).
    for (Answer& w : waiters) {
      w(gone ? kvstore::ErrLeaseNotFound() : ErrNotPrimary(), {});
    }
  });
}

}  // namespace server::api
