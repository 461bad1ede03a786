// isolate <id>: from now on every message from or to the node is dropped
// when delivered (a network partition); heal: ends all partitions.

#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

base::Status HandlePartition(InteractionEnv& env,
                             const datadriven::TestData& d) {
  if (d.cmd == "heal") {
    env.isolated.clear();
    return {};
  }
  CAIRN_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, NodeIds(env, d));
  if (ids.empty()) return base::Status::InvalidArgument("node id required");
  for (uint64_t id : ids) env.isolated.insert(id);
  return {};
}

}  // namespace raft_test
