// read-index <id> <ctx>: the node requests a linearizable read with
// context <ctx> (RawNode::ReadIndex); its ReadState shows in a later
// Ready.

#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

base::Status HandleReadIndex(InteractionEnv& env,
                             const datadriven::TestData& d) {
  if (d.cmd_args.size() != 2) {
    return base::Status::InvalidArgument("usage: read-index <id> <ctx>");
  }
  datadriven::TestData first = d;
  first.cmd_args.resize(1);
  CAIRN_ASSIGN_OR_RETURN(uint64_t id, FirstNodeId(env, first));
  env.node(id).raw_node->ReadIndex(raftpb::Payload(d.cmd_args[1].key));
  return {};
}

}  // namespace raft_test
