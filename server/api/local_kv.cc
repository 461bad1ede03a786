#include "server/api/local_kv.h"

#include <utility>

#include "base/check.h"
#include "cairnpb/internal.pb.h"
#include "server/api/unary.h"
#include "server/api/watch_stream.h"

namespace server::api::local {
namespace {

// Runs `fn` on the loop's next iteration (a one-shot zero timer; timers
// started in order fire in order).
void RunSoon(uv_loop_t* loop, std::function<void()> fn) {
  struct Soon {
    uv_timer_t timer;
    std::function<void()> fn;
  };
  auto* s = new Soon{{}, std::move(fn)};
  uv_timer_init(loop, &s->timer);
  s->timer.data = s;
  uv_timer_start(
      &s->timer,
      [](uv_timer_t* t) {
        auto* soon = static_cast<Soon*>(t->data);
        std::function<void()> run = std::move(soon->fn);
        uv_close(reinterpret_cast<uv_handle_t*>(t),
                 [](uv_handle_t* h) { delete static_cast<Soon*>(h->data); });
        run();
      },
      0, 0);
}

// The member of an InternalResponse that `pick` selects, with its header
// completed, from the Outcome of a proposal or read.
template <typename Response>
base::Result<Response> Unpack(const MemberContext* ctx, const Outcome& o,
                              Response* (cairnpb::InternalResponse::*pick)()) {
  if (!o.status.ok()) return o.status;
  cairnpb::InternalResponse response;
  if (!response.ParseFromString(o.response)) {
    return base::Status::Internal("etcdserver: bad internal response");
  }
  Response r = std::move(*(response.*pick)());
  internal::Adjust(&r);
  FillHeader(ctx, r.mutable_header());
  return r;
}

template <typename Response>
void Propose(const MemberContext* ctx, const cairnpb::InternalRequest& request,
             Response* (cairnpb::InternalResponse::*pick)(),
             Done<Response> done) {
  ctx->node->Propose(request.SerializeAsString(),
                     [ctx, pick, done = std::move(done)](Outcome o) {
                       done(Unpack(ctx, o, pick));
                     });
}

}  // namespace

void Txn(const MemberContext* ctx, const etcdserverpb::TxnRequest& request,
         Done<etcdserverpb::TxnResponse> done) {
  cairnpb::InternalRequest r;
  *r.mutable_txn() = request;
  Propose(ctx, r, &cairnpb::InternalResponse::mutable_txn, std::move(done));
}

void Range(const MemberContext* ctx, const etcdserverpb::RangeRequest& request,
           Done<etcdserverpb::RangeResponse> done) {
  cairnpb::InternalRequest r;
  *r.mutable_range() = request;
  ctx->node->Read(
      r.SerializeAsString(), /*linearizable=*/true,
      [ctx, done = std::move(done)](Outcome o) {
        done(Unpack(ctx, o, &cairnpb::InternalResponse::mutable_range));
      });
}

void DeleteKey(const MemberContext* ctx, const std::string& key,
               Done<etcdserverpb::DeleteRangeResponse> done) {
  cairnpb::InternalRequest r;
  r.mutable_delete_range()->set_key(key);
  Propose(ctx, r, &cairnpb::InternalResponse::mutable_delete_range,
          std::move(done));
}

void LeaseGrant(const MemberContext* ctx, int64_t ttl,
                Done<etcdserverpb::LeaseGrantResponse> done) {
  cairnpb::InternalRequest r;
  r.mutable_lease_grant()->set_ttl(ttl);
  Propose(ctx, r, &cairnpb::InternalResponse::mutable_lease_grant,
          std::move(done));
}

std::string PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(end.back() + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

etcdserverpb::RangeRequest FirstCreate(const std::string& prefix, bool last) {
  etcdserverpb::RangeRequest r;
  r.set_key(prefix);
  r.set_range_end(PrefixEnd(prefix));
  r.set_sort_target(etcdserverpb::RangeRequest::CREATE);
  r.set_sort_order(last ? etcdserverpb::RangeRequest::DESCEND
                        : etcdserverpb::RangeRequest::ASCEND);
  r.set_limit(1);
  return r;
}

Watch::Watch(
    const MemberContext* ctx, WatchHub* hub,
    const etcdserverpb::WatchCreateRequest& create,
    std::function<void(const etcdserverpb::WatchResponse&)> on_response) {
  // The stream calls the sink while the hub dispatches; the callback runs
  // on the next loop iteration instead, so that it may close this watch.
  auto alive = std::make_shared<bool>(true);
  auto cb =
      std::make_shared<std::function<void(const etcdserverpb::WatchResponse&)>>(
          std::move(on_response));
  uv_loop_t* loop = ctx->node->loop();
  WatchSink sink;
  sink.send = [alive, cb, loop](std::string_view bytes) {
    etcdserverpb::WatchResponse r;
    CAIRN_CHECK(r.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())),
                "a watch response does not parse");
    RunSoon(loop, [alive, cb, r] {
      if (*alive) (*cb)(r);
    });
  };
  sink.pending_bytes = [] { return size_t{0}; };
  alive_ = alive;
  stream_ = std::make_unique<WatchStream>(ctx, hub, std::move(sink));
  etcdserverpb::WatchRequest request;
  *request.mutable_create_request() = create;
  stream_->OnRequest(request);
}

Watch::~Watch() { Close(); }

void Watch::Close() {
  if (alive_) *alive_ = false;
  if (stream_) stream_->Close();
  stream_.reset();
}

}  // namespace server::api::local
