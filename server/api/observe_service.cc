// v3electionpb.Election/Observe: clientv3/concurrency's Election.observe
// as a server stream. Loop: read the leader (the oldest key of the
// prefix); if there is none, watch the prefix for the first put; send the
// leader, then every put of its key until the key is deleted; repeat. The
// stream ends with OK when a read fails or a watch is cancelled (etcd's
// observe closes its channel), or when the client goes away.

#include <memory>
#include <string>
#include <utility>

#include "server/api/concurrency_services.h"
#include "server/api/recipes.h"
#include "server/api/unary.h"
#include "v3electionpb/v3election.pb.h"

namespace server::api {
namespace {

class ObserveOp : public std::enable_shared_from_this<ObserveOp> {
 public:
  ObserveOp(const MemberContext* ctx, WatchHub* hub, grpc::CallPtr call,
            std::string name)
      : ctx_(ctx), hub_(hub), call_(std::move(call)), prefix_(name + "/") {}

  void Start() {
    auto self = shared_from_this();
    call_->OnCancel([self] { self->watch_.reset(); });
    ReadLeader();
  }

 private:
  void End() {
    watch_.reset();
    call_->Finish(base::Status::OK());
  }

  void ReadLeader() {
    if (call_->done()) return;
    auto self = shared_from_this();
    local::Range(ctx_, local::FirstCreate(prefix_),
                 [self](base::Result<etcdserverpb::RangeResponse> r) {
                   if (self->call_->done()) return;
                   if (!r.ok()) return self->End();
                   if (r->kvs_size() == 0) return self->AwaitFirst(r->header());
                   self->Follow(r->header(), r->kvs(0));
                 });
  }

  // No leader: wait for the first put on the prefix.
  void AwaitFirst(const etcdserverpb::ResponseHeader& header) {
    etcdserverpb::WatchCreateRequest create;
    create.set_key(prefix_);
    create.set_range_end(local::PrefixEnd(prefix_));
    create.set_start_revision(header.revision());
    Watch(create, [this](const etcdserverpb::WatchResponse& wr) {
      for (const mvccpb::Event& ev : wr.events()) {
        if (ev.type() != mvccpb::Event::PUT) continue;
        // etcd reports the put's revision in the header.
        etcdserverpb::ResponseHeader h = wr.header();
        h.set_revision(ev.kv().mod_revision());
        mvccpb::KeyValue kv = ev.kv();
        watch_.reset();
        return Follow(h, kv);
      }
    });
  }

  // Sends the leader, then its updates until its key is deleted.
  void Follow(const etcdserverpb::ResponseHeader& header,
              const mvccpb::KeyValue& kv) {
    Send(header, kv);
    etcdserverpb::WatchCreateRequest create;
    create.set_key(kv.key());
    create.set_start_revision(header.revision() + 1);
    Watch(create, [this](const etcdserverpb::WatchResponse& wr) {
      for (const mvccpb::Event& ev : wr.events()) {
        if (ev.type() == mvccpb::Event::DELETE) {
          watch_.reset();
          return ReadLeader();
        }
        Send(wr.header(), ev.kv());
      }
    });
  }

  void Send(const etcdserverpb::ResponseHeader& header,
            const mvccpb::KeyValue& kv) {
    v3electionpb::LeaderResponse resp;
    *resp.mutable_header() = header;
    *resp.mutable_kv() = kv;
    call_->Write(resp.SerializeAsString());
  }

  // Starts watch_; `on_events` runs for responses with events while the
  // call lives (a cancelled watch ends the stream).
  void Watch(
      const etcdserverpb::WatchCreateRequest& create,
      std::function<void(const etcdserverpb::WatchResponse&)> on_events) {
    std::weak_ptr<ObserveOp> weak = weak_from_this();
    watch_ = std::make_unique<local::Watch>(
        ctx_, hub_, create,
        [weak, on_events = std::move(on_events)](
            const etcdserverpb::WatchResponse& wr) {
          auto self = weak.lock();
          if (!self || self->call_->done()) return;
          if (wr.canceled()) return self->End();
          if (wr.events_size() > 0) on_events(wr);
        });
  }

  const MemberContext* const ctx_;
  WatchHub* const hub_;
  const grpc::CallPtr call_;
  const std::string prefix_;
  std::unique_ptr<local::Watch> watch_;
};

}  // namespace

void RegisterObserve(const MemberContext* ctx, WatchHub* hub,
                     grpc::MethodRegistry* registry) {
  registry->AddServerStreaming(
      "/v3electionpb.Election/Observe",
      [ctx, hub](grpc::CallPtr call, std::string bytes) {
        v3electionpb::LeaderRequest request;
        if (!internal::ParseRequest(call, ctx, bytes, &request)) return;
        std::make_shared<ObserveOp>(ctx, hub, call, request.name())->Start();
      });
}

}  // namespace server::api
