#include "raft/raw_node.h"

#include <string>
#include <utility>

#include "base/check.h"
#include "proto/raftpb/codec.h"
#include "raft/errors.h"

namespace raft {
namespace {

bool IsLocalMsg(raftpb::MessageType t) {
  switch (t) {
    case raftpb::kMsgHup:
    case raftpb::kMsgBeat:
    case raftpb::kMsgUnreachable:
    case raftpb::kMsgSnapStatus:
    case raftpb::kMsgCheckQuorum:
    case raftpb::kMsgStorageAppend:
    case raftpb::kMsgStorageAppendResp:
    case raftpb::kMsgStorageApply:
    case raftpb::kMsgStorageApplyResp:
      return true;
    default:
      return false;
  }
}

bool IsResponseMsg(raftpb::MessageType t) {
  switch (t) {
    case raftpb::kMsgAppResp:
    case raftpb::kMsgVoteResp:
    case raftpb::kMsgHeartbeatResp:
    case raftpb::kMsgUnreachable:
    case raftpb::kMsgReadIndexResp:
    case raftpb::kMsgPreVoteResp:
      return true;
    default:
      return false;
  }
}

}  // namespace

base::Result<std::unique_ptr<RawNode>> RawNode::New(Config config) {
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<Raft> r, Raft::New(std::move(config)));
  return std::unique_ptr<RawNode>(new RawNode(std::move(r)));
}

RawNode::RawNode(std::unique_ptr<Raft> r)
    : raft_(std::move(r)),
      prev_soft_state_(raft_->GetSoftState()),
      prev_hard_state_(raft_->GetHardState()) {
  prop_.type = raftpb::kMsgProp;
}

void RawNode::Tick() { raft_->Tick(); }

void RawNode::TickQuiesced() {
  raft_->set_election_elapsed(raft_->election_elapsed() + 1);
}

base::Status RawNode::Campaign() {
  raftpb::Message m;
  m.type = raftpb::kMsgHup;
  return raft_->Step(std::move(m));
}

base::Status RawNode::Propose(raftpb::Payload data) {
  // Reuse one message and its entry vector across proposals.
  prop_.type = raftpb::kMsgProp;
  prop_.from = raft_->id();
  prop_.entries.resize(1);
  prop_.entries[0] = raftpb::Entry{0, 0, raftpb::kEntryNormal, std::move(data)};
  base::Status s = raft_->StepRef(prop_);
  prop_.entries.clear();
  prop_.to = 0;
  return s;
}

base::Status RawNode::ProposeConfChange(const raftpb::ConfChange& cc) {
  raftpb::Message m;
  m.type = raftpb::kMsgProp;
  m.from = raft_->id();
  m.entries.push_back(raftpb::Entry{0, 0, raftpb::kEntryConfChange,
                                    raftpb::EncodeToString(cc)});
  return raft_->Step(std::move(m));
}

base::Status RawNode::ProposeConfChangeV2(const raftpb::ConfChangeV2& cc) {
  raftpb::Message m;
  m.type = raftpb::kMsgProp;
  m.from = raft_->id();
  m.entries.push_back(raftpb::Entry{0, 0, raftpb::kEntryConfChangeV2,
                                    raftpb::EncodeToString(cc)});
  return raft_->Step(std::move(m));
}

raftpb::ConfState RawNode::ApplyConfChange(const raftpb::ConfChangeV2& cc) {
  return raft_->ApplyConfChange(cc);
}

base::Status RawNode::CheckStep(const raftpb::Message& m) const {
  // Local messages never come from the network.
  if (IsLocalMsg(m.type)) return ErrStepLocalMsg();
  if (IsResponseMsg(m.type) &&
      raft_->trk().progress.find(m.from) == raft_->trk().progress.end()) {
    return ErrStepPeerNotFound();
  }
  return CheckWellFormed(m);
}

// Messages come from the network: a peer with a bug, or garbage that decoded,
// must not be able to abort this node or break its invariants. Each check
// rejects what no correct peer sends.
base::Status RawNode::CheckWellFormed(const raftpb::Message& m) const {
  auto bad = [&m](const char* why) {
    return base::Status::InvalidArgument(
        std::string("raft: malformed ") + raftpb::MessageTypeName(m.type) +
        " from " + std::to_string(m.from) + ": " + why);
  };
  const Raft& r = *raft_;
  if (m.from == kNone) return bad("no sender");
  if (m.from == r.id()) return bad("sender is this node");
  // Term 0 marks a local message to raft; peers set the term on everything
  // but forwarded proposals and read requests.
  if (m.term == 0 && m.type != raftpb::kMsgProp &&
      m.type != raftpb::kMsgReadIndex) {
    return bad("no term");
  }
  if (m.snapshot && m.snapshot->metadata.term > m.term) {
    return bad("snapshot term above message term");
  }
  if (m.type == raftpb::kMsgProp && m.entries.empty()) {
    return bad("proposal without entries");
  }
  const uint64_t last = r.raft_log().LastIndex();
  for (size_t i = 0; i < m.entries.size(); ++i) {
    const raftpb::Entry& e = m.entries[i];
    if (m.type == raftpb::kMsgApp) {
      if (e.index != m.index + 1 + i) return bad("entries not contiguous");
      if (e.term > m.term) return bad("entry term above message term");
      if (e.term < (i == 0 ? m.log_term : m.entries[i - 1].term)) {
        return bad("entry terms decrease");
      }
    }
  }
  if (m.type == raftpb::kMsgAppResp && !m.reject && m.index > last) {
    return bad("acknowledges entries past the last index");
  }
  if (m.type == raftpb::kMsgHeartbeat && m.commit > last) {
    return bad("commit index past the last index");
  }
  return base::Status();
}

base::Status RawNode::Step(raftpb::Message&& m) {
  CAIRN_RETURN_IF_ERROR(CheckStep(m));
  return raft_->StepRef(m);
}

base::Status RawNode::Step(const raftpb::Message& m) {
  CAIRN_RETURN_IF_ERROR(CheckStep(m));
  switch (m.type) {
    case raftpb::kMsgProp:
    case raftpb::kMsgReadIndex:
    case raftpb::kMsgTransferLeader: {
      // Raft may keep, modify or forward these: give it a copy.
      raftpb::Message copy = m;
      return raft_->StepRef(copy);
    }
    default:
      // Raft only reads other messages (Raft::StepRef's contract).
      return raft_->StepRef(const_cast<raftpb::Message&>(m));
  }
}

bool RawNode::HasReady() const {
  const Raft& r = *raft_;
  if (r.GetSoftState() != prev_soft_state_) return true;
  raftpb::HardState hs = r.GetHardState();
  if (!raftpb::IsEmptyHardState(hs) && hs != prev_hard_state_) return true;
  const RaftLog& l = r.raft_log();
  if (l.HasNextUnstableSnapshot()) return true;
  if (!r.msgs().empty() || !r.msgs_after_append().empty()) return true;
  if (l.HasNextUnstableEnts() || l.HasNextCommittedEnts(true)) return true;
  return !r.read_states().empty();
}

Ready RawNode::GetReady() {
  Ready rd;
  GetReady(&rd);
  return rd;
}

void RawNode::GetReady(Ready* rd) {
  CAIRN_CHECK(!pending_.has_ready, "GetReady called twice without Advance");
  Raft& r = *raft_;
  // The previous Ready's messages were sent: reuse their buffers.
  r.RecycleMessages(&rd->messages);
  rd->Clear();
  RaftLog& l = r.raft_log();

  std::span<const raftpb::Entry> ents = l.NextUnstableEnts();
  rd->entries.assign(ents.begin(), ents.end());
  l.NextCommittedEnts(true, &rd->committed_entries);

  // Messages: everything else first, then those that depend on this
  // node's persisted state (see Raft::ReadMessages).
  std::swap(rd->messages, r.msgs());
  for (raftpb::Message& m : r.msgs_after_append()) {
    rd->messages.push_back(std::move(m));
  }
  r.msgs_after_append().clear();

  SoftState ss = r.GetSoftState();
  if (ss != prev_soft_state_) {
    rd->soft_state = ss;
    prev_soft_state_ = ss;
  }
  raftpb::HardState hs = r.GetHardState();
  if (!raftpb::IsEmptyHardState(hs) && hs != prev_hard_state_) {
    rd->hard_state = hs;
  }
  rd->must_sync = MustSync(hs, prev_hard_state_, rd->entries.size());
  prev_hard_state_ = hs;
  if (const raftpb::Snapshot* snap = l.NextUnstableSnapshot()) {
    rd->snapshot = *snap;
  }
  std::swap(rd->read_states, r.read_states());

  // Accept: what was handed out is now in progress.
  pending_ = Pending{};
  pending_.has_ready = true;
  if (!rd->entries.empty()) {
    pending_.last_entry_index = rd->entries.back().index;
    pending_.last_entry_term = rd->entries.back().term;
  }
  if (rd->snapshot) pending_.snapshot_index = rd->snapshot->metadata.index;
  l.AcceptUnstable();
  if (!rd->committed_entries.empty()) {
    uint64_t size = 0;
    uint64_t payload = 0;
    for (const raftpb::Entry& e : rd->committed_entries) {
      size += raftpb::EntrySize(e);
      payload += raftpb::PayloadSize(e);
    }
    pending_.last_committed_index = rd->committed_entries.back().index;
    pending_.committed_size = size;
    pending_.committed_payload_size = payload;
    l.AcceptApplying(pending_.last_committed_index, size, true);
  }
}

void RawNode::Advance() {
  if (!pending_.has_ready) return;
  Pending p = pending_;
  pending_ = Pending{};
  RaftLog& l = raft_->raft_log();
  if (p.last_entry_index != 0)
    l.StableTo(p.last_entry_index, p.last_entry_term);
  if (p.snapshot_index != 0) {
    l.StableSnapTo(p.snapshot_index);
    if (p.snapshot_index > l.applied()) raft_->AppliedTo(p.snapshot_index, 0);
  }
  if (p.last_committed_index != 0) {
    raft_->ReduceUncommittedSize(p.committed_payload_size);
    raft_->AppliedTo(p.last_committed_index, p.committed_size);
  }
}

raft::Status RawNode::GetStatus() const { return raft::GetStatus(*raft_); }

BasicStatus RawNode::GetBasicStatus() const {
  return raft::GetBasicStatus(*raft_);
}

void RawNode::ReportUnreachable(uint64_t id) {
  raftpb::Message m;
  m.type = raftpb::kMsgUnreachable;
  m.from = id;
  (void)raft_->Step(std::move(m));
}

void RawNode::ReportSnapshot(uint64_t id, SnapshotStatus status) {
  raftpb::Message m;
  m.type = raftpb::kMsgSnapStatus;
  m.from = id;
  m.reject = status == SnapshotStatus::kSnapshotFailure;
  (void)raft_->Step(std::move(m));
}

void RawNode::TransferLeader(uint64_t transferee) {
  raftpb::Message m;
  m.type = raftpb::kMsgTransferLeader;
  m.from = transferee;
  (void)raft_->Step(std::move(m));
}

void RawNode::ForgetLeader() {
  Raft& r = *raft_;
  if (r.state() != StateType::kStateFollower || r.lead() == kNone) return;
  r.logger()->Infof("%llx forgetting leader %llx at term %llu",
                    static_cast<unsigned long long>(r.id()),
                    static_cast<unsigned long long>(r.lead()),
                    static_cast<unsigned long long>(r.term()));
  r.set_lead(kNone);
}

void RawNode::ReadIndex(raftpb::Payload rctx) {
  raftpb::Message m;
  m.type = raftpb::kMsgReadIndex;
  m.entries.push_back(
      raftpb::Entry{0, 0, raftpb::kEntryNormal, std::move(rctx)});
  (void)raft_->Step(std::move(m));
}

}  // namespace raft
