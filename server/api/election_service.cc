// v3electionpb.Election: etcd's server/etcdserver/api/v3election on the
// member's own KV and watches, step for step clientv3/concurrency's
// Election (Campaign, Proclaim, Resign, Leader, observe).

#include <memory>
#include <string>
#include <utility>

#include "server/api/concurrency_services.h"
#include "server/api/recipes.h"
#include "server/api/unary.h"
#include "v3electionpb/v3election.pb.h"

namespace server::api {
namespace {

using HeaderDone = local::Done<etcdserverpb::ResponseHeader>;

base::Status ErrElectionNotLeader() {
  return base::Status::Unknown("election: not leader");
}
base::Status ErrElectionNoLeader() {
  return base::Status::Unknown("election: no leader");
}
base::Status ErrMissingLeaderKey() {
  return base::Status::Unknown("\"leader\" field must be provided");
}

// Election.Proclaim: puts `value` on the leader key if it is still ours.
void Proclaim(const MemberContext* ctx, const v3electionpb::LeaderKey& leader,
              const std::string& value, HeaderDone done) {
  etcdserverpb::TxnRequest txn;
  *txn.add_compare() = CreateRevisionIs(leader.key(), leader.rev());
  auto* put = txn.add_success()->mutable_request_put();
  put->set_key(leader.key());
  put->set_value(value);
  put->set_lease(leader.lease());
  local::Txn(
      ctx, txn,
      [done = std::move(done)](base::Result<etcdserverpb::TxnResponse> r) {
        if (!r.ok()) return done(r.status());
        if (!r->succeeded()) return done(ErrElectionNotLeader());
        done(r->header());
      });
}

// Election.Resign: deletes the leader key if it is still ours.
void Resign(const MemberContext* ctx, const v3electionpb::LeaderKey& leader,
            HeaderDone done) {
  etcdserverpb::TxnRequest txn;
  *txn.add_compare() = CreateRevisionIs(leader.key(), leader.rev());
  txn.add_success()->mutable_request_delete_range()->set_key(leader.key());
  local::Txn(
      ctx, txn,
      [done = std::move(done)](base::Result<etcdserverpb::TxnResponse> r) {
        if (!r.ok()) return done(r.status());
        done(r->header());
      });
}

template <typename Response>
void ReplyHeader(const grpc::CallPtr& call,
                 base::Result<etcdserverpb::ResponseHeader> h) {
  if (!h.ok()) return call->Finish(RecipeError(h.status()));
  Response resp;
  *resp.mutable_header() = *h;
  call->Reply(resp.SerializeAsString());
}

class CampaignOp : public std::enable_shared_from_this<CampaignOp> {
 public:
  CampaignOp(const MemberContext* ctx, WatchHub* hub, grpc::CallPtr call,
             const v3electionpb::CampaignRequest& request)
      : ctx_(ctx), hub_(hub), call_(std::move(call)), value_(request.value()) {
    leader_.set_name(request.name());
    leader_.set_lease(request.lease());
  }

  void Start() {
    auto self = shared_from_this();
    call_->OnCancel([self] { self->Abandon(); });
    SessionLease(ctx_, leader_.lease(), [self](base::Result<int64_t> lease) {
      if (!lease.ok()) return self->call_->Finish(RecipeError(lease.status()));
      self->leader_.set_lease(*lease);
      if (!self->call_->done()) self->Enter();
    });
  }

 private:
  // Creates our key unless it exists (then it is read).
  void Enter() {
    const std::string prefix = leader_.name() + "/";
    leader_.set_key(ContenderKey(prefix, leader_.lease()));
    etcdserverpb::TxnRequest txn;
    *txn.add_compare() = CreateRevisionIs(leader_.key(), 0);
    auto* put = txn.add_success()->mutable_request_put();
    put->set_key(leader_.key());
    put->set_value(value_);
    put->set_lease(leader_.lease());
    txn.add_failure()->mutable_request_range()->set_key(leader_.key());
    auto self = shared_from_this();
    local::Txn(ctx_, txn, [self](base::Result<etcdserverpb::TxnResponse> r) {
      self->OnEnter(std::move(r));
    });
  }

  void OnEnter(base::Result<etcdserverpb::TxnResponse> r) {
    if (!r.ok()) return call_->Finish(RecipeError(r.status()));
    entered_ = true;
    header_ = r->header();
    leader_.set_rev(r->header().revision());
    if (call_->done()) return Abandon();
    auto self = shared_from_this();
    if (!r->succeeded()) {
      const mvccpb::KeyValue& kv = r->responses(0).response_range().kvs(0);
      leader_.set_rev(kv.create_revision());
      if (kv.value() != value_) {
        return Proclaim(ctx_, leader_, value_,
                        [self](base::Result<etcdserverpb::ResponseHeader> h) {
                          if (!h.ok()) {
                            self->call_->Finish(RecipeError(h.status()));
                            return self->Abandon();
                          }
                          self->Wait();
                        });
      }
    }
    Wait();
  }

  // Until every key created before ours is gone.
  void Wait() {
    if (call_->done()) return Abandon();
    auto self = shared_from_this();
    waiter_ = WaitDeletes::Start(
        ctx_, hub_, leader_.name() + "/", leader_.rev() - 1,
        [self](base::Result<etcdserverpb::ResponseHeader> h) {
          self->waiter_.reset();
          if (!h.ok()) return self->call_->Finish(RecipeError(h.status()));
          v3electionpb::CampaignResponse resp;
          *resp.mutable_header() = self->header_;
          *resp.mutable_leader() = self->leader_;
          self->call_->Reply(resp.SerializeAsString());
        });
  }

  // The client gave up: stop waiting and resign.
  void Abandon() {
    if (waiter_) waiter_->Cancel();
    waiter_.reset();
    if (!entered_ || resigned_) return;
    resigned_ = true;
    Resign(ctx_, leader_, [](auto) {});
  }

  const MemberContext* const ctx_;
  WatchHub* const hub_;
  const grpc::CallPtr call_;
  const std::string value_;
  v3electionpb::LeaderKey leader_;
  etcdserverpb::ResponseHeader header_;
  bool entered_ = false;
  bool resigned_ = false;
  std::shared_ptr<WaitDeletes> waiter_;
};

}  // namespace

void RegisterObserve(const MemberContext* ctx, WatchHub* hub,
                     grpc::MethodRegistry* registry);

void RegisterElection(const MemberContext* ctx, WatchHub* hub,
                      grpc::MethodRegistry* registry) {
  registry->AddUnary(
      "/v3electionpb.Election/Campaign",
      [ctx, hub](grpc::CallPtr call, std::string bytes) {
        v3electionpb::CampaignRequest request;
        if (!internal::ParseRequest(call, ctx, bytes, &request)) return;
        std::make_shared<CampaignOp>(ctx, hub, call, request)->Start();
      });
  registry->AddUnary("/v3electionpb.Election/Proclaim", [ctx](
                                                            grpc::CallPtr call,
                                                            std::string bytes) {
    v3electionpb::ProclaimRequest request;
    if (!internal::ParseRequest(call, ctx, bytes, &request)) return;
    if (!request.has_leader()) return call->Finish(ErrMissingLeaderKey());
    Proclaim(ctx, request.leader(), request.value(),
             [call](base::Result<etcdserverpb::ResponseHeader> h) {
               ReplyHeader<v3electionpb::ProclaimResponse>(call, std::move(h));
             });
  });
  registry->AddUnary("/v3electionpb.Election/Resign", [ctx](grpc::CallPtr call,
                                                            std::string bytes) {
    v3electionpb::ResignRequest request;
    if (!internal::ParseRequest(call, ctx, bytes, &request)) return;
    if (!request.has_leader()) return call->Finish(ErrMissingLeaderKey());
    Resign(ctx, request.leader(),
           [call](base::Result<etcdserverpb::ResponseHeader> h) {
             ReplyHeader<v3electionpb::ResignResponse>(call, std::move(h));
           });
  });
  registry->AddUnary("/v3electionpb.Election/Leader", [ctx](grpc::CallPtr call,
                                                            std::string bytes) {
    v3electionpb::LeaderRequest request;
    if (!internal::ParseRequest(call, ctx, bytes, &request)) return;
    local::Range(ctx, local::FirstCreate(request.name() + "/"),
                 [call](base::Result<etcdserverpb::RangeResponse> r) {
                   if (!r.ok()) return call->Finish(RecipeError(r.status()));
                   if (r->kvs_size() == 0) {
                     return call->Finish(ErrElectionNoLeader());
                   }
                   v3electionpb::LeaderResponse resp;
                   *resp.mutable_header() = r->header();
                   *resp.mutable_kv() = r->kvs(0);
                   call->Reply(resp.SerializeAsString());
                 });
  });
  RegisterObserve(ctx, hub, registry);
}

}  // namespace server::api
