// The backend quota: etcd's backendQuota (etcdserver/quota.go) and
// quotaAlarmer (etcdserver/api/v3rpc/quota.go).

#include "kvstore/errors.h"
#include "server/api/services.h"

namespace server::api {
namespace {

// etcd's cost estimates of what a request adds to the database.
constexpr int64_t kLeaseOverhead = 64;
constexpr int64_t kKvOverhead = 256;

int64_t CostPut(const etcdserverpb::PutRequest& r) {
  return kKvOverhead + static_cast<int64_t>(r.key().size() + r.value().size());
}

// The larger branch; nested txns are not counted (as etcd 3.4).
int64_t CostTxn(const etcdserverpb::TxnRequest& r) {
  int64_t success = 0, failure = 0;
  for (const auto& op : r.success()) {
    if (op.has_request_put()) success += CostPut(op.request_put());
  }
  for (const auto& op : r.failure()) {
    if (op.has_request_put()) failure += CostPut(op.request_put());
  }
  return std::max(success, failure);
}

int64_t Cost(const cairnpb::InternalRequest& r) {
  switch (r.request_case()) {
    case cairnpb::InternalRequest::kPut:
      return CostPut(r.put());
    case cairnpb::InternalRequest::kTxn:
      return CostTxn(r.txn());
    case cairnpb::InternalRequest::kLeaseGrant:
      return kLeaseOverhead;
    default:
      return 0;
  }
}

}  // namespace

bool CheckQuota(const MemberContext* ctx,
                const cairnpb::InternalRequest& request,
                std::function<void(const base::Status&)> refuse) {
  if (ctx->quota_backend_bytes <= 0) return true;
  int64_t cost = Cost(request);
  if (cost == 0 ||
      ctx->store->CachedDbSize() + cost < ctx->quota_backend_bytes) {
    return true;
  }
  cairnpb::InternalRequest alarm;
  alarm.mutable_alarm()->set_action(etcdserverpb::AlarmRequest::ACTIVATE);
  alarm.mutable_alarm()->set_memberid(ctx->node->member_id());
  alarm.mutable_alarm()->set_alarm(etcdserverpb::NOSPACE);
  // The request fails whatever becomes of the alarm.
  ctx->node->Propose(alarm.SerializeAsString(),
                     [refuse = std::move(refuse)](const Outcome&) {
                       refuse(kvstore::ErrNoSpace());
                     });
  return false;
}

}  // namespace server::api
