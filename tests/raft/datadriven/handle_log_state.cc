// log-state <id>: the node's log indexes (RaftLog::String(): committed,
// applied, applying, the unstable offset and entries), to watch the stable
// and applied indexes move in async-storage-writes mode.

#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

base::Status HandleLogState(InteractionEnv& env,
                            const datadriven::TestData& d) {
  CAIRN_ASSIGN_OR_RETURN(uint64_t id, FirstNodeId(env, d));
  env.Write(env.node(id).raw_node->raft().raft_log().String() + "\n");
  return {};
}

}  // namespace raft_test
