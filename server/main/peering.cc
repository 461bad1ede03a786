#include "server/main/peering.h"

#include <utility>

#include "base/log.h"

namespace server {

base::Result<std::unique_ptr<peer::Transport>> StartPeerTransport(
    uv_loop_t* loop, const ServerConfig& config,
    const std::vector<InitialMemberId>& members, Node* node) {
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
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<peer::Transport> t,
                         peer::Transport::Start(loop, std::move(o)));
  for (const InitialMemberId& m : members) {
    if (m.id == node->member_id()) continue;
    CAIRN_RETURN_IF_ERROR(t->AddPeer(m.id, m.peer_urls));
  }
  return t;
}

}  // namespace server
