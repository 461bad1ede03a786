// add-nodes <n> [voters=(..)] [learners=(..)] [index=<i>] [content=<s>]
//           [pre-vote=<bool>] [check-quorum=<bool>] [inflight=<n>]
//           [max-size-per-msg=<n>] [max-committed-size-per-ready=<n>]
//           [read-only=safe|lease-based] [max-uncommitted-size=<n>]
//           [disable-proposal-forwarding=<bool>]
//           [async-storage-writes=<bool>]
//
// Adds n nodes with the next free ids. With index=i (i >= 1) each starts
// from a snapshot at index i, term 1, holding the voters and learners and
// `content`; without it the voters and learners are their initial
// configuration and the log is empty. A snapshot-started node starts at
// term 1 with commit i.

#include "tests/raft/datadriven/interaction_env.h"

namespace raft_test {

namespace {

base::Status ScanIds(const datadriven::TestData& d, std::string_view key,
                     std::vector<uint64_t>* out) {
  const datadriven::CmdArg* a = d.Arg(key);
  if (a == nullptr) return {};
  for (size_t i = 0; i < a->vals.size(); ++i) {
    CAIRN_ASSIGN_OR_RETURN(uint64_t id, d.ScanUint(key, i));
    out->push_back(id);
  }
  return {};
}

// Fills cfg's options from d.
base::Status ScanOptions(const datadriven::TestData& d, raft::Config* cfg) {
  if (d.HasArg("pre-vote")) {
    CAIRN_ASSIGN_OR_RETURN(cfg->pre_vote, d.ScanBool("pre-vote"));
  }
  if (d.HasArg("check-quorum")) {
    CAIRN_ASSIGN_OR_RETURN(cfg->check_quorum, d.ScanBool("check-quorum"));
  }
  if (d.HasArg("inflight")) {
    CAIRN_ASSIGN_OR_RETURN(uint64_t n, d.ScanUint("inflight"));
    cfg->max_inflight_msgs = static_cast<int>(n);
  }
  if (d.HasArg("max-size-per-msg")) {
    CAIRN_ASSIGN_OR_RETURN(cfg->max_size_per_msg,
                           d.ScanUint("max-size-per-msg"));
  }
  if (d.HasArg("max-committed-size-per-ready")) {
    CAIRN_ASSIGN_OR_RETURN(cfg->max_committed_size_per_ready,
                           d.ScanUint("max-committed-size-per-ready"));
  }
  if (d.HasArg("max-uncommitted-size")) {
    CAIRN_ASSIGN_OR_RETURN(cfg->max_uncommitted_entries_size,
                           d.ScanUint("max-uncommitted-size"));
  }
  if (d.HasArg("disable-proposal-forwarding")) {
    CAIRN_ASSIGN_OR_RETURN(cfg->disable_proposal_forwarding,
                           d.ScanBool("disable-proposal-forwarding"));
  }
  if (d.HasArg("async-storage-writes")) {
    CAIRN_ASSIGN_OR_RETURN(cfg->async_storage_writes,
                           d.ScanBool("async-storage-writes"));
  }
  if (d.HasArg("read-only")) {
    CAIRN_ASSIGN_OR_RETURN(std::string ro, d.ScanString("read-only"));
    if (ro == "safe") {
      cfg->read_only_option = raft::ReadOnlyOption::kReadOnlySafe;
    } else if (ro == "lease-based") {
      cfg->read_only_option = raft::ReadOnlyOption::kReadOnlyLeaseBased;
    } else {
      return base::Status::InvalidArgument("invalid read-only option " + ro);
    }
  }
  return {};
}

}  // namespace

base::Status HandleAddNodes(InteractionEnv& env,
                            const datadriven::TestData& d) {
  if (d.cmd_args.empty() || !d.cmd_args[0].vals.empty()) {
    return base::Status::InvalidArgument("add-nodes needs a count");
  }
  uint64_t n = std::strtoull(d.cmd_args[0].key.c_str(), nullptr, 10);
  raftpb::Snapshot snap;
  CAIRN_RETURN_IF_ERROR(ScanIds(d, "voters", &snap.metadata.conf_state.voters));
  CAIRN_RETURN_IF_ERROR(
      ScanIds(d, "learners", &snap.metadata.conf_state.learners));
  if (d.HasArg("index")) {
    CAIRN_ASSIGN_OR_RETURN(snap.metadata.index, d.ScanUint("index"));
    snap.metadata.term = 1;
  }
  if (d.HasArg("content")) {
    CAIRN_ASSIGN_OR_RETURN(std::string content, d.ScanString("content"));
    snap.data = raftpb::Payload(content);
  }
  raft::Config stub;
  stub.election_tick = 3;
  stub.heartbeat_tick = 1;
  stub.max_size_per_msg = raft::kNoLimit;
  stub.max_inflight_msgs = 256;
  CAIRN_RETURN_IF_ERROR(ScanOptions(d, &stub));

  for (uint64_t i = 0; i < n; ++i) {
    uint64_t id = env.nodes.size() + 1;
    Node node;
    node.storage = std::make_unique<TestStorage>();
    node.storage->conf_state() = snap.metadata.conf_state;
    if (snap.metadata.index > 0) {
      CAIRN_RETURN_IF_ERROR(node.storage->ApplySnapshot(snap));
      // The node has seen term 1 (its snapshot's), as a node bootstrapped
      // by the host has; a current term below the last log term would
      // break raft's invariants.
      node.storage->SetHardState({/*term=*/1, /*vote=*/0, snap.metadata.index});
    }
    node.config = stub;
    node.config.id = id;
    node.config.seed = id;
    node.config.storage = node.storage.get();
    node.config.applied = snap.metadata.index;
    node.config.logger = env.logger();
    CAIRN_ASSIGN_OR_RETURN(node.raw_node, raft::RawNode::New(node.config));
    env.nodes.push_back(std::move(node));
  }
  return {};
}

}  // namespace raft_test
