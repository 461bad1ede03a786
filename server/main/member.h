#pragma once

// Member: one cairn process's parts wired together on one libuv loop: the
// kvstore database, the raft node (WAL, snapshots), the peer transport
// (server/peer, wired in peering.h), the etcd services and the client port.
//
//   <data-dir>/cairn.lock      held (flock) while the member runs
//   <data-dir>/member/wal/     raft log (server/wal)
//   <data-dir>/member/snap/    snapshot files (server/snap)
//   <data-dir>/member/kv.db    the key-value state (kvstore, SQLite)
//
// Thread safety: loop thread only.

#include <uv.h>

#include <functional>
#include <memory>

#include "base/result.h"
#include "kvstore/store.h"
#include "server/api/leader_forwarder.h"
#include "server/api/lease_keeper.h"
#include "server/api/services.h"
#include "server/api/watch_hub.h"
#include "server/config/config.h"
#include "server/grpc/registry.h"
#include "server/http/client_port.h"
#include "server/http/connection.h"
#include "server/main/auto_compactor.h"
#include "server/membership/manager.h"
#include "server/metrics/registry.h"
#include "server/node/node.h"
#include "server/peer/transport.h"
#include "server/state_machine/kv_state_machine.h"

namespace server {

class Member {
 public:
  // Opens the data dir (refusing one that another process holds), recovers
  // the store and the node. `on_fatal` runs if the WAL or the store fails
  // while serving.
  static base::Result<std::unique_ptr<Member>> Open(
      uv_loop_t* loop, const ServerConfig& config,
      std::function<void(const base::Status&)> on_fatal);
  ~Member();
  Member(const Member&) = delete;
  Member& operator=(const Member&) = delete;

  // Listens on every --listen-peer-urls address (the peer transport), starts
  // the node and listens on every --listen-client-urls address.
  base::Status Start();

  // Graceful stop: stop accepting, let in-flight requests finish (up to a
  // grace period), flush the node, close every handle; then `done`.
  void Shutdown(std::function<void()> done);

  Node& node() { return *node_; }
  membership::Manager& membership() { return *membership_; }
  // Null before Start().
  peer::Transport* transport() { return transport_.get(); }

 private:
  Member(uv_loop_t* loop, ServerConfig config);

  uv_loop_t* const loop_;
  const ServerConfig config_;
  int lock_fd_ = -1;
  std::unique_ptr<kvstore::Store> store_;
  std::unique_ptr<KvStateMachine> state_machine_;
  std::unique_ptr<membership::Manager> membership_;
  std::unique_ptr<Node> node_;
  std::unique_ptr<peer::Transport> transport_;
  std::function<void(const base::Status&)> on_fatal_;
  std::unique_ptr<api::WatchHub> watch_hub_;
  std::unique_ptr<AutoCompactor> compactor_;  // null when disabled
  std::unique_ptr<api::LeaderForwarder> forwarder_;
  std::unique_ptr<api::LeaseKeeper> lease_keeper_;
  api::MemberContext context_;
  grpc::MethodRegistry methods_;
  http::HttpRouter routes_;
  metrics::Registry metrics_;  // The member's, read at scrape time.
  std::vector<std::unique_ptr<http::ClientPort>> ports_;
  size_t ports_open_ = 0;
};

}  // namespace server
