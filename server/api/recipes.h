#pragma once

// Building blocks of etcd's concurrency recipes (clientv3/concurrency:
// key.go, mutex.go, election.go) on the member's own KV and watch calls
// (local_kv.h), for the v3lock and v3election services.
//
// A lock or an election is a key prefix P ("name/"). A contender holds a
// lease L and owns the key P + hex(L), created in one txn if absent; the
// contender whose key has the lowest create revision owns the lock (leads).
// The others wait, each for the deletion of every key of P created before
// its own (WaitDeletes), so they are served in the order they arrived.
// Keys go away with their lease, so a crashed holder's turn ends when its
// lease expires.
//
// Thread safety: loop thread only.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "etcdserverpb/rpc.pb.h"
#include "server/api/local_kv.h"

namespace server::api {

// An error of a recipe's KV call as etcd's services return it: the
// message with code UNKNOWN (etcd runs the recipes through an in-process
// client, which loses the gRPC code).
inline base::Status RecipeError(const base::Status& s) {
  return base::Status::Unknown(s.message());
}

// The contender's key P + hex(lease), as Go's fmt %x prints the lease.
std::string ContenderKey(const std::string& prefix, int64_t lease);

// concurrency.NewSession(WithLease(lease)) as the services use it (then
// Orphan()ed: never kept alive): `lease` itself, or for 0 a new lease of
// 60 s.
void SessionLease(const MemberContext* ctx, int64_t lease,
                  local::Done<int64_t> done);

// Compare create_revision(key) == rev.
etcdserverpb::Compare CreateRevisionIs(const std::string& key, int64_t rev);

// etcd's waitDeletes(prefix, max_create_rev): until no key of `prefix`
// with create revision <= max_create_rev is left, watch the newest such
// key for its deletion, then look again. `done` gets the header of the
// final (empty) range, or the error that ended the wait.
class WaitDeletes : public std::enable_shared_from_this<WaitDeletes> {
 public:
  using Done = std::function<void(base::Result<etcdserverpb::ResponseHeader>)>;

  static std::shared_ptr<WaitDeletes> Start(const MemberContext* ctx,
                                            WatchHub* hub, std::string prefix,
                                            int64_t max_create_rev, Done done);
  // Stops waiting; `done` never runs afterwards.
  void Cancel();

  WaitDeletes(const MemberContext* ctx, WatchHub* hub, std::string prefix,
              int64_t max_create_rev, Done done);

 private:
  void Look();
  void Finish(base::Result<etcdserverpb::ResponseHeader> r);

  const MemberContext* const ctx_;
  WatchHub* const hub_;
  const std::string prefix_;
  const int64_t max_create_rev_;
  Done done_;
  std::unique_ptr<local::Watch> watch_;
};

}  // namespace server::api
