#include "server/membership/bootstrap.h"

#include <algorithm>
#include <string>
#include <utility>

#include "base/log.h"

namespace server {

base::Status ErrMemberRemoved() {
  return base::Status::FailedPrecondition(
      "the member has been permanently removed from the cluster");
}

base::Result<std::unique_ptr<membership::Manager>> OpenMembership(
    uv_loop_t* loop, const ServerConfig& config, uint64_t self,
    const std::vector<InitialMemberId>& initial, kvstore::Store* store,
    MembershipHooks hooks) {
  membership::ManagerOptions mo;
  mo.self_id = self;
  mo.name = config.name;
  for (const Url& u : config.advertise_client_urls) {
    mo.client_urls.push_back(u.ToString());
  }
  if (config.initial_cluster_state == ClusterState::kNew) {
    std::vector<membership::Registry::Initial> members;
    for (const InitialMemberId& im : initial) {
      membership::Registry::Initial m{im.id, im.name, {}};
      for (const Url& u : im.peer_urls) m.peer_urls.push_back(u.ToString());
      std::sort(m.peer_urls.begin(), m.peer_urls.end());
      members.push_back(std::move(m));
    }
    mo.initial = membership::Registry::FromInitial(members);
  }
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
