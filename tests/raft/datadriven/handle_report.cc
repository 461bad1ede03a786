// report-unreachable <id> <peer>: node <id>'s transport could not reach
// <peer> (RawNode::ReportUnreachable).
// report-snapshot <id> <peer> [failure=true]: sending a snapshot from
// <id> to <peer> finished or failed (RawNode::ReportSnapshot).
// forget-leader <id>: the node forgets its leader (RawNode::ForgetLeader).

#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

base::Status HandleReport(InteractionEnv& env, const datadriven::TestData& d) {
  if (d.cmd == "forget-leader") {
    CAIRN_ASSIGN_OR_RETURN(uint64_t id, FirstNodeId(env, d));
    env.node(id).raw_node->ForgetLeader();
    return {};
  }
  if (d.cmd_args.size() < 2) {
    return base::Status::InvalidArgument("usage: " + d.cmd + " <id> <peer>");
  }
  datadriven::TestData first = d;
  first.cmd_args.resize(1);
  CAIRN_ASSIGN_OR_RETURN(uint64_t id, FirstNodeId(env, first));
  uint64_t peer = std::strtoull(d.cmd_args[1].key.c_str(), nullptr, 10);
  raft::RawNode& n = *env.node(id).raw_node;
  if (d.cmd == "report-unreachable") {
    n.ReportUnreachable(peer);
    return {};
  }
  bool failure = false;
  if (d.HasArg("failure")) {
    CAIRN_ASSIGN_OR_RETURN(failure, d.ScanBool("failure"));
  }
  n.ReportSnapshot(peer, failure ? raft::SnapshotStatus::kSnapshotFailure
                                 : raft::SnapshotStatus::kSnapshotFinish);
  return {};
}

}  // namespace raft_test
