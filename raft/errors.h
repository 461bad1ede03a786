#pragma once

// The errors raft returns, as functions returning base::Status with etcd's
// messages. A caller recognizes an error by comparing Statuses (code and
// message), the way Go code compares etcd's sentinel errors:
//
//   if (s == raft::ErrCompacted()) { ... }
//
// Proposals are dropped for several reasons; each has its own message, all
// starting with "raft proposal dropped" and all with code kUnavailable, so
// IsProposalDropped() recognizes any of them and a client may retry.

#include <string>
#include <string_view>
#include <utility>

#include "base/status.h"

namespace raft {

// Storage: the requested index is below the first available index because
// the log was compacted.
inline base::Status ErrCompacted() {
  return base::Status::OutOfRange(
      "requested index is unavailable due to compaction");
}
// Storage: the requested snapshot index is older than the existing snapshot.
inline base::Status ErrSnapOutOfDate() {
  return base::Status::OutOfRange(
      "requested index is older than the existing snapshot");
}
// Storage: the requested log entries are unavailable (past the last index).
inline base::Status ErrUnavailable() {
  return base::Status::OutOfRange("requested entry at index is unavailable");
}
// Storage: the snapshot is being produced; raft retries later.
inline base::Status ErrSnapshotTemporarilyUnavailable() {
  return base::Status::Unavailable("snapshot is temporarily unavailable");
}

// The generic proposal-dropped error (etcd's ErrProposalDropped).
inline base::Status ErrProposalDropped() {
  return base::Status::Unavailable("raft proposal dropped");
}
// Dropped: this node knows no leader to forward the proposal to.
inline base::Status ErrProposalDroppedNoLeader() {
  return base::Status::Unavailable("raft proposal dropped: no leader");
}
// Dropped: this node is not the leader and forwarding is disabled.
inline base::Status ErrProposalDroppedForwardingDisabled() {
  return base::Status::Unavailable(
      "raft proposal dropped: proposal forwarding disabled");
}
// Dropped: max_uncommitted_entries_size would be exceeded.
inline base::Status ErrProposalDroppedUncommittedSizeExceeded() {
  return base::Status::Unavailable(
      "raft proposal dropped: uncommitted entries size limit exceeded");
}
// Dropped: a leadership transfer is in progress.
inline base::Status ErrProposalDroppedLeaderTransferring() {
  return base::Status::Unavailable(
      "raft proposal dropped: leadership transfer in progress");
}
// Dropped: the leader is no longer in the configuration.
inline base::Status ErrProposalDroppedRemoved() {
  return base::Status::Unavailable(
      "raft proposal dropped: leader removed from the configuration");
}
// Dropped: a proposed configuration change is refused. `why` is one of
// "possible unapplied conf change at index <i> (applied to <j>)" (another
// change is pending: retry once it is applied), a raft/confchange error
// (the change does not fit the latest configuration, e.g. "config is
// already joint"), or "undecodable ConfChange[V2]". The whole proposal is
// dropped; nothing is appended. IsProposalDroppedConfChange recognizes it.
inline constexpr std::string_view kProposalDroppedConfChangePrefix =
    "raft proposal dropped: invalid configuration change: ";
inline base::Status ErrProposalDroppedConfChange(std::string_view why) {
  std::string m(kProposalDroppedConfChangePrefix);
  m += why;
  return base::Status::Unavailable(std::move(m));
}
inline bool IsProposalDroppedConfChange(const base::Status& s) {
  return s.code() == base::StatusCode::kUnavailable &&
         std::string_view(s.message())
             .starts_with(kProposalDroppedConfChangePrefix);
}

// True for every proposal-dropped error above.
inline bool IsProposalDropped(const base::Status& s) {
  return s.code() == base::StatusCode::kUnavailable &&
         std::string_view(s.message()).starts_with("raft proposal dropped");
}

// Step was given a local message (MsgHup, MsgBeat...) that must not come
// from the network.
inline base::Status ErrStepLocalMsg() {
  return base::Status::InvalidArgument("raft: cannot step raft local message");
}
// Step was given a response from a peer raft does not track.
inline base::Status ErrStepPeerNotFound() {
  return base::Status::NotFound("raft: cannot step as peer not found");
}
// Step was given a MsgStorage*Resp outside async-storage-writes mode.
inline base::Status ErrStepLocalResponseMsg() {
  return base::Status::InvalidArgument(
      "raft: cannot step raft local response message");
}

}  // namespace raft
