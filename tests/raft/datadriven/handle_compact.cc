// compact <id> <index>: the node's application takes a snapshot at
// <index> (an applied index) with its current configuration, then
// compacts its storage there: entries up to <index> are gone, the first
// index becomes <index> + 1 (etcd's compact; here the snapshot is
// explicit, as a host makes it before compacting).

#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

base::Status HandleCompact(InteractionEnv& env, const datadriven::TestData& d) {
  if (d.cmd_args.size() != 2) {
    return base::Status::InvalidArgument("usage: compact <id> <index>");
  }
  datadriven::TestData first = d;
  first.cmd_args.resize(1);
  CAIRN_ASSIGN_OR_RETURN(uint64_t id, FirstNodeId(env, first));
  uint64_t index = std::strtoull(d.cmd_args[1].key.c_str(), nullptr, 10);
  Node& n = env.node(id);
  if (index > n.raw_node->GetBasicStatus().applied) {
    return base::Status::InvalidArgument("index " + std::to_string(index) +
                                         " is not applied");
  }
  raftpb::ConfState cs = n.storage->conf_state();
  CAIRN_RETURN_IF_ERROR(
      n.storage->mem().CreateSnapshot(index, &cs, raftpb::Payload()).status());
  return n.storage->Compact(index);
}

}  // namespace raft_test
