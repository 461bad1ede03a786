#pragma once

// WatchStream: one client's Watch stream (etcd's serverWatchStream), apart
// from its transport. The transport feeds it WatchRequests and tells it
// when its send buffer drained; the stream answers through a WatchSink.
// The gRPC binding (watch_service.cc) is a thin shell over it; the JSON
// gateway can be another.
//
//   transport ──OnRequest(req)──> WatchStream ──sink.send(resp)──> transport
//             ──OnWriteReady()──>             <─sink.pending_bytes()─
//             ──Close()─────────>
//
// Semantics are etcd 3.4's (shared/etcd-v3-api.md 4.8): created replies in
// request order and before any event of their watcher; watcher IDs per
// stream (0 = the next free one from a counter); create failures answered
// with created + canceled + watch_id -1 + cancel_reason; cancel of a known
// ID answered with canceled; unknown IDs ignored; NOPUT/NODELETE filters;
// prev_kv; fragments; compacted start -> canceled with compact_revision;
// progress notifications (periodic for watchers that asked, and on a
// WatchProgressRequest, answered with watch_id -1 once every watcher of the
// stream is synced).
//
// Thread safety: loop thread only.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "etcdserverpb/rpc.pb.h"
#include "server/api/services.h"
#include "server/api/watch_encoding.h"
#include "server/api/watch_hub.h"

namespace server::api {

// Where a stream's responses go.
struct WatchSink {
  // Queues one serialized WatchResponse for the client. Never blocks.
  std::function<void(std::string_view)> send;
  // Bytes queued and not yet sent. Above WatchStream::kCongestedBytes the
  // stream's watchers stop taking live events and fall behind.
  std::function<size_t()> pending_bytes;
  // Ends the stream with an error (only for streams that RequireLeader).
  std::function<void(const base::Status&)> finish;
};

class WatchStream {
 public:
  static constexpr size_t kCongestedBytes = 256 * 1024;

  // `ctx` and `hub` must outlive the stream, or the hub must be closed
  // first (then the stream goes quiet).
  WatchStream(const MemberContext* ctx, WatchHub* hub, WatchSink sink);
  ~WatchStream();
  WatchStream(const WatchStream&) = delete;
  WatchStream& operator=(const WatchStream&) = delete;

  // One request from the client.
  void OnRequest(const etcdserverpb::WatchRequest& request);
  // The transport's buffer drained: catch up watchers that fell behind.
  void OnWriteReady();
  // The stream ended: drop every watcher. Idempotent.
  void Close();

  bool congested() const;
  size_t watcher_count() const { return watchers_.size(); }

  // The client asked for a leader (etcd's "hasleader" metadata): the hub
  // ends the stream when the member has had none for a while.
  void RequireLeader() { requires_leader_ = true; }
  bool requires_leader() const { return requires_leader_; }

  // ---- Called by the hub.
  // Live events of revision `rev` for a synced watcher; `encoded` holds
  // the revision's batch, which `events` point into.
  void DeliverLive(Watcher* w, int64_t rev,
                   const std::vector<const mvccpb::Event*>& events,
                   EncodedEvents* encoded);
  // A page of history for an unsynced watcher: the events in `page` at or
  // past its next revision and in its range. `header_rev` is the store
  // revision when the page was read; `encoded` holds page.events.
  void DeliverHistory(Watcher* w, const kvstore::EventPage& page,
                      int64_t header_rev, EncodedEvents* encoded);
  // The watcher's next revision was compacted: tell the client and drop it.
  void Compacted(Watcher* w, int64_t compact_rev);
  // Periodic progress tick.
  void ProgressTick(int64_t hub_rev);
  // The hub finished a catch-up round: answer a deferred progress request.
  void AfterSync(int64_t hub_rev);
  // The hub closed.
  void DetachHub() { hub_ = nullptr; }
  // The member has had no leader for kNoLeaderChecks checks: closes the
  // stream and ends it with "etcdserver: no leader".
  void EndNoLeader();

 private:
  void Create(const etcdserverpb::WatchCreateRequest& r);
  void Cancel(int64_t id);
  void Progress();
  bool AllSynced() const;
  etcdserverpb::WatchResponse NewResponse(int64_t rev, int64_t watch_id) const;
  void Send(const etcdserverpb::WatchResponse& r) {
    sink_.send(r.SerializeAsString());
  }
  // Sends a watcher's events (with its filters and prev_kv choice applied,
  // in fragments when it asked and the response is too big).
  void SendEvents(Watcher* w, int64_t header_rev,
                  const std::vector<const mvccpb::Event*>& events,
                  EncodedEvents* encoded);
  // etcd's sendFragments: the events in pieces under the size limit.
  void SendFragments(Watcher* w, int64_t header_rev,
                     const std::vector<const mvccpb::Event*>& events);

  const MemberContext* const ctx_;
  WatchHub* hub_;
  WatchSink sink_;
  std::map<int64_t, std::unique_ptr<Watcher>> watchers_;
  int64_t next_id_ = 0;
  bool progress_pending_ = false;
  bool requires_leader_ = false;
  bool closed_ = false;
};

// Registers etcdserverpb.Watch/Watch on the gRPC registry.
void RegisterWatch(const MemberContext* ctx, WatchHub* hub,
                   grpc::MethodRegistry* registry);

// etcd's interceptors for clients that require a leader
// (clientv3.WithRequireLeader: the "hasleader" metadata, set by etcdctl
// watch and by every LeaseKeepAlive stream clientv3 opens): any call, unary
// or stream, is refused with UNAVAILABLE "etcdserver: no leader" while the
// member knows no leader. Calls without the metadata pass.
grpc::Precheck RequireLeaderPrecheck(const MemberContext* ctx);

}  // namespace server::api
