#pragma once

// LeaseKeeper: where a member's lease clock lives (etcd's primary lessor).
//
// What is replicated about a lease is its ID, its granted TTL and the keys
// attached to it (kvstore, applied LeaseGrant / LeaseRevoke / Put). When it
// expires is not: each member's kvstore::Lessor holds a local deadline per
// lease, read from LeaseKeeper::NowMs() (a monotonic clock), and only the
// leader's deadlines count, as in etcd:
//
//   follower ──(elected, applies every entry of the older terms)──> promote
//   promote:   every deadline := now + extend + TTL   (etcd's Promote; extend
//              is one election timeout, so a failover never expires a lease
//              early: the old leader's keep-alives are lost with it)
//   primary:   keep-alives restart a deadline (now + TTL), never replicated;
//              every 500 ms the expired leases (at most 500 a scan, etcd's
//              1,000/s) are revoked through raft, like a client's revoke
//   not leader any more: the keeper stops scanning; its deadlines are stale
//              until it is promoted again.
//
// Promotion waits until the new leader has applied its log up to the entry
// that opened its term, so that grants and revokes of older terms are in
// the table it restarts (etcd promotes when it applies the empty entry of
// its term).
//
// Clock assumption: only the rate of the leader's monotonic clock matters
// (no wall clock, no synchronisation between members); a lease lives at
// least its TTL after the last keep-alive the leader saw, plus up to one
// scan interval plus the time to commit the revoke.
//
// Thread safety: loop thread only.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <set>

#include "base/result.h"
#include "kvstore/store.h"
#include "server/api/services.h"
#include "server/net/handle.h"
#include "server/node/node.h"

namespace server::api {

class LeaseKeeper {
 public:
  static constexpr uint64_t kScanIntervalMs = 500;
  static constexpr size_t kRevokesPerScan = 500;

  // The clock of lease deadlines in milliseconds; the store must be opened
  // with it (kvstore::Options::clock).
  static int64_t NowMs();

  // `extend_ms` is what promotion adds to every TTL (etcd: one election
  // timeout). `node` and `store` must outlive the keeper.
  LeaseKeeper(uv_loop_t* loop, Node* node, kvstore::Store* store,
              uint64_t extend_ms);
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  base::Status Start();
  // Closes the timer. Revokes in flight still finish (the node answers
  // them before it stops).
  void Stop();

  // A keep-alive received by this member: restarts the lease's countdown
  // on the leader and returns its granted TTL; 0 for a lease that does not
  // exist or has expired and is being revoked (etcd answers TTL 0).
  // Errors: ErrNoLeader() when the member has no leader; Unavailable when
  // the leader is another member (see docs/architecture.md, "Leases").
  base::Result<int64_t> Renew(int64_t id);

  // Whether this member is the leader and has promoted its leases.
  bool primary() const;

 private:
  static void OnTimer(uv_timer_t* t);
  void Scan();
  void MaybePromote();
  void RevokeExpired();

  uv_loop_t* const loop_;
  Node* const node_;
  kvstore::Store* const store_;
  const uint64_t extend_ms_;
  net::UvHandle<uv_timer_t> timer_;
  // The term whose leases were promoted (0 = none), and for a term in
  // which this member leads but has not promoted yet: that term and the
  // index its log must be applied to first.
  uint64_t promoted_term_ = 0;
  uint64_t pending_term_ = 0;
  uint64_t pending_index_ = 0;
  // Expired leases whose revoke is in flight.
  std::set<int64_t> revoking_;
};

// etcdserverpb.Lease on gRPC (lease_service.cc): LeaseGrant and LeaseRevoke
// through raft, LeaseKeepAlive (bidi) through `keeper`, LeaseTimeToLive and
// LeaseLeases from the store. `keeper` must outlive the registry's calls.
void RegisterLease(const MemberContext* ctx, LeaseKeeper* keeper,
                   grpc::MethodRegistry* registry);

}  // namespace server::api
