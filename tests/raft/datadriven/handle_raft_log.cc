// raft-log <id>: the entries in the node's stable storage.

#include "raft/util.h"
#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

base::Status HandleRaftLog(InteractionEnv& env, const datadriven::TestData& d) {
  CAIRN_ASSIGN_OR_RETURN(uint64_t id, FirstNodeId(env, d));
  const TestStorage& s = *env.node(id).storage;
  CAIRN_ASSIGN_OR_RETURN(uint64_t fi, s.FirstIndex());
  CAIRN_ASSIGN_OR_RETURN(uint64_t li, s.LastIndex());
  if (li < fi) {
    env.Write("log is empty: first index=" + std::to_string(fi) +
              ", last index=" + std::to_string(li) + "\n");
    return {};
  }
  std::vector<raftpb::Entry> ents;
  CAIRN_RETURN_IF_ERROR(s.Entries(fi, li + 1, raft::kNoLimit, &ents));
  std::string desc = raft::DescribeEntries(ents);
  if (!desc.empty() && desc.back() != '\n') desc.push_back('\n');
  env.Write(desc);
  return {};
}

}  // namespace raft_test
