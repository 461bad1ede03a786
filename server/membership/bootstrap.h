#pragma once

// How a member started with a ServerConfig gets its membership::Manager:
// the registry a new cluster starts with (--initial-cluster: names and peer
// URLs, all voters) or, with --initial-cluster-state existing, none until
// the leader's snapshot brings it; and what happens when the cluster
// removes this member (`on_removed` gets etcd's "the member has been
// permanently removed from the cluster"; the member must exit non-zero).
//
// Thread safety: loop thread only.

#include <uv.h>

#include <functional>
#include <memory>
#include <vector>

#include "base/result.h"
#include "kvstore/store.h"
#include "server/config/config.h"
#include "server/config/ids.h"
#include "server/membership/manager.h"

namespace server {

// etcd's message for a member that was removed from the cluster.
base::Status ErrMemberRemoved();

// What the member does about applied changes: `on_change` for a change to
// another member (the peer transport), `on_removed` once this member is
// removed.
struct MembershipHooks {
  std::function<void(const membership::Applied&)> on_change;
  std::function<void(const base::Status&)> on_removed;
};

// Refuses to open (ErrMemberRemoved) when the stored registry says this
// member was removed.
base::Result<std::unique_ptr<membership::Manager>> OpenMembership(
    uv_loop_t* loop, const ServerConfig& config, uint64_t self,
    const std::vector<InitialMemberId>& initial, kvstore::Store* store,
    MembershipHooks hooks);

}  // namespace server
