#pragma once

// Manager: runtime membership of one member (etcd's RaftCluster together
// with EtcdServer's AddMember/RemoveMember/UpdateMember/PromoteMember and
// publish).
//
//   Cluster service ── Add/Remove/Update/Promote ── Check* on the registry
//        │                                            │ (etcd's rules)
//        │                                   Node::ProposeConfChange
//        │                                            │ raft log
//   answer ◄── Node: entry committed ── ApplyConfChange(index, cs, cc)
//                                        ├─ Registry::Apply (all members)
//                                        ├─ raft applies cc (or a no-op)
//                                        ├─ state machine stores the
//                                        │  registry with the entry
//                                        └─ on_change: the peer transport
//                                           (AddPeer/RemovePeer/UpdatePeer)
//
// The registry is loaded from the store on open (what the last applied
// configuration change left there), or is the new cluster's
// --initial-cluster. After a snapshot from the leader it is reloaded from
// the restored store (OnRestored).
//
// Publishing: once it runs, a member proposes its --name and advertised
// client URLs (an UpdateNode entry with a PUBLISH context) until the
// registry holds them; until then other members list it as unstarted.
//
// Removal: when an applied entry removes this member, on_removed_self runs
// (the member logs etcd's "the member has been permanently removed from the
// cluster" and exits).
//
// Thread safety: loop thread only.

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "kvstore/store.h"
#include "server/membership/registry.h"
#include "server/net/handle.h"
#include "server/node/node.h"

namespace server::membership {

struct ManagerOptions {
  uint64_t self_id = 0;
  // Published by this member once it runs.
  std::string name;
  std::vector<std::string> client_urls;
  // etcd's --strict-reconfig-check (on by default).
  bool strict_reconfig_check = true;
  // The registry of a new cluster, used when the store holds none.
  Registry initial;
  // An applied change to another member: the transport adds, removes or
  // re-addresses that peer.
  std::function<void(const Applied&)> on_change;
  // This member was removed from the cluster.
  std::function<void()> on_removed_self;
  // Retry interval of the publish proposal.
  uint64_t publish_retry_ms = 1000;
};

class Manager {
 public:
  using MembersCallback =
      std::function<void(const base::Status&, const cairnpb::Member& member)>;

  // Loads the registry from `store` (or options.initial). `store` must
  // outlive the Manager.
  static base::Result<std::unique_ptr<Manager>> Open(uv_loop_t* loop,
                                                     ManagerOptions options,
                                                     kvstore::Store* store);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // The hooks the node needs (NodeOptions::apply_conf_change, on_restored).
  NodeOptions::ConfChangeResult ApplyConfChange(uint64_t index,
                                                const raftpb::ConfState& cs,
                                                raftpb::ConfChange* cc);
  void OnRestored(uint64_t index);

  // Starts publishing this member's attributes through `node`.
  base::Status Start(Node* node);
  // Stops the timers; changes waiting to be proposed again fail with
  // etcd's "server stopped".
  void Stop();

  const Registry& registry() const { return registry_; }
  bool removed_self() const { return removed_self_; }

  // The Cluster service's requests: checks, proposal, answer once applied
  // here. `member` is the member concerned (the new one for Add). Peer URLs
  // are checked and normalized here (ErrBadUrls).
  void Add(const std::vector<std::string>& peer_urls, bool is_learner,
           uint64_t timeout_ms, MembersCallback done);
  void Remove(uint64_t id, uint64_t timeout_ms, MembersCallback done);
  void Update(uint64_t id, const std::vector<std::string>& peer_urls,
              uint64_t timeout_ms, MembersCallback done);
  void Promote(uint64_t id, uint64_t timeout_ms, MembersCallback done);

 private:
  Manager(uv_loop_t* loop, ManagerOptions options);
  void Propose(raftpb::ConfChangeType type,
               cairnpb::ConfChangeContext::Kind kind,
               const cairnpb::Member& member, uint64_t timeout_ms,
               MembersCallback done);
  void MaybePublish();
  static void OnPublishTimer(uv_timer_t* h);
  static void OnRetryTimer(uv_timer_t* h);

  // A change raft refused because another one (e.g. a member's publish) is
  // not applied yet: proposed again shortly, until its deadline.
  struct Retry {
    raftpb::ConfChangeType type;
    cairnpb::ConfChangeContext::Kind kind;
    cairnpb::Member member;
    uint64_t deadline_ms = 0;
    MembersCallback done;
  };

  uv_loop_t* const loop_;
  const ManagerOptions options_;
  kvstore::Store* store_ = nullptr;
  Node* node_ = nullptr;
  Registry registry_;
  net::UvHandle<uv_timer_t> publish_timer_;
  net::UvHandle<uv_timer_t> retry_timer_;
  std::vector<Retry> retries_;
  bool publishing_ = false;
  bool removed_self_ = false;
};

}  // namespace server::membership
