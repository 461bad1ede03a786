#pragma once

// What the parts of the transport share (internal to server/peer): the
// loop, the options, the counters, the snapshot I/O thread, and deferred
// reports to the owner (callbacks never run inside a call into the
// Transport, so they are queued and run from a fresh loop callback).
//
// Thread safety: loop thread only.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/config/url.h"
#include "server/peer/frame.h"
#include "server/peer/transport.h"
#include "server/wal/storage_thread.h"

namespace server::peer::internal {

struct Context {
  uv_loop_t* loop = nullptr;
  const TransportOptions* options = nullptr;
  TransportStats* stats = nullptr;
  // Runs snapshot file reads and writes in order, off the loop.
  wal::StorageThread* io = nullptr;
  // Runs `fn` from a fresh loop callback, soon.
  std::function<void(std::function<void()> fn)> defer;

  // This member's handshake for a stream of `kind` to member `to`.
  Handshake MakeHandshake(StreamKind kind, uint64_t to) const {
    Handshake h;
    h.kind = kind;
    h.cluster_id = options->cluster_id;
    h.from = options->member_id;
    h.to = to;
    h.name = options->name;
    h.client_urls = options->client_urls;
    return h;
  }
};

// A token objects hand to their off-loop completions: the completion runs
// only while the weak pointer still locks (the object is alive).
using AliveToken = std::shared_ptr<int>;

// The host to dial for a URL: "localhost" means 127.0.0.1; other names are
// not resolved (empty result).
std::string DialHost(const Url& url);

}  // namespace server::peer::internal
