// status <id>: the node's progress tracker as its leader sees it, one line
// per node ("2: StateReplicate match=3 next=4").

#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

base::Status HandleStatus(InteractionEnv& env, const datadriven::TestData& d) {
  CAIRN_ASSIGN_OR_RETURN(uint64_t id, FirstNodeId(env, d));
  raft::Status st = env.node(id).raw_node->GetStatus();
  if (st.progress.empty()) {
    env.Write("not leader: no progress\n");
    return {};
  }
  for (const auto& [peer, pr] : st.progress) {
    env.Write(std::to_string(peer) + ": " + pr.String() + "\n");
  }
  return {};
}

}  // namespace raft_test
