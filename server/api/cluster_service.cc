// The Cluster service: MemberAdd, MemberRemove, MemberUpdate, MemberList,
// MemberPromote, with etcd's rules and errors (server/membership). Changes
// are answered once their configuration change entry is applied here; every
// response carries the member list afterwards and a header whose revision
// is 0, as etcd 3.4's.
//
// MemberPromote runs on the leader, which alone sees whether the learner is
// in sync: a follower forwards it there (LeaderForwarder, as etcd 3.4
// forwards to its leader's /members/promote/<id>) and answers with the
// leader's member list or error; without a leader it waits, then
// "etcdserver: no leader" or "etcdserver: request timed out".

#include "etcdserverpb/rpc.pb.h"
#include "server/api/leader_forwarder.h"
#include "server/api/services.h"
#include "server/api/unary.h"
#include "server/membership/manager.h"

namespace server::api {
namespace {

using internal::ParseRequest;
using internal::TimeoutMs;

void ToEtcd(const cairnpb::Member& in, etcdserverpb::Member* out) {
  out->set_id(in.id());
  out->set_name(in.name());
  for (const std::string& u : in.peer_urls()) out->add_peerurls(u);
  for (const std::string& u : in.client_urls()) out->add_clienturls(u);
  out->set_islearner(in.is_learner());
}

// Fills the header and the member list of a Member*Response.
// Until this member's attributes are published through the log it reports
// its own from its configuration (etcd serves clients only once published).
template <typename Response>
void Fill(const MemberContext* ctx, Response* r) {
  FillHeader(ctx, r->mutable_header());
  for (const cairnpb::Member& m : ctx->membership->registry().Members()) {
    etcdserverpb::Member* out = r->add_members();
    ToEtcd(m, out);
    if (m.id() != ctx->node->member_id() || !m.client_urls().empty()) continue;
    out->set_name(ctx->name);
    for (const std::string& u : ctx->client_urls) out->add_clienturls(u);
  }
}

// The answer of a change: the error, or the response with the list.
template <typename Response>
membership::Manager::MembersCallback Reply(const MemberContext* ctx,
                                           const grpc::CallPtr& call) {
  return [ctx, call](const base::Status& s, const cairnpb::Member&) {
    if (!s.ok()) return call->Finish(s);
    Response r;
    Fill(ctx, &r);
    call->Reply(r.SerializeAsString());
  };
}

// The leader's side of a MemberPromote: etcd's checks (the learner in sync
// with this leader), the proposal, the answer once applied here.
void ServePromote(const MemberContext* ctx,
                  const cairnpb::LeaderRequest& request,
                  LeaderForwarder::Answer done) {
  if (!ctx->node->is_leader()) return done(ErrNotPrimary(), {});
  ctx->membership->Promote(
      request.promote().id(), /*timeout_ms=*/0,
      [ctx, done](const base::Status& s, const cairnpb::Member&) {
        if (!s.ok()) return done(s, {});
        cairnpb::LeaderResponse r;
        Fill(ctx, r.mutable_promote());
        done(base::Status::OK(), std::move(r));
      });
}

}  // namespace

void RegisterCluster(const MemberContext* ctx, grpc::MethodRegistry* registry) {
  registry->AddUnary("/etcdserverpb.Cluster/MemberList",
                     [ctx](grpc::CallPtr call, std::string bytes) {
                       etcdserverpb::MemberListRequest req;
                       if (!ParseRequest(call, ctx, bytes, &req)) return;
                       etcdserverpb::MemberListResponse r;
                       Fill(ctx, &r);
                       call->Reply(r.SerializeAsString());
                     });
  registry->AddUnary("/etcdserverpb.Cluster/MemberAdd", [ctx](
                                                            grpc::CallPtr call,
                                                            std::string bytes) {
    etcdserverpb::MemberAddRequest req;
    if (!ParseRequest(call, ctx, bytes, &req)) return;
    std::vector<std::string> urls(req.peerurls().begin(), req.peerurls().end());
    ctx->membership->Add(
        urls, req.islearner(), TimeoutMs(call, ctx->node->loop()),
        [ctx, call](const base::Status& s, const cairnpb::Member& m) {
          if (!s.ok()) return call->Finish(s);
          etcdserverpb::MemberAddResponse r;
          Fill(ctx, &r);
          ToEtcd(m, r.mutable_member());
          call->Reply(r.SerializeAsString());
        });
  });
  registry->AddUnary(
      "/etcdserverpb.Cluster/MemberRemove",
      [ctx](grpc::CallPtr call, std::string bytes) {
        etcdserverpb::MemberRemoveRequest req;
        if (!ParseRequest(call, ctx, bytes, &req)) return;
        ctx->membership->Remove(
            req.id(), TimeoutMs(call, ctx->node->loop()),
            Reply<etcdserverpb::MemberRemoveResponse>(ctx, call));
      });
  registry->AddUnary(
      "/etcdserverpb.Cluster/MemberUpdate",
      [ctx](grpc::CallPtr call, std::string bytes) {
        etcdserverpb::MemberUpdateRequest req;
        if (!ParseRequest(call, ctx, bytes, &req)) return;
        std::vector<std::string> urls(req.peerurls().begin(),
                                      req.peerurls().end());
        ctx->membership->Update(
            req.id(), urls, TimeoutMs(call, ctx->node->loop()),
            Reply<etcdserverpb::MemberUpdateResponse>(ctx, call));
      });
  if (ctx->forwarder != nullptr) {
    ctx->forwarder->SetHandler(cairnpb::LeaderRequest::kPromote,
                               [ctx](const cairnpb::LeaderRequest& request,
                                     LeaderForwarder::Answer done) {
                                 ServePromote(ctx, request, std::move(done));
                               });
  }
  registry->AddUnary(
      "/etcdserverpb.Cluster/MemberPromote",
      [ctx](grpc::CallPtr call, std::string bytes) {
        etcdserverpb::MemberPromoteRequest req;
        if (!ParseRequest(call, ctx, bytes, &req)) return;
        if (ctx->forwarder == nullptr) {
          return ctx->membership->Promote(
              req.id(), TimeoutMs(call, ctx->node->loop()),
              Reply<etcdserverpb::MemberPromoteResponse>(ctx, call));
        }
        cairnpb::LeaderRequest request;
        *request.mutable_promote() = req;
        ctx->forwarder->Run(
            std::move(request),
            [ctx, call](const base::Status& s, cairnpb::LeaderResponse r) {
              if (!s.ok()) return call->Finish(s);
              // The leader's member list, this member's header (etcd).
              FillHeader(ctx, r.mutable_promote()->mutable_header());
              call->Reply(r.promote().SerializeAsString());
            });
      });
}

}  // namespace server::api
