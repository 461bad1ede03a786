#pragma once

// Changer: computes the configuration that a configuration change leads to,
// and refuses the changes that are not allowed (etcd's confchange package).
// It is a pure function of the current configuration and the change: raft
// runs it when a change is proposed (to refuse invalid proposals early) and
// when a committed change is applied (ApplyConfChange), and every member
// applying the same committed change to the same configuration reaches the
// same verdict.
//
// Membership moves in one of two ways (thesis 4.1 and 4.3):
//
//   Simple(changes)       at most one voter of the incoming config is added
//                         or removed, so any majority of the old config
//                         overlaps any majority of the new one; learners
//                         may change freely.
//   EnterJoint(auto_leave, changes)
//                         C_old becomes the outgoing config and the changes
//                         are applied to the incoming one: C_{old,new},
//                         where every decision needs a majority of both.
//   LeaveJoint()          drops the outgoing config: C_new. Learners staged
//                         in learners_next (voters demoted while joint)
//                         become learners.
//
//     (1 2 3)  --EnterJoint(v4 r1)-->  (2 3 4)&&(1 2 3)  --LeaveJoint-->
//     (2 3 4)
//
// Changes to voters always go to the incoming config; the outgoing config is
// either empty or the frozen C_old. Errors (all InvalidArgument, with etcd's
// messages):
//
//   "more than one voter changed without entering joint config"   Simple
//   "can't apply simple config change in joint config"            Simple
//   "config is already joint"                                     EnterJoint
//   "can't make a zero-voter config joint"                        EnterJoint
//   "can't leave a non-joint config"                              LeaveJoint
//   "removed all voters"               a change that leaves no voter
//   "unexpected conf type <n>"         an unknown ConfChangeType
//
// Node id 0 in a change is ignored (etcd uses it to neutralize a change).
// ConfChangeUpdateNode changes nothing here; it exists for the application.
// The empty configuration is accepted as a starting point (bootstrap, tests).

#include <cstdint>
#include <utility>
#include <vector>

#include "base/result.h"
#include "proto/raftpb/raftpb.h"
#include "raft/tracker/progress.h"
#include "raft/tracker/tracker.h"

namespace raft::confchange {

// A configuration and the progress of each of its members.
struct Changed {
  tracker::Config config;
  tracker::ProgressMap progress;
};

class Changer {
 public:
  // `tracker` holds the current configuration and progress (and sizes the
  // in-flight windows of new members); `last_index` is the log's last index,
  // from which new members are probed. `tracker` must outlive the Changer.
  Changer(const tracker::ProgressTracker& tracker, uint64_t last_index)
      : tracker_(tracker), last_index_(last_index) {}

  // C_old -> C_{old,new}: the outgoing config becomes a copy of the incoming
  // one, then `changes` apply to the incoming one. `auto_leave` is recorded
  // in the config (raft then proposes LeaveJoint itself once the change is
  // applied).
  base::Result<Changed> EnterJoint(
      bool auto_leave,
      const std::vector<raftpb::ConfChangeSingle>& changes) const;
  // C_{old,new} -> C_new.
  base::Result<Changed> LeaveJoint() const;
  // Applies changes that alter the incoming voters by at most one.
  base::Result<Changed> Simple(
      const std::vector<raftpb::ConfChangeSingle>& changes) const;

  // Dispatches a ConfChangeV2 the way raft applies it (etcd's
  // applyConfChange): LeaveJoint() for an empty auto change, EnterJoint()
  // when cc.EnterJoint() says so (a joint transition, or more than one
  // single change under the auto transition), else Simple().
  base::Result<Changed> Apply(const raftpb::ConfChangeV2& cc) const;

 private:
  const tracker::ProgressTracker& tracker_;
  uint64_t last_index_;
};

// Builds, from the empty configuration, the configuration a ConfState
// describes (for a node starting from storage or a snapshot), by running
// the Simple and EnterJoint steps that lead to it: the outgoing voters
// first, one at a time, then the incoming config entered jointly. Errors:
// the Changer's, for a ConfState no sequence of changes can produce.
base::Result<Changed> Restore(const tracker::ProgressTracker& tracker,
                              uint64_t last_index, const raftpb::ConfState& cs);

}  // namespace raft::confchange
