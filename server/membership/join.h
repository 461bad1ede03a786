#pragma once

// Joining a running cluster (--initial-cluster-state existing), as etcd's
// GetClusterFromRemotePeers and ValidateClusterAndAssignIDs do it: the new
// member asks the other members named in --initial-cluster for their member
// list over the peer protocol (a kMembers stream, docs/peer-protocol.md),
// checks that --initial-cluster lists exactly the cluster's members (what
// `etcdctl member add` printed) and takes the cluster ID and its own member
// ID (assigned by MemberAdd) from the answer.
//
// Blocking (plain sockets with deadlines): runs once at start, before the
// loop does anything else.

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "cairnpb/internal.pb.h"
#include "server/config/config.h"

namespace server::membership {

struct RemoteCluster {
  uint64_t cluster_id = 0;
  uint64_t answered_by = 0;  // The member that answered.
  cairnpb::Membership membership;
};

// Asks the member at `url` for its member list; waits at most `timeout_ms`.
// Errors name the URL and what failed.
base::Result<RemoteCluster> FetchMembers(const Url& url,
                                         const std::string& name,
                                         uint64_t timeout_ms);

// The ID --initial-cluster's entry for this member (config.name) has in the
// cluster's registry. As etcd: "member count is unequal" when the numbers
// of members differ, "PeerURLs: no match found for existing member (...)"
// when a member of the cluster is not in --initial-cluster.
base::Result<uint64_t> AssignJoiningId(const ServerConfig& config,
                                       const cairnpb::Membership& remote);

// Asks the other members of --initial-cluster in turn, until `timeout_ms`
// passes, for a member list this member can join with (AssignJoiningId
// succeeds on it); *self gets the ID. With `self` null, any answer does (a
// member restarting before its first snapshot only needs the list).
// FAILED_PRECONDITION as etcd: "cannot fetch cluster info from peer urls:
// could not retrieve cluster information from the given URLs", or the
// validation error of the last answer.
base::Result<RemoteCluster> FetchCluster(const ServerConfig& config,
                                         uint64_t timeout_ms, uint64_t* self);

}  // namespace server::membership
