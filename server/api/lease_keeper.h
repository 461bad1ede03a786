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
// Keep-alives, time-to-live queries and lease lists are answered by the
// primary alone. A follower forwards them to the leader through the
// LeaderForwarder (a cairnpb.LeaderRequest on a peer request stream, as
// etcd forwards to its leader's /leases and /leases/internal) and relays
// the leader's answer; nothing goes through the log. Without a leader, or
// while the leader has not promoted yet (etcd's ErrNotPrimary), the request
// waits and is tried again until the request timeout: then ErrNoLeader()
// without a leader, else ErrTimeout().
//
// A keep-alive for a lease past its deadline but not revoked yet does not
// renew it (etcd 3.4's lessor.Renew): the primary revokes it through raft
// and answers ErrLeaseNotFound() once the revoke is applied.
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
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "cairnpb/internal.pb.h"
#include "etcdserverpb/rpc.pb.h"
#include "kvstore/store.h"
#include "server/api/leader_forwarder.h"
#include "server/api/services.h"
#include "server/net/handle.h"
#include "server/node/node.h"

namespace server::api {

class LeaseKeeper {
 public:
  static constexpr uint64_t kScanIntervalMs = 500;
  static constexpr size_t kRevokesPerScan = 500;
  template <typename T>
  using Done = std::function<void(base::Result<T>)>;

  // The clock of lease deadlines in milliseconds; the store must be opened
  // with it (kvstore::Options::clock).
  static int64_t NowMs();

  // `extend_ms` is what promotion adds to every TTL (etcd: one election
  // timeout). The keeper answers the lease kinds of `forwarder`'s requests
  // on this member and runs its own on the leader through it. `node`,
  // `store` and `forwarder` must outlive the keeper; the keeper outlives
  // the forwarder's calls. `clock` reads lease deadlines' clock: the
  // store's (tests pass a fake).
  LeaseKeeper(uv_loop_t* loop, Node* node, kvstore::Store* store,
              LeaderForwarder* forwarder, uint64_t extend_ms,
              std::function<int64_t()> clock = &LeaseKeeper::NowMs);
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  base::Status Start();
  // Closes the timer. Revokes in flight still finish (the node answers
  // them before it stops).
  void Stop();

  // A keep-alive received by this member: restarts the lease's countdown
  // on the leader; `done` gets the TTL the leader granted it. Errors:
  // ErrLeaseNotFound() (unknown, or expired and now revoked),
  // ErrNoLeader(), ErrTimeout().
  void Renew(int64_t id, Done<int64_t> done);
  // The leader's view of a lease (remaining TTL by its clock); TTL -1 for
  // an unknown lease. Errors: ErrNoLeader(), ErrTimeout().
  void TimeToLive(const etcdserverpb::LeaseTimeToLiveRequest& request,
                  Done<etcdserverpb::LeaseTimeToLiveResponse> done);
  // Every lease, soonest expiry first by the leader's clock. A member that
  // knows no leader answers from its own table (as etcd does).
  void Leases(Done<etcdserverpb::LeaseLeasesResponse> done);

  // Whether this member is the leader and has promoted its leases.
  bool primary() const;
  // Promotes now if this member leads and has applied its term's first
  // entry (otherwise the next scan does). The Lease service calls it before
  // proposing a grant, so that a lease granted in a new term is not
  // extended by a promotion that comes after it (etcd promotes as it
  // applies the term's first entry, before any grant of the term).
  void PromoteIfDue();

 private:
  using Answer = LeaderForwarder::Answer;

  static void OnTimer(uv_timer_t* t);
  void Scan();
  void MaybePromote();
  void RevokeExpired();
  void StartRevoke(int64_t id);
  // Answers on this member if it is the primary; else ErrNotPrimary().
  void ServeLocal(const cairnpb::LeaderRequest& request, Answer done);

  uv_loop_t* const loop_;
  Node* const node_;
  kvstore::Store* const store_;
  LeaderForwarder* const forwarder_;
  const uint64_t extend_ms_;
  const std::function<int64_t()> clock_;
  net::UvHandle<uv_timer_t> timer_;
  // The term whose leases were promoted (0 = none), and for a term in
  // which this member leads but has not promoted yet: that term and the
  // index its log must be applied to first.
  uint64_t promoted_term_ = 0;
  uint64_t pending_term_ = 0;
  uint64_t pending_index_ = 0;
  // Expired leases whose revoke is in flight, with the keep-alives that
  // wait for it.
  std::set<int64_t> revoking_;
  std::map<int64_t, std::vector<Answer>> revoke_waiters_;
};

// etcdserverpb.Lease on gRPC (lease_service.cc): LeaseGrant and LeaseRevoke
// through raft; LeaseKeepAlive (bidi), LeaseTimeToLive and LeaseLeases
// through `keeper` (the primary's clock). `keeper` must outlive the
// registry's calls.
void RegisterLease(const MemberContext* ctx, LeaseKeeper* keeper,
                   grpc::MethodRegistry* registry);

}  // namespace server::api
