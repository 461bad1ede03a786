#include "raft/confchange/confchange.h"

#include <algorithm>
#include <string>

namespace raft::confchange {
namespace {

base::Status Err(std::string why) {
  return base::Status::InvalidArgument(std::move(why));
}

// What a change needs besides the configuration: the window sizes and the
// probe index of new members.
struct Env {
  size_t max_inflight;
  uint64_t max_inflight_bytes;
  uint64_t last_index;
};

// The invariants between a configuration and its progress map, checked on
// what the Changer is given and on what it returns (etcd's
// checkInvariants). The empty configuration is allowed.
base::Status CheckInvariants(const Changed& c) {
  const tracker::Config& cfg = c.config;
  auto tracked = [&c](uint64_t id) { return c.progress.count(id) != 0; };
  for (uint64_t id : cfg.voters.IDs()) {
    if (!tracked(id)) return Err("no progress for " + std::to_string(id));
  }
  for (const std::set<uint64_t>* ids : {&cfg.learners, &cfg.learners_next}) {
    for (uint64_t id : *ids) {
      if (!tracked(id)) return Err("no progress for " + std::to_string(id));
    }
  }
  // A staged learner is staged because it is still an outgoing voter.
  for (uint64_t id : cfg.learners_next) {
    if (!cfg.voters.outgoing.contains(id)) {
      return Err(std::to_string(id) + " is in LearnersNext, but not Voters[1]");
    }
    if (c.progress.at(id).is_learner) {
      return Err(std::to_string(id) +
                 " is in LearnersNext, but is already marked as learner");
    }
  }
  // Learners and voters do not intersect.
  for (uint64_t id : cfg.learners) {
    if (cfg.voters.outgoing.contains(id)) {
      return Err(std::to_string(id) + " is in Learners and Voters[1]");
    }
    if (cfg.voters.incoming.contains(id)) {
      return Err(std::to_string(id) + " is in Learners and Voters[0]");
    }
    if (!c.progress.at(id).is_learner) {
      return Err(std::to_string(id) +
                 " is in Learners, but is not marked as learner");
    }
  }
  if (!cfg.voters.joint()) {
    if (!cfg.learners_next.empty()) {
      return Err("LearnersNext must be empty when not joint");
    }
    if (cfg.auto_leave) return Err("AutoLeave must be false when not joint");
  }
  return base::Status();
}

// A new member is probed from the last index, and counts as recently
// active so that CheckQuorum does not count it as lost before it could
// answer.
void InitProgress(const Env& env, Changed& c, uint64_t id, bool learner) {
  if (learner) {
    c.config.learners.insert(id);
  } else {
    c.config.voters.incoming.ids().insert(id);
  }
  tracker::Progress pr(std::max<uint64_t>(env.last_index, 1), env.max_inflight,
                       env.max_inflight_bytes, learner);
  pr.recent_active = true;
  c.progress.insert_or_assign(id, std::move(pr));
}

// Removes id from the incoming config and the learners; its progress stays
// while it is an outgoing voter.
void Remove(Changed& c, uint64_t id) {
  if (c.progress.count(id) == 0) return;
  c.config.voters.incoming.ids().erase(id);
  c.config.learners.erase(id);
  c.config.learners_next.erase(id);
  if (!c.config.voters.outgoing.contains(id)) c.progress.erase(id);
}

// Adds id as an incoming voter, or promotes a learner.
void MakeVoter(const Env& env, Changed& c, uint64_t id) {
  auto it = c.progress.find(id);
  if (it == c.progress.end()) {
    InitProgress(env, c, id, /*learner=*/false);
    return;
  }
  it->second.is_learner = false;
  c.config.learners.erase(id);
  c.config.learners_next.erase(id);
  c.config.voters.incoming.ids().insert(id);
}

// Adds id as a learner, or demotes a voter. A voter of the outgoing config
// cannot be a learner at the same time: it is staged in learners_next and
// becomes a learner when the joint config is left.
void MakeLearner(const Env& env, Changed& c, uint64_t id) {
  auto it = c.progress.find(id);
  if (it == c.progress.end()) {
    InitProgress(env, c, id, /*learner=*/true);
    return;
  }
  if (it->second.is_learner) return;
  tracker::Progress saved = it->second;
  Remove(c, id);
  auto [pos, inserted] = c.progress.insert_or_assign(id, std::move(saved));
  (void)inserted;
  if (c.config.voters.outgoing.contains(id)) {
    c.config.learners_next.insert(id);
  } else {
    pos->second.is_learner = true;
    c.config.learners.insert(id);
  }
}

base::Status ApplyChanges(const Env& env, Changed& c,
                          const std::vector<raftpb::ConfChangeSingle>& ccs) {
  for (const raftpb::ConfChangeSingle& cc : ccs) {
    // Node id 0 marks a change the application neutralized.
    if (cc.node_id == 0) continue;
    switch (cc.type) {
      case raftpb::kConfChangeAddNode:
        MakeVoter(env, c, cc.node_id);
        break;
      case raftpb::kConfChangeAddLearnerNode:
        MakeLearner(env, c, cc.node_id);
        break;
      case raftpb::kConfChangeRemoveNode:
        Remove(c, cc.node_id);
        break;
      case raftpb::kConfChangeUpdateNode:
        break;
      default:
        return Err("unexpected conf type " +
                   std::to_string(static_cast<int>(cc.type)));
    }
  }
  if (c.config.voters.incoming.empty()) return Err("removed all voters");
  return base::Status();
}

// The number of ids in exactly one of a and b.
size_t SymDiff(const std::set<uint64_t>& a, const std::set<uint64_t>& b) {
  size_t n = 0;
  for (uint64_t id : a) n += b.count(id) == 0 ? 1 : 0;
  for (uint64_t id : b) n += a.count(id) == 0 ? 1 : 0;
  return n;
}

base::Result<Changed> DoEnterJoint(
    const Env& env, Changed c, bool auto_leave,
    const std::vector<raftpb::ConfChangeSingle>& ccs) {
  CAIRN_RETURN_IF_ERROR(CheckInvariants(c));
  if (c.config.voters.joint()) return Err("config is already joint");
  if (c.config.voters.incoming.empty()) {
    // Changes may build a config from nothing (bootstrap, tests), but an
    // empty config cannot become joint.
    return Err("can't make a zero-voter config joint");
  }
  c.config.voters.outgoing = c.config.voters.incoming;
  CAIRN_RETURN_IF_ERROR(ApplyChanges(env, c, ccs));
  c.config.auto_leave = auto_leave;
  CAIRN_RETURN_IF_ERROR(CheckInvariants(c));
  return c;
}

base::Result<Changed> DoLeaveJoint(Changed c) {
  CAIRN_RETURN_IF_ERROR(CheckInvariants(c));
  if (!c.config.voters.joint()) return Err("can't leave a non-joint config");
  for (uint64_t id : c.config.learners_next) {
    c.config.learners.insert(id);
    c.progress.at(id).is_learner = true;
  }
  c.config.learners_next.clear();
  for (uint64_t id : c.config.voters.outgoing.ids()) {
    if (!c.config.voters.incoming.contains(id) &&
        c.config.learners.count(id) == 0) {
      c.progress.erase(id);
    }
  }
  c.config.voters.outgoing = quorum::MajorityConfig();
  c.config.auto_leave = false;
  CAIRN_RETURN_IF_ERROR(CheckInvariants(c));
  return c;
}

base::Result<Changed> DoSimple(
    const Env& env, Changed c,
    const std::vector<raftpb::ConfChangeSingle>& ccs) {
  CAIRN_RETURN_IF_ERROR(CheckInvariants(c));
  if (c.config.voters.joint()) {
    return Err("can't apply simple config change in joint config");
  }
  std::set<uint64_t> before = c.config.voters.incoming.ids();
  CAIRN_RETURN_IF_ERROR(ApplyChanges(env, c, ccs));
  if (SymDiff(before, c.config.voters.incoming.ids()) > 1) {
    return Err("more than one voter changed without entering joint config");
  }
  CAIRN_RETURN_IF_ERROR(CheckInvariants(c));
  return c;
}

Env EnvOf(const tracker::ProgressTracker& t, uint64_t last_index) {
  return Env{t.max_inflight(), t.max_inflight_bytes(), last_index};
}

Changed Current(const tracker::ProgressTracker& t) {
  return Changed{t.config, t.progress};
}

}  // namespace

base::Result<Changed> Changer::EnterJoint(
    bool auto_leave,
    const std::vector<raftpb::ConfChangeSingle>& changes) const {
  return DoEnterJoint(EnvOf(tracker_, last_index_), Current(tracker_),
                      auto_leave, changes);
}

base::Result<Changed> Changer::LeaveJoint() const {
  return DoLeaveJoint(Current(tracker_));
}

base::Result<Changed> Changer::Simple(
    const std::vector<raftpb::ConfChangeSingle>& changes) const {
  return DoSimple(EnvOf(tracker_, last_index_), Current(tracker_), changes);
}

base::Result<Changed> Changer::Apply(const raftpb::ConfChangeV2& cc) const {
  if (cc.LeaveJoint()) return LeaveJoint();
  bool auto_leave = false;
  if (cc.EnterJoint(&auto_leave)) return EnterJoint(auto_leave, cc.changes);
  return Simple(cc.changes);
}

base::Result<Changed> Restore(const tracker::ProgressTracker& tracker,
                              uint64_t last_index,
                              const raftpb::ConfState& cs) {
  // Example: voters=(1 2 3) learners=(5) outgoing=(1 2 4 6)
  // learners_next=(4). Before the joint config was entered the voters were
  // (1 2 4 6): add them one at a time. Then enter the joint config with
  // "remove every outgoing voter, add 1 2 3 as voters, 5 and 4 as
  // learners", which gives (1 2 3)&&(1 2 4 6) learners=(5)
  // learners_next=(4). (Whether 5 was a learner before does not matter.)
  const Env env = EnvOf(tracker, last_index);
  std::vector<raftpb::ConfChangeSingle> incoming;
  for (uint64_t id : cs.voters_outgoing) {
    incoming.push_back({raftpb::kConfChangeRemoveNode, id});
  }
  for (uint64_t id : cs.voters) {
    incoming.push_back({raftpb::kConfChangeAddNode, id});
  }
  for (uint64_t id : cs.learners) {
    incoming.push_back({raftpb::kConfChangeAddLearnerNode, id});
  }
  for (uint64_t id : cs.learners_next) {
    incoming.push_back({raftpb::kConfChangeAddLearnerNode, id});
  }

  Changed c;
  if (cs.voters_outgoing.empty()) {
    // Not joint: one simple change at a time.
    for (const raftpb::ConfChangeSingle& cc : incoming) {
      CAIRN_ASSIGN_OR_RETURN(c, DoSimple(env, std::move(c), {cc}));
    }
    return c;
  }
  for (uint64_t id : cs.voters_outgoing) {
    CAIRN_ASSIGN_OR_RETURN(
        c, DoSimple(env, std::move(c), {{raftpb::kConfChangeAddNode, id}}));
  }
  return DoEnterJoint(env, std::move(c), cs.auto_leave, incoming);
}

}  // namespace raft::confchange
