// propose <id> <data>: proposes data on the node; prints the error of a
// dropped proposal.

#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

base::Status HandlePropose(InteractionEnv& env, const datadriven::TestData& d) {
  if (d.cmd_args.size() != 2) {
    return base::Status::InvalidArgument("usage: propose <id> <data>");
  }
  datadriven::TestData first = d;
  first.cmd_args.resize(1);
  CAIRN_ASSIGN_OR_RETURN(uint64_t id, FirstNodeId(env, first));
  std::string data = d.cmd_args[1].ToString();
  if (data.size() >= 2 && data.front() == '"' && data.back() == '"') {
    data = data.substr(1, data.size() - 2);
  }
  return env.node(id).raw_node->Propose(raftpb::Payload(data));
}

}  // namespace raft_test
