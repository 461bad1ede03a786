#pragma once

// The concurrency services etcd serves next to the KV API, built as etcd's
// are (server/etcdserver/api/v3lock and v3election run clientv3/concurrency's
// recipes against the server itself): here the recipes (recipes.h) run on
// the member's own proposals, reads and watch hub, with no client loopback.
//
//   v3lockpb.Lock          Lock, Unlock                  (lock_service.cc)
//   v3electionpb.Election  Campaign, Proclaim, Leader,   (election_service.cc)
//                          Observe (server streaming), Resign
//
// Errors are etcd's: KV errors as the KV service gives them; the recipes'
// own ("election: not leader", "election: no leader", "\"leader\" field
// must be provided") with code UNKNOWN, as grpc-go sends a plain Go error.
// A Lock or Campaign whose client goes away (cancel, deadline) stops
// waiting and deletes its key (Mutex.Unlock / Election.Resign).
//
// Thread safety: loop thread only.

#include "server/api/services.h"
#include "server/api/watch_hub.h"

namespace server::api {

// `hub` must outlive the calls (Member closes it after the client ports).
void RegisterLock(const MemberContext* ctx, WatchHub* hub,
                  grpc::MethodRegistry* registry);
void RegisterElection(const MemberContext* ctx, WatchHub* hub,
                      grpc::MethodRegistry* registry);

}  // namespace server::api
