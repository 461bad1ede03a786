#pragma once

// Wiring between a member's raft node and its peer transport: the transport
// listens on --listen-peer-urls, knows the initial cluster's other members
// as peers, delivers their messages to Node::Step and reports unreachable
// peers and snapshot outcomes back to raft.
//
// Thread safety: loop thread only.

#include <uv.h>

#include <memory>
#include <vector>

#include "base/result.h"
#include "server/config/config.h"
#include "server/config/ids.h"
#include "server/node/node.h"
#include "server/peer/transport.h"

namespace server {

// Starts the transport of member `node` (already open, not necessarily
// started). `node` must outlive the transport. The initial members other
// than this one become peers (a member whose data dir holds a later
// configuration still starts from them; runtime membership adds and removes
// peers through the Transport API).
base::Result<std::unique_ptr<peer::Transport>> StartPeerTransport(
    uv_loop_t* loop, const ServerConfig& config,
    const std::vector<InitialMemberId>& members, Node* node);

}  // namespace server
