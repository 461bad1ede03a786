// process-ready <id>...: runs one Ready cycle on each node.

#include "proto/raftpb/codec.h"
#include "raft/util.h"
#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

base::Status Persist(Node& n, const raftpb::HardState& hs,
                     const raftpb::Snapshot* snap,
                     const std::vector<raftpb::Entry>& ents) {
  if (snap != nullptr) CAIRN_RETURN_IF_ERROR(n.storage->ApplySnapshot(*snap));
  if (!ents.empty()) CAIRN_RETURN_IF_ERROR(n.storage->Append(ents));
  if (!raftpb::IsEmptyHardState(hs)) n.storage->SetHardState(hs);
  return {};
}

base::Status ApplyConfChanges(Node& n, const std::vector<raftpb::Entry>& ents) {
  for (const raftpb::Entry& e : ents) {
    raftpb::ConfChangeV2 cc;
    if (e.type == raftpb::kEntryConfChange) {
      CAIRN_ASSIGN_OR_RETURN(raftpb::ConfChange v1,
                             raftpb::DecodeConfChange(e.data.view()));
      cc = v1.AsV2();
    } else if (e.type == raftpb::kEntryConfChangeV2) {
      CAIRN_ASSIGN_OR_RETURN(cc, raftpb::DecodeConfChangeV2(e.data.view()));
    } else {
      continue;
    }
    n.storage->conf_state() = n.raw_node->ApplyConfChange(cc);
    // Take a snapshot holding the new configuration (as a host persists
    // its ConfState with a snapshot), so that a peer caught up by snapshot
    // learns the configuration it is a member of (etcd's interaction env
    // serves snapshots of the applied state likewise).
    raft::MemoryStorage& mem = n.storage->mem();
    base::Result<uint64_t> last = mem.LastIndex();
    base::Result<raftpb::Snapshot> prev = mem.Snapshot();
    if (last.ok() && prev.ok() && e.index <= *last &&
        e.index > prev->metadata.index) {
      CAIRN_RETURN_IF_ERROR(
          mem.CreateSnapshot(e.index, &n.storage->conf_state(), prev->data)
              .status());
    }
  }
  return {};
}

base::Status InteractionEnv::ProcessReady(uint64_t id) {
  Node& n = node(id);
  raft::Ready rd = n.raw_node->GetReady();
  std::string desc = raft::DescribeReady(rd);
  if (desc.empty()) desc = "<empty Ready>";
  if (desc.back() != '\n') desc.push_back('\n');
  Write(desc);

  if (n.config.async_storage_writes) {
    // The writes go to the node's storage threads; no Advance.
    for (raftpb::Message& m : rd.messages) {
      if (m.to == raft::kLocalAppendThread) {
        n.append_work.push_back(std::move(m));
      } else if (m.to == raft::kLocalApplyThread) {
        n.apply_work.push_back(std::move(m));
      } else {
        messages.push_back(std::move(m));
      }
    }
    return {};
  }
  // Persist before sending (ready.h rule 1).
  CAIRN_RETURN_IF_ERROR(Persist(n, rd.hard_state.value_or(raftpb::HardState{}),
                                rd.snapshot ? &*rd.snapshot : nullptr,
                                rd.entries));
  CAIRN_RETURN_IF_ERROR(ApplyConfChanges(n, rd.committed_entries));
  for (raftpb::Message& m : rd.messages) messages.push_back(std::move(m));
  n.raw_node->Advance();
  return {};
}

base::Status HandleProcessReady(InteractionEnv& env,
                                const datadriven::TestData& d) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, NodeIds(env, d));
  for (uint64_t id : ids) {
    base::Status s;
    if (ids.size() > 1) {
      env.Write("> " + std::to_string(id) + " handling Ready\n");
      env.WithIndent([&] { s = env.ProcessReady(id); });
    } else {
      s = env.ProcessReady(id);
    }
    CAIRN_RETURN_IF_ERROR(s);
  }
  return {};
}

}  // namespace raft_test
