#pragma once

// The etcd errors the store returns, with etcd's exact messages and gRPC
// codes (shared/etcd-v3-api.md 4.12): clients map them back by text, so
// compare Statuses with == against these.

#include "base/status.h"

namespace kvstore {

inline base::Status ErrEmptyKey() {
  return base::Status::InvalidArgument("etcdserver: key is not provided");
}
inline base::Status ErrKeyNotFound() {
  return base::Status::InvalidArgument("etcdserver: key not found");
}
inline base::Status ErrValueProvided() {
  return base::Status::InvalidArgument("etcdserver: value is provided");
}
inline base::Status ErrLeaseProvided() {
  return base::Status::InvalidArgument("etcdserver: lease is provided");
}
inline base::Status ErrTooManyOps() {
  return base::Status::InvalidArgument(
      "etcdserver: too many operations in txn request");
}
inline base::Status ErrDuplicateKey() {
  return base::Status::InvalidArgument(
      "etcdserver: duplicate key given in txn request");
}
inline base::Status ErrCompacted() {
  return base::Status::OutOfRange(
      "etcdserver: mvcc: required revision has been compacted");
}
inline base::Status ErrFutureRev() {
  return base::Status::OutOfRange(
      "etcdserver: mvcc: required revision is a future revision");
}
inline base::Status ErrLeaseNotFound() {
  return base::Status::NotFound("etcdserver: requested lease not found");
}
// Not an etcd error: LeaseRenew's answer for a lease past its deadline that
// is not revoked yet (the server revokes it, then answers not found).
inline base::Status ErrLeaseExpired() {
  return base::Status::FailedPrecondition("lease: expired, not yet revoked");
}
inline base::Status ErrLeaseExist() {
  return base::Status::FailedPrecondition("etcdserver: lease already exists");
}
inline base::Status ErrLeaseTTLTooLarge() {
  return base::Status::OutOfRange("etcdserver: too large lease TTL");
}
inline base::Status ErrNoSpace() {
  return base::Status::ResourceExhausted(
      "etcdserver: mvcc: database space exceeded");
}
inline base::Status ErrCorrupt() {
  return base::Status::DataLoss("etcdserver: corrupt cluster");
}

}  // namespace kvstore
