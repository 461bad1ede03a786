// etcdserverpb.Lease: grants and revokes are replicated; keep-alives,
// time-to-live and the list are answered by the LeaseKeeper from the
// primary's lease clock (forwarded to the leader from a follower).

#include <deque>
#include <memory>
#include <string>
#include <utility>

#include "etcdserverpb/rpc.pb.h"
#include "kvstore/errors.h"
#include "server/api/lease_keeper.h"
#include "server/api/unary.h"
#include "server/grpc/framing.h"

namespace server::api {
using internal::ParseRequest;
using internal::Replicate;

namespace {

// One LeaseKeepAlive stream. A renewal may complete later than the next
// one (a follower's go to the leader and may be retried), so answers are
// written in request order.
class KeepAliveStream : public std::enable_shared_from_this<KeepAliveStream> {
 public:
  KeepAliveStream(const MemberContext* ctx, LeaseKeeper* keeper,
                  const grpc::CallPtr& call)
      : ctx_(ctx), keeper_(keeper), call_(call) {}

  void OnMessage(const std::string& bytes) {
    auto c = call_.lock();
    if (!c) return;
    etcdserverpb::LeaseKeepAliveRequest request;
    if (!request.ParseFromString(bytes)) {
      return c->Finish(
          grpc::UnmarshalError("proto: cannot parse invalid wire-format data"));
    }
    // As etcd, the header is taken before the renewal, so its revision is
    // never past a revoke the renewal could miss.
    auto answer = std::make_shared<Answer>();
    answer->resp.set_id(request.id());
    FillHeader(ctx_, answer->resp.mutable_header());
    answer->resp.mutable_header()->set_revision(ctx_->store->CurrentRevision());
    pending_.push_back(answer);
    std::weak_ptr<KeepAliveStream> weak = weak_from_this();
    keeper_->Renew(request.id(), [weak, answer](base::Result<int64_t> ttl) {
      auto self = weak.lock();
      if (!self) return;
      // etcd answers TTL 0 for a lease that is not found (or expired).
      if (!ttl.ok() && ttl.status() != kvstore::ErrLeaseNotFound()) {
        if (auto call = self->call_.lock()) call->Finish(ttl.status());
        return;
      }
      answer->resp.set_ttl(ttl.ok() ? *ttl : 0);
      answer->ready = true;
      self->Flush();
    });
  }

 private:
  struct Answer {
    etcdserverpb::LeaseKeepAliveResponse resp;
    bool ready = false;
  };

  void Flush() {
    auto c = call_.lock();
    while (!pending_.empty() && pending_.front()->ready) {
      if (c) c->Write(pending_.front()->resp.SerializeAsString());
      pending_.pop_front();
    }
  }

  const MemberContext* const ctx_;
  LeaseKeeper* const keeper_;
  const std::weak_ptr<grpc::ServerCall> call_;
  std::deque<std::shared_ptr<Answer>> pending_;
};

void ServeKeepAlive(const MemberContext* ctx, LeaseKeeper* keeper,
                    const grpc::CallPtr& call) {
  // The call's callbacks own the stream; it goes when they are dropped.
  auto stream = std::make_shared<KeepAliveStream>(ctx, keeper, call);
  call->OnMessage([stream](std::string bytes) { stream->OnMessage(bytes); });
  // etcd ends the stream with OK when the client half-closes.
  std::weak_ptr<grpc::ServerCall> weak = call;
  call->OnHalfClose([weak] {
    if (auto c = weak.lock()) c->Finish(base::Status::OK());
  });
}

// Answers a unary call with `resp` from the keeper, its header filled here.
template <typename Resp>
LeaseKeeper::Done<Resp> ReplyWith(const MemberContext* ctx,
                                  grpc::CallPtr call) {
  return [ctx, call = std::move(call)](base::Result<Resp> resp) {
    if (!resp.ok()) return call->Finish(resp.status());
    FillHeader(ctx, resp->mutable_header());
    resp->mutable_header()->set_revision(ctx->store->CurrentRevision());
    call->Reply(resp->SerializeAsString());
  };
}

}  // namespace

void RegisterLease(const MemberContext* ctx, LeaseKeeper* keeper,
                   grpc::MethodRegistry* registry) {
  registry->AddUnary(
      "/etcdserverpb.Lease/LeaseGrant",
      [ctx, keeper](grpc::CallPtr call, std::string bytes) {
        cairnpb::InternalRequest request;
        if (!ParseRequest(call, ctx, bytes, request.mutable_lease_grant())) {
          return;
        }
        keeper->PromoteIfDue();
        Replicate(ctx, call, request,
                  &cairnpb::InternalResponse::mutable_lease_grant);
      });
  registry->AddUnary(
      "/etcdserverpb.Lease/LeaseRevoke",
      [ctx](grpc::CallPtr call, std::string bytes) {
        cairnpb::InternalRequest request;
        if (!ParseRequest(call, ctx, bytes, request.mutable_lease_revoke())) {
          return;
        }
        Replicate(ctx, call, request,
                  &cairnpb::InternalResponse::mutable_lease_revoke);
      });
  registry->AddBidiStreaming(
      "/etcdserverpb.Lease/LeaseKeepAlive",
      [ctx, keeper](grpc::CallPtr call) { ServeKeepAlive(ctx, keeper, call); });
  registry->AddUnary(
      "/etcdserverpb.Lease/LeaseTimeToLive",
      [ctx, keeper](grpc::CallPtr call, std::string bytes) {
        etcdserverpb::LeaseTimeToLiveRequest request;
        if (!ParseRequest(call, ctx, bytes, &request)) return;
        keeper->TimeToLive(
            request,
            ReplyWith<etcdserverpb::LeaseTimeToLiveResponse>(ctx, call));
      });
  registry->AddUnary(
      "/etcdserverpb.Lease/LeaseLeases",
      [ctx, keeper](grpc::CallPtr call, std::string bytes) {
        etcdserverpb::LeaseLeasesRequest request;
        if (!ParseRequest(call, ctx, bytes, &request)) return;
        keeper->Leases(ReplyWith<etcdserverpb::LeaseLeasesResponse>(ctx, call));
      });
}

}  // namespace server::api
