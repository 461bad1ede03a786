// raft-state: one line per node: role, membership (Voter, Learner or
// Non-Member, by the node's own configuration), term, vote,
// leader. "1: StateLeader (Voter) Term:1 Vote:1 Lead:1"

#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

base::Status HandleRaftState(InteractionEnv& env,
                             const datadriven::TestData& d) {
  (void)d;
  for (const Node& n : env.nodes) {
    raft::BasicStatus st = n.raw_node->GetBasicStatus();
    const raft::tracker::Config& cfg = n.raw_node->raft().trk().config;
    const char* kind = "Non-Member";
    if (cfg.voters.contains(st.id)) {
      kind = "Voter";
    } else if (n.raw_node->raft().is_learner()) {
      kind = "Learner";
    }
    env.Write(std::to_string(st.id) + ": " +
              raft::StateTypeName(st.soft_state.raft_state) + " (" + kind +
              ") Term:" + std::to_string(st.hard_state.term) +
              " Vote:" + std::to_string(st.hard_state.vote) +
              " Lead:" + std::to_string(st.soft_state.lead) + "\n");
  }
  return {};
}

}  // namespace raft_test
