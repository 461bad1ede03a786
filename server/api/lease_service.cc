// etcdserverpb.Lease: grants and revokes are replicated; keep-alives go to
// the LeaseKeeper (the leader's clock); time-to-live and the list are read
// from this member's lease table.

#include <memory>
#include <string>

#include "etcdserverpb/rpc.pb.h"
#include "server/api/lease_keeper.h"
#include "server/api/unary.h"
#include "server/grpc/framing.h"

namespace server::api {
using internal::ParseRequest;
using internal::Replicate;

namespace {

void KeepAliveStream(const MemberContext* ctx, LeaseKeeper* keeper,
                     const grpc::CallPtr& call) {
  std::weak_ptr<grpc::ServerCall> weak = call;
  call->OnMessage([ctx, keeper, weak](std::string bytes) {
    auto c = weak.lock();
    if (!c) return;
    etcdserverpb::LeaseKeepAliveRequest request;
    if (!request.ParseFromString(bytes)) {
      return c->Finish(
          grpc::UnmarshalError("proto: cannot parse invalid wire-format data"));
    }
    // As etcd, the header is taken before the renewal, so its revision is
    // never past a revoke the renewal could miss.
    etcdserverpb::LeaseKeepAliveResponse resp;
    resp.set_id(request.id());
    FillHeader(ctx, resp.mutable_header());
    resp.mutable_header()->set_revision(ctx->store->CurrentRevision());
    base::Result<int64_t> ttl = keeper->Renew(request.id());
    if (!ttl.ok()) return c->Finish(ttl.status());
    resp.set_ttl(*ttl);
    c->Write(resp.SerializeAsString());
  });
  // etcd ends the stream with OK when the client half-closes.
  call->OnHalfClose([weak] {
    if (auto c = weak.lock()) c->Finish(base::Status::OK());
  });
}

}  // namespace

void RegisterLease(const MemberContext* ctx, LeaseKeeper* keeper,
                   grpc::MethodRegistry* registry) {
  registry->AddUnary(
      "/etcdserverpb.Lease/LeaseGrant",
      [ctx](grpc::CallPtr call, std::string bytes) {
        cairnpb::InternalRequest request;
        if (!ParseRequest(call, ctx, bytes, request.mutable_lease_grant())) {
          return;
        }
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
  registry->AddBidiStreaming("/etcdserverpb.Lease/LeaseKeepAlive",
                             [ctx, keeper](grpc::CallPtr call) {
                               KeepAliveStream(ctx, keeper, call);
                             });
  registry->AddUnary("/etcdserverpb.Lease/LeaseTimeToLive",
                     [ctx](grpc::CallPtr call, std::string bytes) {
                       etcdserverpb::LeaseTimeToLiveRequest request;
                       if (!ParseRequest(call, ctx, bytes, &request)) return;
                       etcdserverpb::LeaseTimeToLiveResponse resp =
                           ctx->store->LeaseTimeToLive(request,
                                                       LeaseKeeper::NowMs());
                       FillHeader(ctx, resp.mutable_header());
                       call->Reply(resp.SerializeAsString());
                     });
  registry->AddUnary("/etcdserverpb.Lease/LeaseLeases",
                     [ctx](grpc::CallPtr call, std::string bytes) {
                       etcdserverpb::LeaseLeasesRequest request;
                       if (!ParseRequest(call, ctx, bytes, &request)) return;
                       etcdserverpb::LeaseLeasesResponse resp =
                           ctx->store->LeaseLeases();
                       FillHeader(ctx, resp.mutable_header());
                       call->Reply(resp.SerializeAsString());
                     });
}

}  // namespace server::api
