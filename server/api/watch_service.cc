// etcdserverpb.Watch/Watch on gRPC: a thin shell over WatchStream.

#include <memory>
#include <utility>

#include "server/api/watch_stream.h"
#include "server/grpc/framing.h"

namespace server::api {
namespace {

// etcd's "hasleader" metadata (clientv3.WithRequireLeader).
bool RequiresLeader(const grpc::ServerCall& call) {
  auto v = call.Find("hasleader");
  return v && *v == "true";
}

}  // namespace

void RegisterWatch(const MemberContext* ctx, WatchHub* hub,
                   grpc::MethodRegistry* registry) {
  registry->AddBidiStreaming(
      "/etcdserverpb.Watch/Watch", [ctx, hub](grpc::CallPtr call) {
        // A client that requires a leader (clientv3.WithRequireLeader) was
        // refused by RequireLeaderPrecheck if there was none; the stream
        // also ends once the leader has been gone for a while.
        const bool require_leader = RequiresLeader(*call);
        // The sink holds the call weakly: the call's callbacks own the
        // stream, and they are dropped when the call ends.
        std::weak_ptr<grpc::ServerCall> weak = call;
        WatchSink sink;
        sink.send = [weak](std::string_view bytes) {
          if (auto c = weak.lock()) c->Write(bytes);
        };
        sink.pending_bytes = [weak]() -> size_t {
          auto c = weak.lock();
          return c ? c->pending_bytes() : 0;
        };
        sink.finish = [weak](const base::Status& s) {
          if (auto c = weak.lock()) c->Finish(s);
        };
        auto stream = std::make_shared<WatchStream>(ctx, hub, std::move(sink));
        if (require_leader) stream->RequireLeader();
        call->OnMessage([stream, weak](std::string bytes) {
          etcdserverpb::WatchRequest request;
          if (!request.ParseFromString(bytes)) {
            stream->Close();
            if (auto c = weak.lock()) {
              c->Finish(grpc::UnmarshalError(
                  "proto: cannot parse invalid wire-format data"));
            }
            return;
          }
          stream->OnRequest(request);
        });
        call->OnWriteReady([stream] { stream->OnWriteReady(); });
        // A client half-close ends nothing: etcd's recvLoop returns nil on
        // EOF and the stream keeps delivering events until the client
        // cancels (the JSON gateway half-closes right after the body).
        call->OnCancel([stream] { stream->Close(); });
      });
}

grpc::Precheck RequireLeaderPrecheck(const MemberContext* ctx) {
  return [ctx](const grpc::ServerCall& call) -> base::Status {
    if (RequiresLeader(call) && ctx->node->leader() == 0) {
      return ErrNoLeader();
    }
    return base::Status::OK();
  };
}

}  // namespace server::api
