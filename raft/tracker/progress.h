#pragma once

// Progress: what a leader knows about one follower's log (thesis 3.5 and
// etcd's tracker/progress.go). A follower is in one of three states:
//
//   StateProbe     the leader does not know the follower's last index yet;
//                  it sends one MsgApp per heartbeat interval and waits for
//                  the answer (next moves back on each rejection).
//   StateReplicate the follower accepted an append; the leader streams
//                  MsgApps optimistically (next advances as it sends), at
//                  most an Inflights window ahead of acknowledgments.
//   StateSnapshot  the follower needs entries the leader has compacted; a
//                  snapshot is on its way and nothing else is sent until
//                  ReportSnapshot or an append response reconnects the log.
//
//     +--------+   append accepted   +-----------+
//     | Probe  | ------------------> | Replicate |
//     +--------+ <------------------ +-----------+
//       |   ^      rejected/unreachable    |
//  needs|   |snapshot done / caught up     |needs snapshot
//       v   |                              v
//     +----------+ <-----------------------+
//     | Snapshot |
//     +----------+

#include <cstdint>
#include <map>
#include <string>

#include "raft/tracker/inflights.h"

namespace raft::tracker {

enum class StateType {
  kStateProbe = 0,
  kStateReplicate = 1,
  kStateSnapshot = 2,
};
// "StateProbe", "StateReplicate", "StateSnapshot".
std::string StateTypeName(StateType s);

class Progress {
 public:
  Progress(uint64_t next, size_t max_inflight, uint64_t max_inflight_bytes,
           bool is_learner);

  // The highest index known to be replicated on the follower.
  // Invariant: match < next.
  uint64_t match = 0;
  // The index of the next entry to send.
  uint64_t next = 1;
  // The highest commit index sent to the follower (in a MsgApp or
  // heartbeat). Invariant: sent_commit <= the leader's commit.
  uint64_t sent_commit = 0;
  StateType state = StateType::kStateProbe;
  // In StateSnapshot: the index of the snapshot being sent.
  uint64_t pending_snapshot = 0;
  // True when the follower was heard from since the last CheckQuorum
  // round (or, on a new leader, initially). Reset by the quorum check.
  bool recent_active = false;
  // In StateProbe: a MsgApp was sent this heartbeat interval, so no more go
  // out until the next heartbeat or an answer.
  bool msg_app_flow_paused = false;
  // The window of unacknowledged MsgApps in StateReplicate.
  Inflights inflights;
  bool is_learner = false;

  // Moves to StateProbe. From StateSnapshot next becomes
  // max(match + 1, pending_snapshot + 1); otherwise match + 1.
  void BecomeProbe();
  // Moves to StateReplicate; next = match + 1.
  void BecomeReplicate();
  // Moves to StateSnapshot for a snapshot at snapshot_index.
  void BecomeSnapshot(uint64_t snapshot_index);

  // Records a MsgApp carrying `entries` entries and `bytes` bytes sent with
  // next index next; in StateReplicate the window and next advance, in
  // StateProbe flow pauses. commit is the commit index sent.
  void UpdateOnEntriesSend(size_t entries, uint64_t bytes, uint64_t commit);

  // Handles an acknowledgment of index n (a MsgAppResp not rejected).
  // Returns false when n is stale (not above match). Unpauses flow.
  bool MaybeUpdate(uint64_t n);

  // Handles a rejected MsgApp at index `rejected` with the follower's
  // `match_hint`. Returns false when the rejection is stale. In probe
  // state next becomes max(min(rejected, match_hint + 1), match + 1).
  bool MaybeDecrTo(uint64_t rejected, uint64_t match_hint);

  // True when the leader must not send MsgApps now.
  bool IsPaused() const;

  // True when a heartbeat or empty MsgApp should carry a newer commit.
  bool CanBumpCommit(uint64_t commit) const {
    return sent_commit < commit && next > sent_commit + 1;
  }
  // The commit index to put in a heartbeat: min(match, commit).
  uint64_t HeartbeatCommit(uint64_t commit) const {
    return match < commit ? match : commit;
  }

  // True when the follower has caught up with a leader whose last index is
  // last_index: it accepts appends (StateReplicate) and its match is at
  // most max_lag entries behind. A learner that has caught up can be
  // promoted to voter without stalling commits while it fills its log
  // (thesis 4.2.1); see Status::CaughtUpLearners.
  bool IsCaughtUp(uint64_t last_index, uint64_t max_lag) const {
    return state == StateType::kStateReplicate && match + max_lag >= last_index;
  }

  // "StateReplicate match=5 next=6 ..." as etcd prints it.
  std::string String() const;

 private:
  void ResetState(StateType state);
};

// Progress of every node a leader tracks, ordered by id.
using ProgressMap = std::map<uint64_t, Progress>;

// One line per node "<id>: <Progress.String()>".
std::string DescribeProgressMap(const ProgressMap& m);

}  // namespace raft::tracker
