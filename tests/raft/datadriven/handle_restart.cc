// restart <id>: the node crashes and restarts. Its RawNode is replaced by a
// new one built from its storage with the same config (applied = what the
// old one had applied): role, leader, progress and anything not yet
// persisted through a Ready are lost; term, vote, commit and the stable
// log must come back. Messages already sent stay in flight.

#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

base::Status HandleRestart(InteractionEnv& env, const datadriven::TestData& d) {
  CAIRN_ASSIGN_OR_RETURN(uint64_t id, FirstNodeId(env, d));
  Node& n = env.node(id);
  n.config.applied = n.raw_node->GetBasicStatus().applied;
  n.raw_node.reset();
  CAIRN_ASSIGN_OR_RETURN(n.raw_node, raft::RawNode::New(n.config));
  return {};
}

}  // namespace raft_test
