// deliver-msgs [type=<MsgType>] <id>... [drop=(<id>,...)]: delivers the
// pending messages to the given nodes, or drops those to the drop= nodes.

#include "raft/util.h"
#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

namespace {

base::Result<raftpb::MessageType> ParseMessageType(const std::string& s) {
  for (int t = 0; t < raftpb::kNumMessageTypes; ++t) {
    auto type = static_cast<raftpb::MessageType>(t);
    if (raftpb::MessageTypeName(type) == s) return type;
  }
  return base::Status::InvalidArgument("unknown message type " + s);
}

}  // namespace

size_t InteractionEnv::DeliverMsgs(uint64_t to, const raftpb::MessageType* type,
                                   bool drop) {
  std::vector<raftpb::Message> take;
  std::vector<raftpb::Message> keep;
  for (raftpb::Message& m : messages) {
    if (m.to == to && (type == nullptr || m.type == *type)) {
      take.push_back(std::move(m));
    } else {
      keep.push_back(std::move(m));
    }
  }
  messages = std::move(keep);
  for (raftpb::Message& m : take) {
    // A node's storage responses to itself never cross the network.
    const bool local = m.from == m.to || m.from == raft::kLocalAppendThread ||
                       m.from == raft::kLocalApplyThread;
    bool cut =
        !local && (isolated.count(m.from) > 0 || isolated.count(m.to) > 0);
    if (drop || cut) {
      Write("dropped: " + raft::DescribeMessage(m) + "\n");
      continue;
    }
    Write(raft::DescribeMessage(m) + "\n");
    base::Status s = node(m.to).raw_node->Step(std::move(m));
    if (!s.ok()) Write(s.message() + "\n");
  }
  return take.size();
}

base::Status HandleDeliverMsgs(InteractionEnv& env,
                               const datadriven::TestData& d) {
  std::optional<raftpb::MessageType> type;
  if (d.HasArg("type")) {
    CAIRN_ASSIGN_OR_RETURN(std::string s, d.ScanString("type"));
    CAIRN_ASSIGN_OR_RETURN(type, ParseMessageType(s));
  }
  CAIRN_ASSIGN_OR_RETURN(std::vector<uint64_t> deliver, NodeIds(env, d));
  std::vector<uint64_t> drop;
  if (const datadriven::CmdArg* a = d.Arg("drop")) {
    for (size_t i = 0; i < a->vals.size(); ++i) {
      CAIRN_ASSIGN_OR_RETURN(uint64_t id, d.ScanUint("drop", i));
      for (uint64_t other : deliver) {
        if (other == id) {
          return base::Status::InvalidArgument(
              "can't both deliver and drop msgs to " + std::to_string(id));
        }
      }
      drop.push_back(id);
    }
  }
  const raftpb::MessageType* tp = type ? &*type : nullptr;
  size_t n = 0;
  for (uint64_t id : deliver) n += env.DeliverMsgs(id, tp, /*drop=*/false);
  for (uint64_t id : drop) n += env.DeliverMsgs(id, tp, /*drop=*/true);
  if (n == 0) env.Write("no messages\n");
  return {};
}

}  // namespace raft_test
