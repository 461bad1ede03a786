// propose-conf-change <id> [v1=<bool>] [transition=auto|implicit|explicit]
// followed by the changes on the input lines ("v2 l3 r4 u5"): proposes a
// ConfChangeV2 (or, with v1=true, a ConfChange holding the single change)
// on the node; prints the error of a dropped proposal.

#include "raft/util.h"
#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

base::Status HandleProposeConfChange(InteractionEnv& env,
                                     const datadriven::TestData& d) {
  CAIRN_ASSIGN_OR_RETURN(uint64_t id, FirstNodeId(env, d));
  bool v1 = false;
  if (d.HasArg("v1")) {
    CAIRN_ASSIGN_OR_RETURN(v1, d.ScanBool("v1"));
  }
  raftpb::ConfChangeV2 cc;
  if (d.HasArg("transition")) {
    CAIRN_ASSIGN_OR_RETURN(std::string t, d.ScanString("transition"));
    if (t == "auto") {
      cc.transition = raftpb::kConfChangeTransitionAuto;
    } else if (t == "implicit") {
      cc.transition = raftpb::kConfChangeTransitionJointImplicit;
    } else if (t == "explicit") {
      cc.transition = raftpb::kConfChangeTransitionJointExplicit;
    } else {
      return base::Status::InvalidArgument("unknown transition " + t);
    }
  }
  CAIRN_ASSIGN_OR_RETURN(cc.changes, raft::ConfChangesFromString(d.input));
  raft::RawNode& n = *env.node(id).raw_node;
  if (!v1) return n.ProposeConfChangeV2(cc);
  if (cc.changes.size() != 1 ||
      cc.transition != raftpb::kConfChangeTransitionAuto) {
    return base::Status::InvalidArgument(
        "v1 conf change can only have one operation and no transition");
  }
  raftpb::ConfChange v1cc;
  v1cc.type = cc.changes[0].type;
  v1cc.node_id = cc.changes[0].node_id;
  return n.ProposeConfChange(v1cc);
}

}  // namespace raft_test
