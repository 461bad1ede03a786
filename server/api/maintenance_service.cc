// etcdserverpb.Maintenance: Status, Alarm, Defragment, Hash, HashKV,
// MoveLeader here; Snapshot in snapshot_service.cc.
//
// As etcd 3.4 (etcdserver/api/v3rpc/maintenance.go): Status, Hash and HashKV
// carry a full header; Alarm, Defragment and MoveLeader answer without one.
// Alarms go through the log (GET too, so a GET answered after a raise sees
// it); Defragment, Hash and HashKV run on libuv's pool, off the loop.

#include <cinttypes>
#include <cstdio>
#include <memory>

#include "base/log.h"
#include "cairnpb/internal.pb.h"
#include "etcdserverpb/rpc.pb.h"
#include "server/api/off_loop.h"
#include "server/api/services.h"
#include "server/api/unary.h"

namespace server::api {
namespace {

using internal::ParseRequest;
using internal::RunOffLoop;

base::Status ErrNotLeader() {
  return base::Status::FailedPrecondition("etcdserver: not leader");
}
base::Status ErrBadLeaderTransferee() {
  return base::Status::FailedPrecondition("etcdserver: bad leader transferee");
}
// etcd has no gRPC mapping for it: it reaches clients as UNKNOWN.
base::Status ErrTimeoutLeaderTransfer() {
  return base::Status::Unknown(
      "etcdserver: request timed out, leader transfer took too long");
}

// An alarm as etcd 3.4 prints it in StatusResponse.errors (the Go protobuf
// text form of AlarmMember).
std::string AlarmText(const etcdserverpb::AlarmMember& a) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "memberID:%" PRIu64 " ", a.memberid());
  return buf + ("alarm:" + etcdserverpb::AlarmType_Name(a.alarm()) + " ");
}

void Status(const MemberContext* ctx, const grpc::CallPtr& call) {
  etcdserverpb::StatusResponse r;
  FillHeader(ctx, r.mutable_header());
  r.mutable_header()->set_revision(ctx->store->CurrentRevision());
  r.set_version(kServerVersion);
  r.set_dbsize(ctx->store->CachedDbSize());
  r.set_dbsizeinuse(ctx->store->CachedDbSizeInUse());
  r.set_leader(ctx->node->leader());
  r.set_raftindex(ctx->node->commit_index());
  r.set_raftterm(ctx->node->term());
  r.set_raftappliedindex(ctx->node->applied_index());
  if (ctx->node->leader() == 0) r.add_errors("etcdserver: no leader");
  for (const etcdserverpb::AlarmMember& a : ctx->store->Alarms()) {
    r.add_errors(AlarmText(a));
  }
  r.set_islearner(false);
  call->Reply(r.SerializeAsString());
}

struct HashOutcome {
  base::Status status;
  kvstore::HashResult hash;
};

// Hash and HashKV: the store's hash of the key-value history up to
// `revision` (0 = all of it), computed off the loop.
template <typename Response>
void Hash(const MemberContext* ctx, const grpc::CallPtr& call,
          int64_t revision) {
  kvstore::Store* store = ctx->store;
  RunOffLoop<HashOutcome>(
      ctx->node->loop(),
      [store, revision] {
        auto h = store->HashKV(revision);
        return h.ok() ? HashOutcome{{}, *h} : HashOutcome{h.status(), {}};
      },
      [ctx, call](HashOutcome o) {
        if (!o.status.ok()) return call->Finish(o.status);
        Response r;
        FillHeader(ctx, r.mutable_header());
        r.mutable_header()->set_revision(ctx->store->CurrentRevision());
        r.set_hash(o.hash.hash);
        if constexpr (std::is_same_v<Response, etcdserverpb::HashKVResponse>) {
          r.set_compact_revision(o.hash.compact_revision);
        }
        call->Reply(r.SerializeAsString());
      });
}

void Defragment(const MemberContext* ctx, const grpc::CallPtr& call) {
  CAIRN_LOG(kInfo, "maintenance", "starting defragment");
  kvstore::Store* store = ctx->store;
  RunOffLoop<base::Status>(
      ctx->node->loop(), [store] { return store->Defragment(); },
      [call](base::Status s) {
        if (!s.ok()) {
          CAIRN_LOG(kWarn, "maintenance", "failed to defragment: %s",
                    s.ToString().c_str());
          return call->Finish(s);
        }
        CAIRN_LOG(kInfo, "maintenance", "finished defragment");
        call->Reply(etcdserverpb::DefragmentResponse().SerializeAsString());
      });
}

// MoveLeader: waits, checking every tick, until the target leads or the
// call's deadline (else the request timeout) passes, as etcd's MoveLeader.
class LeaderTransfer : public std::enable_shared_from_this<LeaderTransfer> {
 public:
  LeaderTransfer(const MemberContext* ctx, grpc::CallPtr call, uint64_t target)
      : ctx_(ctx), call_(std::move(call)), target_(target) {}

  void Start(uint64_t timeout_ms, uint64_t interval_ms) {
    ctx_->node->raw_node().TransferLeader(target_);
    if (Check()) return;
    uv_loop_t* loop = ctx_->node->loop();
    deadline_ = uv_now(loop) + timeout_ms;
    if (uv_timer_init(loop, timer_.get()) < 0) {
      return call_->Finish(base::Status::Internal("timer init failed"));
    }
    timer_.MarkInitialized();
    timer_->data = this;
    self_ = shared_from_this();  // Alive until the timer is closed.
    uv_timer_start(timer_.get(), &LeaderTransfer::OnTimer, interval_ms,
                   interval_ms);
    call_->OnCancel([this] { Stop(); });
  }

 private:
  // True (and the call answered) when the transfer is over.
  bool Check() {
    if (ctx_->node->leader() == target_) {
      CAIRN_LOG(kInfo, "maintenance", "leadership moved to %" PRIx64, target_);
      call_->Reply(etcdserverpb::MoveLeaderResponse().SerializeAsString());
      return true;
    }
    if (deadline_ != 0 && uv_now(ctx_->node->loop()) >= deadline_) {
      call_->Finish(ErrTimeoutLeaderTransfer());
      return true;
    }
    return false;
  }
  static void OnTimer(uv_timer_t* h) {
    auto* t = static_cast<LeaderTransfer*>(h->data);
    if (t->call_->done() || t->Check()) t->Stop();
  }
  void Stop() {
    if (timer_.get() == nullptr) return;
    timer_.Close();
    auto self = std::move(self_);  // May destroy this at scope exit.
  }

  const MemberContext* ctx_;
  grpc::CallPtr call_;
  uint64_t target_;
  uint64_t deadline_ = 0;
  net::UvHandle<uv_timer_t> timer_;
  std::shared_ptr<LeaderTransfer> self_;
};

void MoveLeader(const MemberContext* ctx, const grpc::CallPtr& call,
                const etcdserverpb::MoveLeaderRequest& req) {
  Node* node = ctx->node;
  if (!node->is_leader()) return call->Finish(ErrNotLeader());
  if (!node->raw_node().GetStatus().config.voters.contains(req.targetid())) {
    return call->Finish(ErrBadLeaderTransferee());
  }
  uint64_t timeout = internal::TimeoutMs(call, node->loop());
  if (timeout == 0) timeout = node->request_timeout_ms();
  CAIRN_LOG(kInfo, "maintenance",
            "leadership transfer from %" PRIx64 " to %" PRIx64 " starting",
            node->member_id(), req.targetid());
  auto t = std::make_shared<LeaderTransfer>(ctx, call, req.targetid());
  t->Start(timeout, node->tick_ms());
}

void Alarm(const MemberContext* ctx, const grpc::CallPtr& call,
           const cairnpb::InternalRequest& request) {
  ctx->node->Propose(
      request.SerializeAsString(),
      [ctx, call](Outcome o) {
        internal::Answer(ctx, call, o,
                         &cairnpb::InternalResponse::mutable_alarm,
                         /*header=*/false);
      },
      internal::TimeoutMs(call, ctx->node->loop()));
}

}  // namespace

void RegisterMaintenance(const MemberContext* ctx,
                         grpc::MethodRegistry* registry) {
  registry->AddUnary("/etcdserverpb.Maintenance/Status",
                     [ctx](grpc::CallPtr call, std::string bytes) {
                       etcdserverpb::StatusRequest req;
                       if (!ParseRequest(call, ctx, bytes, &req)) return;
                       Status(ctx, call);
                     });
  registry->AddUnary(
      "/etcdserverpb.Maintenance/Alarm",
      [ctx](grpc::CallPtr call, std::string bytes) {
        cairnpb::InternalRequest request;
        if (!ParseRequest(call, ctx, bytes, request.mutable_alarm())) return;
        Alarm(ctx, call, request);
      });
  registry->AddUnary("/etcdserverpb.Maintenance/Defragment",
                     [ctx](grpc::CallPtr call, std::string bytes) {
                       etcdserverpb::DefragmentRequest req;
                       if (!ParseRequest(call, ctx, bytes, &req)) return;
                       Defragment(ctx, call);
                     });
  registry->AddUnary("/etcdserverpb.Maintenance/Hash",
                     [ctx](grpc::CallPtr call, std::string bytes) {
                       etcdserverpb::HashRequest req;
                       if (!ParseRequest(call, ctx, bytes, &req)) return;
                       Hash<etcdserverpb::HashResponse>(ctx, call, 0);
                     });
  registry->AddUnary("/etcdserverpb.Maintenance/HashKV",
                     [ctx](grpc::CallPtr call, std::string bytes) {
                       etcdserverpb::HashKVRequest req;
                       if (!ParseRequest(call, ctx, bytes, &req)) return;
                       Hash<etcdserverpb::HashKVResponse>(ctx, call,
                                                          req.revision());
                     });
  registry->AddUnary("/etcdserverpb.Maintenance/MoveLeader",
                     [ctx](grpc::CallPtr call, std::string bytes) {
                       etcdserverpb::MoveLeaderRequest req;
                       if (!ParseRequest(call, ctx, bytes, &req)) return;
                       MoveLeader(ctx, call, req);
                     });
  RegisterSnapshot(ctx, registry);
}

}  // namespace server::api
