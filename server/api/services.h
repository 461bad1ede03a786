#pragma once

// The etcd v3 services a single member answers, registered on the gRPC
// method registry and the HTTP/1.1 router of the client port:
//
//   etcdserverpb.KV           Range, Put, DeleteRange, Txn, Compact
//   etcdserverpb.Maintenance  Status, Alarm, Defragment, Hash, HashKV,
//                             Snapshot, MoveLeader (maintenance_service.cc)
//   etcdserverpb.Cluster      MemberAdd, MemberRemove, MemberUpdate,
//                             MemberList, MemberPromote (cluster_service.cc)
//   etcdserverpb.Lease        LeaseGrant, LeaseRevoke, LeaseKeepAlive,
//                             LeaseTimeToLive, LeaseLeases (lease_keeper.h)
//   v3lockpb.Lock, v3electionpb.Election   (concurrency_services.h)
//   HTTP                      GET /health, GET /version
//
// Writes are proposed through the node and answered once applied; Range is
// linearizable through ReadIndex unless `serializable` is set. Every
// response carries the header {cluster_id, member_id, revision, raft_term}.
// Errors are etcd's status codes and messages.
//
// Thread safety: loop thread only.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cairnpb/internal.pb.h"
#include "etcdserverpb/rpc.pb.h"
#include "kvstore/store.h"
#include "server/config/ids.h"
#include "server/grpc/registry.h"
#include "server/http/connection.h"
#include "server/membership/manager.h"
#include "server/node/node.h"

namespace server::api {

class LeaderForwarder;

// What the services need to know about the member.
struct MemberContext {
  Node* node = nullptr;
  kvstore::Store* store = nullptr;
  std::string name;
  std::vector<InitialMemberId> members;  // The --initial-cluster members.
  // The member registry and its changes (the Cluster service).
  membership::Manager* membership = nullptr;
  // Runs requests only the leader answers there (MemberPromote); null in
  // tests that use no peers: those run here.
  LeaderForwarder* forwarder = nullptr;
  std::vector<std::string> client_urls;  // This member's advertised.
  uint64_t max_request_bytes = 1572864;
  // <data-dir>: Snapshot writes its temporary copy under <data-dir>/member.
  std::string data_dir;
  // --quota-backend-bytes with etcd's default applied; 0 = no quota.
  int64_t quota_backend_bytes = 0;
};

// The server version reported by Status and /version: the etcd API version
// Cairn implements, so that clients gating features on it behave as with
// etcd 3.4.
inline constexpr const char* kServerVersion = "3.4.23";
inline constexpr const char* kClusterVersion = "3.4.0";

// Fills a response header's cluster_id, member_id and raft_term (the
// revision is the response's own).
void FillHeader(const MemberContext* ctx, etcdserverpb::ResponseHeader* h);

// etcd's backend quota (etcdserver/quota.go, v3rpc/quota.go): a Put, a Txn
// with puts or a LeaseGrant that would take the database past the quota is
// refused. Returns true when `request` may go on. Otherwise proposes the
// NOSPACE alarm for this member and calls `refuse` with
// "etcdserver: mvcc: database space exceeded" once that proposal is done,
// as etcd answers only after raising the alarm.
bool CheckQuota(const MemberContext* ctx,
                const cairnpb::InternalRequest& request,
                std::function<void(const base::Status&)> refuse);

void RegisterKv(const MemberContext* ctx, grpc::MethodRegistry* registry);
void RegisterMaintenance(const MemberContext* ctx,
                         grpc::MethodRegistry* registry);
// Maintenance.Snapshot (snapshot_service.cc); part of RegisterMaintenance.
void RegisterSnapshot(const MemberContext* ctx, grpc::MethodRegistry* registry);
void RegisterCluster(const MemberContext* ctx, grpc::MethodRegistry* registry);
void RegisterHttp(const MemberContext* ctx, http::HttpRouter* router);

}  // namespace server::api
