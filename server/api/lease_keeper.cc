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

namespace server::api {
namespace {

// etcd's ErrNotPrimary: this member cannot answer for the lease clock now
// (not the leader, or not promoted yet); the asking member retries.
base::Status ErrNotPrimary() {
  return base::Status::Unavailable("lease: not the primary lessor");
}

}  // namespace

int64_t LeaseKeeper::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

LeaseKeeper::LeaseKeeper(uv_loop_t* loop, Node* node, kvstore::Store* store,
                         uint64_t extend_ms, uint64_t request_timeout_ms,
                         std::function<int64_t()> clock)
    : loop_(loop),
      node_(node),
      store_(store),
      extend_ms_(extend_ms),
      request_timeout_ms_(request_timeout_ms),
      clock_(std::move(clock)) {}

base::Status LeaseKeeper::Start() {
  for (auto* t : {&timer_, &retry_timer_}) {
    int rc = uv_timer_init(loop_, t->get());
    if (rc < 0) {
      return base::Status::Internal(std::string("lease timer: ") +
                                    uv_strerror(rc));
    }
    t->MarkInitialized();
    (*t)->data = this;
  }
  uv_timer_start(timer_.get(), &LeaseKeeper::OnTimer, kScanIntervalMs,
                 kScanIntervalMs);
  return base::Status::OK();
}

void LeaseKeeper::Stop() {
  timer_.Close();
  retry_timer_.Close();
  retry_.clear();
}

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
                                         cairnpb::LeaseForwardResponse r) {
    if (!s.ok()) return done(s);
    done(r.keep_alive().ttl());
  };
  cairnpb::LeaseForwardRequest request;
  request.mutable_keep_alive()->set_id(id);
  if (primary()) return ServeLocal(request, std::move(answer));
  Run(std::move(request), std::move(answer));
}

void LeaseKeeper::TimeToLive(const etcdserverpb::LeaseTimeToLiveRequest& r,
                             Done<etcdserverpb::LeaseTimeToLiveResponse> done) {
  cairnpb::LeaseForwardRequest request;
  *request.mutable_time_to_live() = r;
  Run(std::move(request),
      [done = std::move(done)](const base::Status& s,
                               cairnpb::LeaseForwardResponse resp) {
        if (!s.ok()) return done(s);
        done(std::move(*resp.mutable_time_to_live()));
      });
}

void LeaseKeeper::Leases(Done<etcdserverpb::LeaseLeasesResponse> done) {
  if (node_->leader() == 0) return done(store_->LeaseLeases());
  cairnpb::LeaseForwardRequest request;
  request.mutable_leases();
  Run(std::move(request),
      [done = std::move(done)](const base::Status& s,
                               cairnpb::LeaseForwardResponse resp) {
        if (!s.ok()) return done(s);
        done(std::move(*resp.mutable_leases()));
      });
}

void LeaseKeeper::Serve(const std::string& bytes,
                        std::function<void(std::string)> reply) {
  cairnpb::LeaseForwardRequest request;
  auto answer = [reply = std::move(reply)](const base::Status& s,
                                           cairnpb::LeaseForwardResponse r) {
    if (!s.ok()) {
      r.Clear();
      r.set_code(static_cast<int32_t>(s.code()));
      r.set_message(s.message());
    }
    reply(r.SerializeAsString());
  };
  if (!request.ParseFromString(bytes)) {
    return answer(base::Status::InvalidArgument("etcdserver: bad request"), {});
  }
  ServeLocal(request, std::move(answer));
}

void LeaseKeeper::Run(cairnpb::LeaseForwardRequest request, Answer done) {
  auto op = std::make_shared<Op>();
  op->request = std::move(request);
  op->done = std::move(done);
  op->deadline_ms = uv_now(loop_) + request_timeout_ms_;
  Attempt(std::move(op));
}

void LeaseKeeper::Attempt(std::shared_ptr<Op> op) {
  if (uv_now(loop_) >= op->deadline_ms) {
    return op->done(node_->leader() == 0 ? ErrNoLeader() : ErrTimeout(), {});
  }
  if (node_->is_leader()) {
    return ServeLocal(op->request, [this, op](const base::Status& s,
                                              cairnpb::LeaseForwardResponse r) {
      if (s == ErrNotPrimary()) return Retry(op);
      op->done(s, std::move(r));
    });
  }
  const uint64_t leader = node_->leader();
  if (leader == 0 || !forward_) return Retry(op);
  // The keeper outlives the transport's callbacks (Member closes the
  // transport first).
  forward_(leader, op->request.SerializeAsString(),
           [this, op](base::Result<std::string> bytes) {
             if (!bytes.ok()) return Retry(op);
             cairnpb::LeaseForwardResponse r;
             if (!r.ParseFromString(*bytes)) {
               return op->done(base::Status::Internal(
                                   "etcdserver: bad lease answer from leader"),
                               {});
             }
             if (r.code() == 0)
               return op->done(base::Status::OK(), std::move(r));
             base::Status s(static_cast<base::StatusCode>(r.code()),
                            r.message());
             if (s == ErrNotPrimary()) return Retry(op);
             op->done(s, {});
           });
}

void LeaseKeeper::Retry(std::shared_ptr<Op> op) {
  // Not started, or stopped: the request is dropped.
  if (!retry_timer_.initialized() || retry_timer_.closing()) return;
  retry_.push_back(std::move(op));
  if (retry_.size() == 1) {
    uv_timer_start(retry_timer_.get(), &LeaseKeeper::OnRetryTimer, kRetryMs, 0);
  }
}

void LeaseKeeper::OnRetryTimer(uv_timer_t* t) {
  auto* self = static_cast<LeaseKeeper*>(t->data);
  if (self == nullptr) return;
  std::vector<std::shared_ptr<Op>> ops = std::move(self->retry_);
  self->retry_.clear();
  for (auto& op : ops) self->Attempt(std::move(op));
}

void LeaseKeeper::ServeLocal(const cairnpb::LeaseForwardRequest& request,
                             Answer done) {
  PromoteIfDue();
  if (!primary()) return done(ErrNotPrimary(), {});
  cairnpb::LeaseForwardResponse resp;
  switch (request.request_case()) {
    case cairnpb::LeaseForwardRequest::kKeepAlive: {
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
    case cairnpb::LeaseForwardRequest::kTimeToLive:
      *resp.mutable_time_to_live() =
          store_->LeaseTimeToLive(request.time_to_live(), clock_());
      return done(base::Status::OK(), std::move(resp));
    case cairnpb::LeaseForwardRequest::kLeases:
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
