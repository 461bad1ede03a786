#include <memory>

#include "cairnpb/internal.pb.h"
#include "etcdserverpb/rpc.pb.h"
#include "server/api/services.h"
#include "server/api/unary.h"

namespace server::api {
using internal::Answer;
using internal::ErrEmptyKey;
using internal::ParseRequest;
using internal::Replicate;

void FillHeader(const MemberContext* ctx, etcdserverpb::ResponseHeader* h) {
  h->set_cluster_id(ctx->node->cluster_id());
  h->set_member_id(ctx->node->member_id());
  h->set_raft_term(ctx->node->term());
}

void RegisterKv(const MemberContext* ctx, grpc::MethodRegistry* registry) {
  registry->AddUnary(
      "/etcdserverpb.KV/Range", [ctx](grpc::CallPtr call, std::string bytes) {
        cairnpb::InternalRequest request;
        if (!ParseRequest(call, ctx, bytes, request.mutable_range())) return;
        if (request.range().key().empty()) return call->Finish(ErrEmptyKey());
        bool linearizable = !request.range().serializable();
        ctx->node->Read(
            request.SerializeAsString(), linearizable, [ctx, call](Outcome o) {
              Answer(ctx, call, o, &cairnpb::InternalResponse::mutable_range);
            });
      });
  registry->AddUnary(
      "/etcdserverpb.KV/Put", [ctx](grpc::CallPtr call, std::string bytes) {
        cairnpb::InternalRequest request;
        if (!ParseRequest(call, ctx, bytes, request.mutable_put())) return;
        if (request.put().key().empty()) return call->Finish(ErrEmptyKey());
        Replicate(ctx, call, request, &cairnpb::InternalResponse::mutable_put);
      });
  registry->AddUnary("/etcdserverpb.KV/DeleteRange", [ctx](grpc::CallPtr call,
                                                           std::string bytes) {
    cairnpb::InternalRequest request;
    if (!ParseRequest(call, ctx, bytes, request.mutable_delete_range())) {
      return;
    }
    if (request.delete_range().key().empty()) {
      return call->Finish(ErrEmptyKey());
    }
    Replicate(ctx, call, request,
              &cairnpb::InternalResponse::mutable_delete_range);
  });
  registry->AddUnary(
      "/etcdserverpb.KV/Txn", [ctx](grpc::CallPtr call, std::string bytes) {
        cairnpb::InternalRequest request;
        if (!ParseRequest(call, ctx, bytes, request.mutable_txn())) return;
        Replicate(ctx, call, request, &cairnpb::InternalResponse::mutable_txn);
      });
  registry->AddUnary(
      "/etcdserverpb.KV/Compact", [ctx](grpc::CallPtr call, std::string bytes) {
        cairnpb::InternalRequest request;
        if (!ParseRequest(call, ctx, bytes, request.mutable_compaction())) {
          return;
        }
        Replicate(ctx, call, request,
                  &cairnpb::InternalResponse::mutable_compaction);
      });
}

}  // namespace server::api
