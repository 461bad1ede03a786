#pragma once

// Helpers shared by the unary handlers of server/api: parsing a request
// with etcd's size limit and error, and answering a call from the Outcome
// of a proposal or a read.
//
// Thread safety: loop thread only.

#include <uv.h>

#include <cstdint>
#include <string>

#include "cairnpb/internal.pb.h"
#include "server/api/services.h"

namespace server::api::internal {

inline base::Status ErrEmptyKey() {
  return base::Status::InvalidArgument("etcdserver: key is not provided");
}
inline base::Status ErrRequestTooLarge() {
  return base::Status::InvalidArgument("etcdserver: request is too large");
}

// The per-call timeout: the client's grpc-timeout when it sent one, else 0
// (the node's default).
inline uint64_t TimeoutMs(const grpc::CallPtr& call, uv_loop_t* loop) {
  auto deadline = call->deadline_ms();
  if (!deadline) return 0;
  uint64_t now = uv_now(loop);
  return *deadline > now ? *deadline - now : 1;
}

// Parses `bytes` into *out; on failure finishes the call with etcd's error
// (request too large, or grpc-go's unmarshalling error) and returns false.
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
inline void ClearNestedTxnHeaders(etcdserverpb::TxnResponse* r) {
  for (etcdserverpb::ResponseOp& op : *r->mutable_responses()) {
    if (!op.has_response_txn()) continue;
    op.mutable_response_txn()->mutable_header()->Clear();
    ClearNestedTxnHeaders(op.mutable_response_txn());
  }
}
inline void Adjust(etcdserverpb::TxnResponse* r) { ClearNestedTxnHeaders(r); }
template <typename Response>
void Adjust(Response*) {}

// Sends the outcome of a request: the error, or the response member `pick`
// extracts from the InternalResponse, with its header completed (or, with
// `header` false, left as the state machine made it).
template <typename Response>
void Answer(const MemberContext* ctx, const grpc::CallPtr& call,
            const Outcome& outcome,
            Response* (cairnpb::InternalResponse::*pick)(),
            bool header = true) {
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
  if (header) FillHeader(ctx, r->mutable_header());
  call->Reply(r->SerializeAsString());
}

// Replicates `request` and answers the call once it is applied. Requests
// that grow the database are first checked against the quota
// (CheckQuota).
template <typename Response>
void Replicate(const MemberContext* ctx, const grpc::CallPtr& call,
               const cairnpb::InternalRequest& request,
               Response* (cairnpb::InternalResponse::*pick)(),
               bool header = true) {
  if (!CheckQuota(ctx, request,
                  [call](const base::Status& s) { call->Finish(s); })) {
    return;
  }
  ctx->node->Propose(
      request.SerializeAsString(),
      [ctx, call, pick, header](Outcome o) {
        Answer(ctx, call, o, pick, header);
      },
      TimeoutMs(call, ctx->node->loop()));
}

}  // namespace server::api::internal
