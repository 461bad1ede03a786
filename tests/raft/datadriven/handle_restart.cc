// restart <id>: the node crashes and restarts. Its RawNode is replaced by a
// new one built from its storage with the same config (applied = what the
// old one had applied): role, leader, progress and anything not yet
// persisted through a Ready are lost; term, vote, commit and the stable
// log must come back. Messages already sent to peers stay in flight. In
// async-storage-writes mode the work still queued for the storage threads
// is lost, and so are the released responses addressed to the node itself
// (they belong to the old incarnation; ready.h rule A5).

#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

base::Status HandleRestart(InteractionEnv& env, const datadriven::TestData& d) {
  CAIRN_ASSIGN_OR_RETURN(uint64_t id, FirstNodeId(env, d));
  Node& n = env.node(id);
  n.config.applied = n.raw_node->GetBasicStatus().applied;
  n.raw_node.reset();
  n.append_work.clear();
  n.apply_work.clear();
  std::erase_if(env.messages, [id](const raftpb::Message& m) {
    return m.to == id && (m.from == id || m.from == raft::kLocalAppendThread ||
                          m.from == raft::kLocalApplyThread);
  });
  CAIRN_ASSIGN_OR_RETURN(n.raw_node, raft::RawNode::New(n.config));
  return {};
}

}  // namespace raft_test
