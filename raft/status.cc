#include "raft/status.h"

#include "raft/raft.h"

namespace raft {

BasicStatus GetBasicStatus(const Raft& r) {
  BasicStatus s;
  s.id = r.id();
  s.hard_state = r.GetHardState();
  s.soft_state = r.GetSoftState();
  s.applied = r.raft_log().applied();
  s.lead_transferee = r.lead_transferee();
  return s;
}

Status GetStatus(const Raft& r) {
  Status s;
  s.basic = GetBasicStatus(r);
  if (r.state() == StateType::kStateLeader) {
    s.progress = r.trk().progress;
    s.last_index = r.raft_log().LastIndex();
  }
  s.config = r.trk().config;
  return s;
}

std::vector<uint64_t> Status::CaughtUpLearners(uint64_t max_lag) const {
  std::vector<uint64_t> ids;
  for (uint64_t id : config.learners) {
    auto it = progress.find(id);
    if (it != progress.end() && it->second.IsCaughtUp(last_index, max_lag)) {
      ids.push_back(id);
    }
  }
  return ids;
}

std::string Status::ToJson() const {
  std::string j = "{\"id\":\"" + std::to_string(basic.id) + "\",";
  j += "\"term\":" + std::to_string(basic.hard_state.term) + ",";
  j += "\"vote\":\"" + std::to_string(basic.hard_state.vote) + "\",";
  j += "\"commit\":" + std::to_string(basic.hard_state.commit) + ",";
  j += "\"lead\":\"" + std::to_string(basic.soft_state.lead) + "\",";
  j += "\"raftState\":\"" + StateTypeName(basic.soft_state.raft_state) + "\",";
  j += "\"applied\":" + std::to_string(basic.applied) + ",";
  j += "\"progress\":{";
  bool first = true;
  for (const auto& [id, pr] : progress) {
    if (!first) j += ",";
    first = false;
    // Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict, a false
    // positive, GCC bug 105329) on `"\"" + std::to_string(id)`.
    j += '"';
    j += std::to_string(id);
    j += "\":{\"match\":" + std::to_string(pr.match);
    j += ",\"next\":" + std::to_string(pr.next) + ",\"state\":\"";
    j += tracker::StateTypeName(pr.state);
    j += "\"}";
  }
  j +=
      "},\"leadtransferee\":\"" + std::to_string(basic.lead_transferee) + "\"}";
  return j;
}

}  // namespace raft
