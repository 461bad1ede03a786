#pragma once

// What the member registry tells the peer transport (etcd's applyConfChange
// calling transport.AddPeer/RemovePeer/UpdatePeer): the peers are the
// registry's other members, at their registered peer URLs.
//
// Thread safety: loop thread only.

#include <cstdint>

#include "server/membership/registry.h"
#include "server/peer/transport.h"

namespace server::membership {

// Acts on one applied change to another member.
void ApplyToTransport(const Applied& change, peer::Transport* transport);

// Makes the transport's peers the registry's members other than `self`
// (after a start or a restore, when the registry may differ from the
// configuration the transport was started with). `known` are the IDs the
// transport may hold that are not in the registry (e.g. the initial
// cluster's members); those are removed.
void SyncPeers(const Registry& registry, uint64_t self,
               const std::vector<uint64_t>& known, peer::Transport* transport);

}  // namespace server::membership
