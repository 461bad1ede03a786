#include "examples/raftexample/kv_node.h"

#include <utility>

#include "proto/raftpb/codec.h"

namespace raftexample {

KvNode::KvNode(uint64_t id, std::unique_ptr<raft::MemoryStorage> storage)
    : id_(id), storage_(std::move(storage)) {}

base::Result<std::unique_ptr<KvNode>> KvNode::Create(
    uint64_t id, const std::vector<uint64_t>& initial_voters) {
  auto storage = std::make_unique<raft::MemoryStorage>();
  raftpb::ConfState cs;
  cs.voters = initial_voters;
  storage->SetInitialConfState(cs);

  raft::Config cfg;
  cfg.id = id;
  cfg.election_tick = 10;
  cfg.heartbeat_tick = 1;
  cfg.storage = storage.get();
  cfg.max_size_per_msg = 1 << 20;
  cfg.max_inflight_msgs = 256;
  cfg.check_quorum = true;
  cfg.pre_vote = true;

  std::unique_ptr<KvNode> n(new KvNode(id, std::move(storage)));
  n->conf_state_ = cs;
  CAIRN_ASSIGN_OR_RETURN(n->node_, raft::RawNode::New(cfg));
  return n;
}

base::Status KvNode::ProposePut(const std::string& key,
                                const std::string& value) {
  return node_->Propose(key + "=" + value);
}

base::Result<bool> KvNode::HandleReady(std::vector<raftpb::Message>* outbox) {
  if (!node_->HasReady()) return false;
  raft::Ready& rd = ready_;
  node_->GetReady(&rd);

  // 1. Persist, before sending anything that may promise it. A real host
  // writes a WAL here and fsyncs when rd.must_sync.
  if (rd.snapshot) CAIRN_RETURN_IF_ERROR(storage_->ApplySnapshot(*rd.snapshot));
  CAIRN_RETURN_IF_ERROR(storage_->Append(rd.entries));
  if (rd.hard_state) storage_->SetHardState(*rd.hard_state);

  // 2. Send.
  for (raftpb::Message& m : rd.messages) outbox->push_back(std::move(m));

  // 3. Apply, in order. (This example takes no snapshots, so rd.snapshot
  // never carries a state machine image to restore.)
  for (const raftpb::Entry& e : rd.committed_entries) {
    CAIRN_RETURN_IF_ERROR(Apply(e));
  }

  // 4. Acknowledge.
  node_->Advance();
  return true;
}

base::Status KvNode::Apply(const raftpb::Entry& e) {
  switch (e.type) {
    case raftpb::kEntryNormal: {
      if (e.data.empty()) return base::Status();  // A new leader's no-op.
      std::string_view cmd = e.data.view();
      size_t eq = cmd.find('=');
      if (eq == std::string_view::npos) {
        return base::Status::DataLoss("bad command at index " +
                                      std::to_string(e.index));
      }
      kv_[std::string(cmd.substr(0, eq))] = std::string(cmd.substr(eq + 1));
      return base::Status();
    }
    case raftpb::kEntryConfChange: {
      CAIRN_ASSIGN_OR_RETURN(raftpb::ConfChange cc,
                             raftpb::DecodeConfChange(e.data.view()));
      conf_state_ = node_->ApplyConfChange(cc.AsV2());
      return base::Status();
    }
    case raftpb::kEntryConfChangeV2: {
      CAIRN_ASSIGN_OR_RETURN(raftpb::ConfChangeV2 cc,
                             raftpb::DecodeConfChangeV2(e.data.view()));
      conf_state_ = node_->ApplyConfChange(cc);
      return base::Status();
    }
  }
  return base::Status::DataLoss("unknown entry type at index " +
                                std::to_string(e.index));
}

}  // namespace raftexample
