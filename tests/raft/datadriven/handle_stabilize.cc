// stabilize [<id>...] [log-level=<level>]: handles Readies, delivers
// messages and (async storage writes) runs the storage threads of the
// given nodes (all when none given) until nothing is left to do.

#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

base::Status InteractionEnv::Stabilize(const std::vector<uint64_t>& ids) {
  constexpr int kMaxRounds = 10000;
  for (int round = 0; round < kMaxRounds; ++round) {
    bool done = true;
    for (uint64_t id : ids) {
      if (!node(id).raw_node->HasReady()) continue;
      Write("> " + std::to_string(id) + " handling Ready\n");
      base::Status s;
      WithIndent([&] { s = ProcessReady(id); });
      CAIRN_RETURN_IF_ERROR(s);
      done = false;
    }
    for (uint64_t id : ids) {
      bool pending = false;
      for (const raftpb::Message& m : messages) pending |= m.to == id;
      if (!pending) continue;
      Write("> " + std::to_string(id) + " receiving messages\n");
      WithIndent([&] { DeliverMsgs(id, nullptr, /*drop=*/false); });
      done = false;
    }
    // Async storage writes: the append threads, then the apply threads,
    // drain their queues.
    for (bool append : {true, false}) {
      for (uint64_t id : ids) {
        std::vector<raftpb::Message>& work =
            append ? node(id).append_work : node(id).apply_work;
        if (work.empty()) continue;
        Write("> " + std::to_string(id) + " processing " +
              (append ? "append" : "apply") + " thread\n");
        base::Status s;
        WithIndent([&] {
          while (s.ok() && !work.empty()) {
            s = append ? ProcessAppendThread(id) : ProcessApplyThread(id);
          }
        });
        CAIRN_RETURN_IF_ERROR(s);
        done = false;
      }
    }
    if (done) return {};
  }
  return base::Status::Internal("stabilize did not converge");
}

base::Status HandleStabilize(InteractionEnv& env,
                             const datadriven::TestData& d) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, NodeIds(env, d));
  if (ids.empty()) {
    for (uint64_t id = 1; id <= env.nodes.size(); ++id) ids.push_back(id);
  }
  int saved = env.log_level;
  if (d.HasArg("log-level")) {
    CAIRN_ASSIGN_OR_RETURN(std::string s, d.ScanString("log-level"));
    CAIRN_ASSIGN_OR_RETURN(env.log_level, ParseLogLevel(s));
  }
  base::Status s = env.Stabilize(ids);
  env.log_level = saved;
  return s;
}

}  // namespace raft_test
