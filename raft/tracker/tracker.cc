#include "raft/tracker/tracker.h"

#include <algorithm>

namespace raft::tracker {
namespace {

std::string SetString(const std::set<uint64_t>& ids) {
  return quorum::MajorityConfig(ids).String();
}

// Acknowledged index = Progress.match.
class MatchAckIndexer final : public quorum::AckedIndexer {
 public:
  explicit MatchAckIndexer(const ProgressMap& m) : m_(m) {}
  bool AckedIndex(uint64_t id, quorum::Index* idx) const override {
    auto it = m_.find(id);
    if (it == m_.end()) return false;
    *idx = it->second.match;
    return true;
  }

 private:
  const ProgressMap& m_;
};

}  // namespace

std::string Config::String() const {
  std::string s = "voters=" + voters.String();
  if (!learners.empty()) s += " learners=" + SetString(learners);
  if (!learners_next.empty()) s += " learners_next=" + SetString(learners_next);
  if (auto_leave) s += " autoleave";
  return s;
}

ProgressTracker::ProgressTracker(size_t max_inflight,
                                 uint64_t max_inflight_bytes)
    : max_inflight_(max_inflight), max_inflight_bytes_(max_inflight_bytes) {}

raftpb::ConfState ProgressTracker::ConfState() const {
  raftpb::ConfState cs;
  cs.voters = config.voters.incoming.Slice();
  cs.voters_outgoing = config.voters.outgoing.Slice();
  cs.learners.assign(config.learners.begin(), config.learners.end());
  cs.learners_next.assign(config.learners_next.begin(),
                          config.learners_next.end());
  cs.auto_leave = config.auto_leave;
  return cs;
}

quorum::Index ProgressTracker::Committed() const {
  return config.voters.CommittedIndex(MatchAckIndexer(progress));
}

bool ProgressTracker::QuorumActive() const {
  std::map<uint64_t, bool> active;
  for (const auto& [id, pr] : progress) {
    if (pr.is_learner) continue;
    active[id] = pr.recent_active;
  }
  return config.voters.GetVoteResult(active) == quorum::VoteResult::kVoteWon;
}

std::vector<uint64_t> ProgressTracker::VoterNodes() const {
  std::set<uint64_t> ids = config.voters.IDs();
  return {ids.begin(), ids.end()};
}

std::vector<uint64_t> ProgressTracker::LearnerNodes() const {
  std::set<uint64_t> ids = config.learners;
  ids.insert(config.learners_next.begin(), config.learners_next.end());
  return {ids.begin(), ids.end()};
}

quorum::VoteResult ProgressTracker::TallyVotes(int* granted,
                                               int* rejected) const {
  *granted = 0;
  *rejected = 0;
  for (const auto& [id, pr] : progress) {
    if (pr.is_learner) continue;
    auto it = votes.find(id);
    if (it == votes.end()) continue;
    if (it->second) {
      ++*granted;
    } else {
      ++*rejected;
    }
  }
  return config.voters.GetVoteResult(votes);
}

void ProgressTracker::InitProgress(uint64_t id, uint64_t match, uint64_t next,
                                   bool is_learner) {
  Progress pr(next, max_inflight_, max_inflight_bytes_, is_learner);
  pr.match = match;
  progress.insert_or_assign(id, std::move(pr));
}

}  // namespace raft::tracker
