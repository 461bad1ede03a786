// send-snapshot <from> <to>: the application of node <from> takes a
// snapshot at its applied index (with its current configuration) and sends
// it to <to> as a MsgSnap of <from>'s term, outside raft's own decisions
// (etcd's send-snapshot). The message is queued and printed.

#include "raft/errors.h"
#include "raft/util.h"
#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

base::Status HandleSendSnapshot(InteractionEnv& env,
                                const datadriven::TestData& d) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, NodeIds(env, d));
  if (ids.size() != 2) {
    return base::Status::InvalidArgument("usage: send-snapshot <from> <to>");
  }
  Node& n = env.node(ids[0]);
  uint64_t applied = n.raw_node->GetBasicStatus().applied;
  raftpb::ConfState cs = n.storage->conf_state();
  base::Result<raftpb::Snapshot> snap =
      n.storage->mem().CreateSnapshot(applied, &cs, raftpb::Payload());
  if (!snap.ok() && snap.status() != raft::ErrSnapOutOfDate()) {
    return snap.status();
  }
  raftpb::Message m;
  m.type = raftpb::kMsgSnap;
  m.from = ids[0];
  m.to = ids[1];
  m.term = n.raw_node->raft().term();
  CAIRN_ASSIGN_OR_RETURN(m.snapshot, n.storage->Snapshot());
  env.Write(raft::DescribeMessage(m) + "\n");
  env.messages.push_back(std::move(m));
  return {};
}

}  // namespace raft_test
