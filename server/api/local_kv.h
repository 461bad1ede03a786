#pragma once

// In-process KV and watch calls for the services that build on them (the
// v3lock and v3election recipes), doing what a client's call to this
// member would do, without a connection: writes proposed through the node,
// linearizable reads through ReadIndex, watches on the member's WatchHub.
// Responses carry complete headers, as the KV service would send them.
//
// Thread safety: loop thread only; callbacks run on the loop.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "etcdserverpb/rpc.pb.h"
#include "server/api/services.h"
#include "server/api/watch_hub.h"

namespace server::api {

class WatchStream;

namespace local {

template <typename T>
using Done = std::function<void(base::Result<T>)>;

void Txn(const MemberContext* ctx, const etcdserverpb::TxnRequest& request,
         Done<etcdserverpb::TxnResponse> done);
void Range(const MemberContext* ctx, const etcdserverpb::RangeRequest& request,
           Done<etcdserverpb::RangeResponse> done);
void DeleteKey(const MemberContext* ctx, const std::string& key,
               Done<etcdserverpb::DeleteRangeResponse> done);
void LeaseGrant(const MemberContext* ctx, int64_t ttl,
                Done<etcdserverpb::LeaseGrantResponse> done);

// The range [prefix, end of prefix) (clientv3.WithPrefix's range_end).
std::string PrefixEnd(const std::string& prefix);
// A range of `prefix` sorted by create revision, limit 1: the oldest key
// (clientv3.WithFirstCreate) or, with `last`, the newest (WithLastCreate).
etcdserverpb::RangeRequest FirstCreate(const std::string& prefix,
                                       bool last = false);

// One watcher (a WatchStream of its own) on [key, range_end) from
// `start_revision`; every WatchResponse it produces (created, events,
// canceled) goes to `on_response`. Closing (or destroying) it stops the
// callbacks.
class Watch {
 public:
  Watch(const MemberContext* ctx, WatchHub* hub,
        const etcdserverpb::WatchCreateRequest& create,
        std::function<void(const etcdserverpb::WatchResponse&)> on_response);
  ~Watch();
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;
  void Close();

 private:
  std::shared_ptr<bool> alive_;  // false once closed
  std::unique_ptr<WatchStream> stream_;
};

}  // namespace local
}  // namespace server::api
