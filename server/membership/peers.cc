#include "server/membership/peers.h"

#include <string>
#include <vector>

#include "base/log.h"
#include "server/config/ids.h"
#include "server/config/url.h"

namespace server::membership {
namespace {

std::vector<Url> PeerUrls(const cairnpb::Member& m) {
  std::vector<Url> out;
  for (const std::string& s : m.peer_urls()) {
    auto u = ParseUrl(s);
    if (u.ok()) out.push_back(*u);
  }
  return out;
}

void Report(const char* what, uint64_t id, const base::Status& s) {
  if (s.ok()) return;
  CAIRN_LOG(kWarn, "membership", "%s peer %s: %s", what, FormatId(id).c_str(),
            s.ToString().c_str());
}

}  // namespace

void ApplyToTransport(const Applied& change, peer::Transport* transport) {
  const uint64_t id = change.member.id();
  switch (change.effect) {
    case Applied::Effect::kAdded:
      if (!transport->HasPeer(id)) {
        Report("add", id, transport->AddPeer(id, PeerUrls(change.member)));
      }
      break;
    case Applied::Effect::kUpdated:
      if (transport->HasPeer(id)) {
        Report("update", id,
               transport->UpdatePeer(id, PeerUrls(change.member)));
      } else {
        Report("add", id, transport->AddPeer(id, PeerUrls(change.member)));
      }
      break;
    case Applied::Effect::kRemoved:
      if (transport->HasPeer(id))
        Report("remove", id, transport->RemovePeer(id));
      break;
    case Applied::Effect::kPromoted:
    case Applied::Effect::kPublished:
    case Applied::Effect::kNone:
      break;
  }
}

void SyncPeers(const Registry& registry, uint64_t self,
               const std::vector<uint64_t>& known, peer::Transport* transport) {
  for (uint64_t id : known) {
    if (id != self && registry.Find(id) == nullptr && transport->HasPeer(id)) {
      Report("remove", id, transport->RemovePeer(id));
    }
  }
  for (const cairnpb::Member& m : registry.Members()) {
    if (m.id() == self) continue;
    Applied a;
    a.effect = Applied::Effect::kUpdated;  // Add, or re-address if known.
    a.member = m;
    ApplyToTransport(a, transport);
  }
}

}  // namespace server::membership
