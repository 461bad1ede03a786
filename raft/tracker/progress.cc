#include "raft/tracker/progress.h"

#include <algorithm>

namespace raft::tracker {

std::string StateTypeName(StateType s) {
  switch (s) {
    case StateType::kStateProbe:
      return "StateProbe";
    case StateType::kStateReplicate:
      return "StateReplicate";
    case StateType::kStateSnapshot:
      return "StateSnapshot";
  }
  return "StateType(" + std::to_string(static_cast<int>(s)) + ")";
}

Progress::Progress(uint64_t next_index, size_t max_inflight,
                   uint64_t max_inflight_bytes, bool learner)
    : next(next_index),
      inflights(max_inflight, max_inflight_bytes),
      is_learner(learner) {}

void Progress::ResetState(StateType s) {
  msg_app_flow_paused = false;
  pending_snapshot = 0;
  state = s;
  inflights.Reset();
}

void Progress::BecomeProbe() {
  // From StateSnapshot, the follower will have the snapshot once it is
  // delivered: probe from after it.
  if (state == StateType::kStateSnapshot) {
    uint64_t pending = pending_snapshot;
    ResetState(StateType::kStateProbe);
    next = std::max(match + 1, pending + 1);
  } else {
    ResetState(StateType::kStateProbe);
    next = match + 1;
  }
  sent_commit = std::min(sent_commit, next - 1);
}

void Progress::BecomeReplicate() {
  ResetState(StateType::kStateReplicate);
  next = match + 1;
}

void Progress::BecomeSnapshot(uint64_t snapshot_index) {
  ResetState(StateType::kStateSnapshot);
  pending_snapshot = snapshot_index;
  next = snapshot_index + 1;
  sent_commit = snapshot_index;
}

void Progress::UpdateOnEntriesSend(size_t entries, uint64_t bytes,
                                   uint64_t commit) {
  switch (state) {
    case StateType::kStateReplicate:
      if (entries > 0) {
        uint64_t last = next + entries - 1;
        next = last + 1;
        inflights.Add(last, bytes);
      }
      // A message that fills the window (or is sent while it is full)
      // pauses the flow until an acknowledgment frees it.
      msg_app_flow_paused = inflights.Full();
      break;
    case StateType::kStateProbe:
      // One probe per heartbeat interval until the follower answers.
      if (entries > 0) msg_app_flow_paused = true;
      break;
    case StateType::kStateSnapshot:
      break;
  }
  sent_commit = std::max(sent_commit, commit);
}

bool Progress::MaybeUpdate(uint64_t n) {
  if (n <= match) return false;
  match = n;
  next = std::max(next, n + 1);  // Invariant: match < next.
  msg_app_flow_paused = false;
  return true;
}

bool Progress::MaybeDecrTo(uint64_t rejected, uint64_t match_hint) {
  if (state == StateType::kStateReplicate) {
    // Stale: the follower already matched past the rejected index.
    if (rejected <= match) return false;
    next = match + 1;
    sent_commit = std::min(sent_commit, next - 1);
    return true;
  }
  // Probes go one at a time, so a rejection not of next - 1 is stale.
  if (next - 1 != rejected) return false;
  next = std::max(std::min(rejected, match_hint + 1), match + 1);
  sent_commit = std::min(sent_commit, next - 1);
  msg_app_flow_paused = false;
  return true;
}

bool Progress::IsPaused() const {
  switch (state) {
    case StateType::kStateProbe:
    case StateType::kStateReplicate:
      return msg_app_flow_paused;
    case StateType::kStateSnapshot:
      return true;
  }
  return true;
}

std::string Progress::String() const {
  std::string s = StateTypeName(state);
  s += " match=" + std::to_string(match);
  s += " next=" + std::to_string(next);
  if (is_learner) s += " learner";
  if (IsPaused()) s += " paused";
  if (pending_snapshot > 0) {
    s += " pendingSnap=" + std::to_string(pending_snapshot);
  }
  if (!recent_active) s += " inactive";
  if (size_t n = inflights.Count(); n > 0) {
    s += " inflight=" + std::to_string(n);
    if (inflights.Full()) s += "[full]";
  }
  return s;
}

std::string DescribeProgressMap(const ProgressMap& m) {
  std::string s;
  for (const auto& [id, pr] : m) {
    s += std::to_string(id) + ": " + pr.String() + "\n";
  }
  return s;
}

}  // namespace raft::tracker
