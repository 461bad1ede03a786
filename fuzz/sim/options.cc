#include "fuzz/sim/options.h"

#include <sstream>
#include <utility>

namespace fuzz::sim {
namespace {

struct FaultName {
  const char* name;
  bool Faults::*field;
};

constexpr FaultName kFaultNames[] = {
    {"loss", &Faults::loss},          {"dup", &Faults::duplication},
    {"reorder", &Faults::reorder},    {"partition", &Faults::partitions},
    {"crash", &Faults::crashes},      {"snapshot", &Faults::snapshots},
    {"transfer", &Faults::transfers}, {"skew", &Faults::tick_skew},
};

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

base::Result<Faults> ParseFaults(const std::string& s) {
  Faults f;
  if (s == "all") return f;
  for (const FaultName& fn : kFaultNames) f.*fn.field = false;
  if (s == "none") return f;
  for (const std::string& item : SplitComma(s)) {
    bool found = false;
    for (const FaultName& fn : kFaultNames) {
      if (item == fn.name) {
        f.*fn.field = true;
        found = true;
      }
    }
    if (!found) {
      return base::Status::InvalidArgument("unknown fault '" + item + "'");
    }
  }
  return f;
}

std::string FormatFaults(const Faults& f) {
  std::string s;
  bool all = true;
  for (const FaultName& fn : kFaultNames) {
    if (!(f.*fn.field)) {
      all = false;
      continue;
    }
    if (!s.empty()) s += ",";
    s += fn.name;
  }
  if (all) return "all";
  return s.empty() ? "none" : s;
}

base::Status ParseBugs(const std::string& s, SimOptions* o) {
  for (const std::string& item : SplitComma(s)) {
    if (item == "vote-no-log-check") {
      o->knobs.vote_without_log_check = true;
    } else if (item == "commit-prior-term") {
      o->knobs.commit_prior_term_by_count = true;
    } else if (item == "read-index-no-heartbeat") {
      o->knobs.read_index_without_heartbeat = true;
    } else if (item == "forget-vote") {
      o->forget_vote_on_restart = true;
    } else {
      return base::Status::InvalidArgument("unknown bug '" + item + "'");
    }
  }
  return base::Status::OK();
}

std::string FormatOptions(const SimOptions& o) {
  std::string s = "--seed " + std::to_string(o.seed) + " --nodes " +
                  std::to_string(o.nodes) + " --steps " +
                  std::to_string(o.steps) + " --mode " +
                  (o.mode == StorageMode::kSync ? "sync" : "async") +
                  " --faults " + FormatFaults(o.faults);
  if (o.profile != "swarm") s += " --profile " + o.profile;
  if (o.pre_vote >= 0) s += " --pre-vote " + std::to_string(o.pre_vote);
  if (o.check_quorum >= 0) {
    s += " --check-quorum " + std::to_string(o.check_quorum);
  }
  std::string bugs;
  auto add = [&bugs](bool on, const char* name) {
    if (!on) return;
    if (!bugs.empty()) bugs += ",";
    bugs += name;
  };
  add(o.knobs.vote_without_log_check, "vote-no-log-check");
  add(o.knobs.commit_prior_term_by_count, "commit-prior-term");
  add(o.knobs.read_index_without_heartbeat, "read-index-no-heartbeat");
  add(o.forget_vote_on_restart, "forget-vote");
  if (!bugs.empty()) s += " --bugs " + bugs;
  if (!o.check_vote_durability) s += " --no-vote-check";
  return s;
}

}  // namespace fuzz::sim
