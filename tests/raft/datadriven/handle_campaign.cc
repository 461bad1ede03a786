// campaign <id>: the node campaigns (MsgHup).

#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

base::Status HandleCampaign(InteractionEnv& env,
                            const datadriven::TestData& d) {
  CAIRN_ASSIGN_OR_RETURN(uint64_t id, FirstNodeId(env, d));
  return env.node(id).raw_node->Campaign();
}

}  // namespace raft_test
