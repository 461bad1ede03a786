#include <memory>

#include "cairnpb/internal.pb.h"
#include "etcdserverpb/rpc.pb.h"
#include "server/api/services.h"

namespace server::api {
namespace {

base::Status ErrEmptyKey() {
  return base::Status::InvalidArgument("etcdserver: key is not provided");
}
base::Status ErrRequestTooLarge() {
  return base::Status::InvalidArgument("etcdserver: request is too large");
}

// The per-call timeout: the client's grpc-timeout when it sent one.
uint64_t TimeoutMs(const grpc::CallPtr& call, uv_loop_t* loop) {
  auto deadline = call->deadline_ms();
  if (!deadline) return 0;
  uint64_t now = uv_now(loop);
  return *deadline > now ? *deadline - now : 1;
}

template <typename Request>
bool ParseRequest(const grpc::CallPtr& call, const MemberContext* ctx,
                  const std::string& bytes, Request* out) {
  if (bytes.size() > ctx->max_request_bytes) {
    call->Finish(ErrRequestTooLarge());
    return false;
  }
  if (!out->ParseFromString(bytes)) {
    call->Finish(base::Status::Internal(
        "grpc: error unmarshalling request: proto: cannot parse invalid "
        "wire-format data"));
    return false;
  }
  return true;
}

// As etcd, the TxnResponse of a nested txn carries an empty header (its
// puts, ranges and deletes keep their revision-only headers).
void ClearNestedTxnHeaders(etcdserverpb::TxnResponse* r) {
  for (etcdserverpb::ResponseOp& op : *r->mutable_responses()) {
    if (!op.has_response_txn()) continue;
    op.mutable_response_txn()->mutable_header()->Clear();
    ClearNestedTxnHeaders(op.mutable_response_txn());
  }
}
void Adjust(etcdserverpb::TxnResponse* r) { ClearNestedTxnHeaders(r); }
template <typename Response>
void Adjust(Response*) {}

// Sends the outcome of a request: the error, or the response member `pick`
// extracts from the InternalResponse, with its header completed.
template <typename Response>
void Answer(const MemberContext* ctx, const grpc::CallPtr& call,
            const Outcome& outcome,
            Response* (cairnpb::InternalResponse::*pick)()) {
  if (!outcome.status.ok()) {
    call->Finish(outcome.status);
    return;
  }
  cairnpb::InternalResponse response;
  if (!response.ParseFromString(outcome.response)) {
    call->Finish(base::Status::Internal("etcdserver: bad internal response"));
    return;
  }
  Response* r = (response.*pick)();
  Adjust(r);
  FillHeader(ctx, r->mutable_header());
  call->Reply(r->SerializeAsString());
}

template <typename Response>
void Replicate(const MemberContext* ctx, const grpc::CallPtr& call,
               const cairnpb::InternalRequest& request,
               Response* (cairnpb::InternalResponse::*pick)(),
               uv_loop_t* loop) {
  ctx->node->Propose(
      request.SerializeAsString(),
      [ctx, call, pick](Outcome o) { Answer(ctx, call, o, pick); },
      TimeoutMs(call, loop));
}

}  // namespace

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
        Replicate(ctx, call, request, &cairnpb::InternalResponse::mutable_put,
                  ctx->node->loop());
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
              &cairnpb::InternalResponse::mutable_delete_range,
              ctx->node->loop());
  });
  registry->AddUnary(
      "/etcdserverpb.KV/Txn", [ctx](grpc::CallPtr call, std::string bytes) {
        cairnpb::InternalRequest request;
        if (!ParseRequest(call, ctx, bytes, request.mutable_txn())) return;
        Replicate(ctx, call, request, &cairnpb::InternalResponse::mutable_txn,
                  ctx->node->loop());
      });
  registry->AddUnary(
      "/etcdserverpb.KV/Compact", [ctx](grpc::CallPtr call, std::string bytes) {
        cairnpb::InternalRequest request;
        if (!ParseRequest(call, ctx, bytes, request.mutable_compaction())) {
          return;
        }
        Replicate(ctx, call, request,
                  &cairnpb::InternalResponse::mutable_compaction,
                  ctx->node->loop());
      });
}

}  // namespace server::api
