// tick-election <id>: election_tick ticks; tick-heartbeat <id>:
// heartbeat_tick ticks; tick <id> <n>: n ticks.

#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

base::Status HandleTick(InteractionEnv& env, const datadriven::TestData& d) {
  if (d.cmd_args.empty()) {
    return base::Status::InvalidArgument("node id required");
  }
  datadriven::TestData first = d;
  first.cmd_args.resize(1);
  CAIRN_ASSIGN_OR_RETURN(uint64_t id, FirstNodeId(env, first));
  Node& n = env.node(id);
  uint64_t ticks = 0;
  if (d.cmd == "tick-election") {
    ticks = static_cast<uint64_t>(n.config.election_tick);
  } else if (d.cmd == "tick-heartbeat") {
    ticks = static_cast<uint64_t>(n.config.heartbeat_tick);
  } else {
    if (d.cmd_args.size() != 2) {
      return base::Status::InvalidArgument("usage: tick <id> <n>");
    }
    ticks = std::strtoull(d.cmd_args[1].key.c_str(), nullptr, 10);
  }
  for (uint64_t i = 0; i < ticks; ++i) n.raw_node->Tick();
  return {};
}

}  // namespace raft_test
