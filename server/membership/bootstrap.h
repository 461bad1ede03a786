#pragma once

// How a member started with a ServerConfig learns who it is and gets its
// membership::Manager, as etcd's bootstrap decides it:
//
//   data dir with a WAL     member and cluster IDs from the WAL (the node
//                           reads them; --initial-cluster* are ignored),
//                           the registry from the store
//   --initial-cluster-state new
//                           IDs from --initial-cluster and the token, the
//                           registry is --initial-cluster (all voters)
//   --initial-cluster-state existing, no WAL
//                           the cluster's member list, asked of the other
//                           members (join.h): the cluster ID, this member's
//                           ID (from `member add`) and the registry to start
//                           from; raft starts empty and waits for the
//                           leader's snapshot
//
// and what happens when the cluster removes this member (`on_removed` gets
// etcd's "the member has been permanently removed from the cluster"; the
// member must exit non-zero).
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

// Who this member is, before its node opens.
struct MemberIdentity {
  // 0 and 0: the data dir has them (NodeOptions: read from the WAL).
  uint64_t member_id = 0;
  uint64_t cluster_id = 0;
  // The voters of a new cluster (NodeOptions::initial_voters).
  std::vector<uint64_t> initial_voters;
  // The registry to start from when the store holds none.
  membership::Registry initial;
};

// `has_stored_registry`: the store holds a registry. May ask other members
// (blocking, see join.h) for a joining member.
base::Result<MemberIdentity> IdentifyMember(const ServerConfig& config,
                                            bool has_stored_registry);

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
    membership::Registry initial, kvstore::Store* store, MembershipHooks hooks);

}  // namespace server
