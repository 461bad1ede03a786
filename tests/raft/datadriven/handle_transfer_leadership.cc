// transfer-leadership from=<id> to=<id>: node `from` is asked to hand
// leadership to `to` (RawNode::TransferLeader; a follower forwards).

#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

base::Status HandleTransferLeadership(InteractionEnv& env,
                                      const datadriven::TestData& d) {
  CAIRN_ASSIGN_OR_RETURN(uint64_t from, d.ScanUint("from"));
  CAIRN_ASSIGN_OR_RETURN(uint64_t to, d.ScanUint("to"));
  if (!env.HasNode(from)) {
    return base::Status::InvalidArgument("no node " + std::to_string(from));
  }
  env.node(from).raw_node->TransferLeader(to);
  return {};
}

}  // namespace raft_test
