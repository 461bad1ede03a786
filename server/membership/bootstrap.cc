#include "server/membership/bootstrap.h"

#include <algorithm>
#include <string>
#include <utility>

#include "base/log.h"
#include "server/membership/join.h"
#include "server/wal/file_util.h"

namespace server {

base::Status ErrMemberRemoved() {
  return base::Status::FailedPrecondition(
      "the member has been permanently removed from the cluster");
}

namespace {

// etcd waits for the peers' answer up to its request timeout.
constexpr uint64_t kJoinTimeoutMs = 10000;

bool HasWal(const ServerConfig& config) {
  auto files = wal::ListDir(config.DataDir() + "/member/wal");
  return files.ok() && !files->empty();
}

membership::Registry NewClusterRegistry(
    const std::vector<InitialMemberId>& initial) {
  std::vector<membership::Registry::Initial> members;
  for (const InitialMemberId& im : initial) {
    membership::Registry::Initial m{im.id, im.name, {}};
    for (const Url& u : im.peer_urls) m.peer_urls.push_back(u.ToString());
    std::sort(m.peer_urls.begin(), m.peer_urls.end());
    members.push_back(std::move(m));
  }
  return membership::Registry::FromInitial(members);
}

}  // namespace

base::Result<MemberIdentity> IdentifyMember(const ServerConfig& config,
                                            bool has_stored_registry) {
  MemberIdentity out;
  const bool has_wal = HasWal(config);
  if (config.initial_cluster_state == ClusterState::kNew) {
    std::vector<InitialMemberId> members = InitialMemberIds(config);
    if (!has_wal) {
      for (const InitialMemberId& im : members) {
        out.initial_voters.push_back(im.id);
        if (im.name == config.name) out.member_id = im.id;
      }
      out.cluster_id = ComputeClusterId(out.initial_voters);
    }
    out.initial = NewClusterRegistry(members);
    return out;
  }
  if (has_wal && has_stored_registry) return out;
  // Joining, or restarting before the leader's snapshot arrived: the
  // cluster's member list is the registry to start from.
  uint64_t self = 0;
  CAIRN_ASSIGN_OR_RETURN(membership::RemoteCluster remote,
                         membership::FetchCluster(config, kJoinTimeoutMs,
                                                  has_wal ? nullptr : &self));
  CAIRN_ASSIGN_OR_RETURN(out.initial,
                         membership::Registry::FromProto(remote.membership));
  if (!has_wal) {
    out.member_id = self;
    out.cluster_id = remote.cluster_id;
    CAIRN_LOG(kInfo, "membership",
              "joining cluster %s as member %s (member list from %s)",
              FormatId(remote.cluster_id).c_str(), FormatId(self).c_str(),
              FormatId(remote.answered_by).c_str());
  }
  return out;
}

base::Result<std::unique_ptr<membership::Manager>> OpenMembership(
    uv_loop_t* loop, const ServerConfig& config, uint64_t self,
    membership::Registry initial, kvstore::Store* store,
    MembershipHooks hooks) {
  membership::ManagerOptions mo;
  mo.self_id = self;
  mo.name = config.name;
  for (const Url& u : config.advertise_client_urls) {
    mo.client_urls.push_back(u.ToString());
  }
  mo.initial = std::move(initial);
  mo.on_change = std::move(hooks.on_change);
  mo.on_removed_self = [on_removed = std::move(hooks.on_removed)] {
    CAIRN_LOG(kError, "membership", "%s", ErrMemberRemoved().message().c_str());
    if (on_removed) on_removed(ErrMemberRemoved());
  };
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<membership::Manager> m,
                         membership::Manager::Open(loop, std::move(mo), store));
  if (m->removed_self()) return ErrMemberRemoved();
  return m;
}

}  // namespace server
