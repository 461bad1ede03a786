#include "server/main/peering.h"

#include <utility>

#include "base/log.h"
#include "server/config/ids.h"
#include "server/membership/peers.h"

namespace server {

base::Result<std::unique_ptr<peer::Transport>> StartPeerTransport(
    uv_loop_t* loop, const ServerConfig& config,
    const membership::Manager* membership, Node* node,
    std::function<void()> on_removed) {
  peer::TransportOptions o;
  o.cluster_id = node->cluster_id();
  o.member_id = node->member_id();
  o.name = config.name;
  for (const Url& u : config.advertise_client_urls) {
    o.client_urls.push_back(u.ToString());
  }
  o.listen_urls = config.listen_peer_urls;
  o.snap_dir = config.DataDir() + "/member/snap";
  // Dial attempts time out well within an election timeout.
  o.dial_timeout_ms = std::max<uint64_t>(config.election_timeout_ms / 2, 100);
  o.on_message = [node](raftpb::Message m) {
    base::Status s = node->Step(std::move(m));
    if (!s.ok() && s != ErrStopped()) {
      CAIRN_LOG(kDebug, "peer", "step: %s", s.ToString().c_str());
    }
  };
  o.on_unreachable = [node](uint64_t id) { node->ReportUnreachable(id); };
  o.on_snapshot_status = [node](uint64_t id, bool ok) {
    node->ReportSnapshot(id, ok);
  };
  o.is_removed = [membership](uint64_t id) {
    return membership->registry().IsRemoved(id);
  };
  o.on_removed = [on_removed = std::move(on_removed)](uint64_t by_peer) {
    CAIRN_LOG(kError, "membership",
              "member %s refused this member: the member has been "
              "permanently removed from the cluster",
              FormatId(by_peer).c_str());
    if (on_removed) on_removed();
  };
  o.members = [membership] {
    return membership->registry().ToProto().SerializeAsString();
  };
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<peer::Transport> t,
                         peer::Transport::Start(loop, std::move(o)));
  membership::SyncPeers(membership->registry(), node->member_id(), {}, t.get());
  return t;
}

}  // namespace server
