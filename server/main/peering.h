#pragma once

// Wiring between a member's raft node, its member registry and its peer
// transport: the transport listens on --listen-peer-urls, dials the
// registry's other members at their registered peer URLs (the stored
// registry after a restart, the --initial-cluster of a new cluster, the
// cluster's registry for a joining member), delivers their messages to
// Node::Step and reports unreachable peers and snapshot outcomes back to
// raft. Later changes reach the transport through membership::
// ApplyToTransport (Member wires it to the registry's on_change).
//
// Thread safety: loop thread only.

#include <uv.h>

#include <functional>
#include <memory>

#include "base/result.h"
#include "server/config/config.h"
#include "server/membership/manager.h"
#include "server/node/node.h"
#include "server/peer/transport.h"

namespace server {

// Starts the transport of member `node` (already open, not necessarily
// started). `node` and `membership` must outlive the transport. Connections
// from members the registry knows as removed are refused; `on_removed`
// runs when a peer refuses this member because the cluster removed it.
base::Result<std::unique_ptr<peer::Transport>> StartPeerTransport(
    uv_loop_t* loop, const ServerConfig& config,
    const membership::Manager* membership, Node* node,
    std::function<void()> on_removed);

}  // namespace server
