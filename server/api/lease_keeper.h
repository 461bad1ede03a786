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
// primary alone. A follower forwards them to the leader on a peer request
// stream (a LeaseForwardRequest, as etcd forwards to its leader's /leases
// and /leases/internal) and relays the leader's answer; nothing goes
// through the log. Without a leader, or while the leader has not promoted
// yet (etcd's ErrNotPrimary), the request waits and is tried again every
// kRetryMs until the request timeout: then ErrNoLeader() without a leader,
// else ErrTimeout().
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
#include "server/api/services.h"
#include "server/net/handle.h"
#include "server/node/node.h"

namespace server::api {

class LeaseKeeper {
 public:
  static constexpr uint64_t kScanIntervalMs = 500;
  static constexpr size_t kRevokesPerScan = 500;
  static constexpr uint64_t kRetryMs = 100;

  // Sends a serialized LeaseForwardRequest to member `to`; `done` gets the
  // serialized LeaseForwardResponse, or the transport's error.
  using ForwardFn =
      std::function<void(uint64_t to, std::string request,
                         std::function<void(base::Result<std::string>)> done)>;
  template <typename T>
  using Done = std::function<void(base::Result<T>)>;

  // The clock of lease deadlines in milliseconds; the store must be opened
  // with it (kvstore::Options::clock).
  static int64_t NowMs();

  // `extend_ms` is what promotion adds to every TTL (etcd: one election
  // timeout); `request_timeout_ms` bounds how long a request waits for a
  // leader (etcd's ReqTimeout). `node` and `store` must outlive the keeper.
  // `clock` reads lease deadlines' clock: the store's (tests pass a fake).
  LeaseKeeper(uv_loop_t* loop, Node* node, kvstore::Store* store,
              uint64_t extend_ms, uint64_t request_timeout_ms,
              std::function<int64_t()> clock = &LeaseKeeper::NowMs);
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  // How a follower reaches the leader. Until set, requests on a follower
  // wait for a leadership of this member and time out.
  void SetForward(ForwardFn forward) { forward_ = std::move(forward); }

  base::Status Start();
  // Closes the timers; requests waiting to be retried are dropped without
  // an answer. Revokes in flight still finish (the node answers them
  // before it stops).
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

  // The leader's side: a serialized LeaseForwardRequest from a peer;
  // `reply` gets the serialized LeaseForwardResponse.
  void Serve(const std::string& request,
             std::function<void(std::string)> reply);

  // Whether this member is the leader and has promoted its leases.
  bool primary() const;
  // Promotes now if this member leads and has applied its term's first
  // entry (otherwise the next scan does). The Lease service calls it before
  // proposing a grant, so that a lease granted in a new term is not
  // extended by a promotion that comes after it (etcd promotes as it
  // applies the term's first entry, before any grant of the term).
  void PromoteIfDue();

 private:
  using Answer =
      std::function<void(const base::Status&, cairnpb::LeaseForwardResponse)>;
  struct Op {
    cairnpb::LeaseForwardRequest request;
    Answer done;
    uint64_t deadline_ms = 0;
  };

  static void OnTimer(uv_timer_t* t);
  static void OnRetryTimer(uv_timer_t* t);
  void Scan();
  void MaybePromote();
  void RevokeExpired();
  void StartRevoke(int64_t id);
  // Runs `request` on the primary, wherever it is, retrying until the
  // request timeout.
  void Run(cairnpb::LeaseForwardRequest request, Answer done);
  void Attempt(std::shared_ptr<Op> op);
  void Retry(std::shared_ptr<Op> op);
  // Answers on this member if it is the primary; else ErrNotPrimary.
  void ServeLocal(const cairnpb::LeaseForwardRequest& request, Answer done);

  uv_loop_t* const loop_;
  Node* const node_;
  kvstore::Store* const store_;
  const uint64_t extend_ms_;
  const uint64_t request_timeout_ms_;
  const std::function<int64_t()> clock_;
  ForwardFn forward_;
  net::UvHandle<uv_timer_t> timer_;
  net::UvHandle<uv_timer_t> retry_timer_;
  std::vector<std::shared_ptr<Op>> retry_;
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
