// v3lockpb.Lock: etcd's server/etcdserver/api/v3lock on the member's own KV
// and watches. Lock is clientv3/concurrency's Mutex.Lock for the request's
// lease (a lease of 0 gets a fresh 60 s lease, as NewSession grants one,
// never kept alive); Unlock deletes the key Lock returned.

#include <memory>
#include <string>
#include <utility>

#include "server/api/concurrency_services.h"
#include "server/api/recipes.h"
#include "server/api/unary.h"
#include "v3lockpb/v3lock.pb.h"

namespace server::api {
namespace {

class LockOp : public std::enable_shared_from_this<LockOp> {
 public:
  LockOp(const MemberContext* ctx, WatchHub* hub, grpc::CallPtr call,
         std::string name, int64_t lease)
      : ctx_(ctx),
        hub_(hub),
        call_(std::move(call)),
        prefix_(std::move(name) + "/"),
        lease_(lease) {}

  void Start() {
    auto self = shared_from_this();
    call_->OnCancel([self] { self->Abandon(); });
    SessionLease(ctx_, lease_, [self](base::Result<int64_t> lease) {
      if (!lease.ok()) return self->call_->Finish(RecipeError(lease.status()));
      self->lease_ = *lease;
      if (!self->call_->done()) self->Acquire();
    });
  }

 private:
  // Mutex.Lock's one txn: create our key unless it exists, and read the
  // owner (the oldest key of the prefix).
  void Acquire() {
    key_ = ContenderKey(prefix_, lease_);
    etcdserverpb::TxnRequest txn;
    *txn.add_compare() = CreateRevisionIs(key_, 0);
    auto* put = txn.add_success()->mutable_request_put();
    put->set_key(key_);
    put->set_lease(lease_);
    *txn.add_success()->mutable_request_range() = local::FirstCreate(prefix_);
    txn.add_failure()->mutable_request_range()->set_key(key_);
    *txn.add_failure()->mutable_request_range() = local::FirstCreate(prefix_);
    auto self = shared_from_this();
    local::Txn(ctx_, txn, [self](base::Result<etcdserverpb::TxnResponse> r) {
      self->OnTxn(std::move(r));
    });
  }

  void OnTxn(base::Result<etcdserverpb::TxnResponse> r) {
    if (!r.ok()) return call_->Finish(RecipeError(r.status()));
    put_ = true;
    if (call_->done()) return Abandon();
    int64_t my_rev = r->header().revision();
    if (!r->succeeded()) {
      my_rev = r->responses(0).response_range().kvs(0).create_revision();
    }
    const auto& owner = r->responses(1).response_range().kvs();
    if (owner.empty() || owner[0].create_revision() == my_rev) {
      return Succeed(r->header());
    }
    auto self = shared_from_this();
    waiter_ = WaitDeletes::Start(
        ctx_, hub_, prefix_, my_rev - 1,
        [self](base::Result<etcdserverpb::ResponseHeader> h) {
          self->waiter_.reset();
          if (!h.ok()) {
            self->call_->Finish(RecipeError(h.status()));
            return self->Abandon();
          }
          self->Succeed(*h);
        });
  }

  void Succeed(const etcdserverpb::ResponseHeader& header) {
    v3lockpb::LockResponse resp;
    *resp.mutable_header() = header;
    resp.set_key(key_);
    call_->Reply(resp.SerializeAsString());
  }

  // The client gave up: stop waiting and delete our key (Mutex.Unlock).
  void Abandon() {
    if (waiter_) waiter_->Cancel();
    waiter_.reset();
    if (!put_ || deleted_) return;
    deleted_ = true;
    local::DeleteKey(ctx_, key_, [](auto) {});
  }

  const MemberContext* const ctx_;
  WatchHub* const hub_;
  const grpc::CallPtr call_;
  const std::string prefix_;
  int64_t lease_;
  std::string key_;
  bool put_ = false;
  bool deleted_ = false;
  std::shared_ptr<WaitDeletes> waiter_;
};

}  // namespace

void RegisterLock(const MemberContext* ctx, WatchHub* hub,
                  grpc::MethodRegistry* registry) {
  registry->AddUnary("/v3lockpb.Lock/Lock",
                     [ctx, hub](grpc::CallPtr call, std::string bytes) {
                       v3lockpb::LockRequest request;
                       if (!internal::ParseRequest(call, ctx, bytes, &request))
                         return;
                       auto op = std::make_shared<LockOp>(
                           ctx, hub, call, request.name(), request.lease());
                       op->Start();
                     });
  registry->AddUnary("/v3lockpb.Lock/Unlock", [ctx](grpc::CallPtr call,
                                                    std::string bytes) {
    v3lockpb::UnlockRequest request;
    if (!internal::ParseRequest(call, ctx, bytes, &request)) return;
    local::DeleteKey(ctx, request.key(),
                     [call](base::Result<etcdserverpb::DeleteRangeResponse> r) {
                       if (!r.ok())
                         return call->Finish(RecipeError(r.status()));
                       v3lockpb::UnlockResponse resp;
                       *resp.mutable_header() = r->header();
                       call->Reply(resp.SerializeAsString());
                     });
  });
}

}  // namespace server::api
