#include "raft/raw_node.h"

#include <span>
#include <string>
#include <utility>
#include <vector>

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

// The local storage threads of async-storage-writes mode.
bool IsLocalMsgTarget(uint64_t id) {
  return id == kLocalAppendThread || id == kLocalApplyThread;
}

bool IsStorageResp(raftpb::MessageType t) {
  return t == raftpb::kMsgStorageAppendResp ||
         t == raftpb::kMsgStorageApplyResp;
}

// Responses that wait for durability; in async-storage-writes mode a node
// also sends them to itself (its own vote and append acknowledgment).
bool IsAfterAppendMsg(raftpb::MessageType t) {
  return t == raftpb::kMsgAppResp || t == raftpb::kMsgVoteResp ||
         t == raftpb::kMsgPreVoteResp;
}

uint64_t EntriesSize(const std::vector<raftpb::Entry>& ents) {
  uint64_t size = 0;
  for (const raftpb::Entry& e : ents) size += raftpb::EntrySize(e);
  return size;
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

void RawNode::TickQuiesced() { raft_->TickQuiesced(); }

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

raftpb::ConfState RawNode::ApplyConfChange(const raftpb::ConfChangeV2& cc,
                                           base::Status* error) {
  return raft_->ApplyConfChange(cc, error);
}

base::Status RawNode::CheckStep(const raftpb::Message& m) const {
  const bool async = raft_->config().async_storage_writes;
  if (IsStorageResp(m.type) && IsLocalMsgTarget(m.from)) {
    // A storage thread's response (async-storage-writes mode only).
    if (!async) return ErrStepLocalResponseMsg();
    return CheckLocalResponse(m);
  }
  // Other local messages never come from the network.
  if (IsLocalMsg(m.type)) return ErrStepLocalMsg();
  if (async && m.from == raft_->id() && IsAfterAppendMsg(m.type)) {
    // This node's own vote or append acknowledgment, delivered by the
    // append thread.
    return CheckLocalResponse(m);
  }
  if (IsResponseMsg(m.type) &&
      raft_->trk().progress.find(m.from) == raft_->trk().progress.end()) {
    return ErrStepPeerNotFound();
  }
  return CheckWellFormed(m);
}

// Messages come from the network: a peer with a bug, or garbage that decoded,
// must not be able to abort this node or break its invariants. These checks
// refuse senders no correct peer uses; Raft::Step checks the content.
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
  // The content checks (entries, indexes) are Raft::Step's.
  return base::Status();
}

// The responses raft put into MsgStorageAppend / MsgStorageApply come back
// unchanged from the host's storage threads; check that they are addressed
// to this node and do not claim more than this node produced.
base::Status RawNode::CheckLocalResponse(const raftpb::Message& m) const {
  const Raft& r = *raft_;
  auto bad = [&m](const char* why) {
    return base::Status::InvalidArgument(std::string("raft: malformed local ") +
                                         raftpb::MessageTypeName(m.type) +
                                         ": " + why);
  };
  if (m.to != r.id()) return bad("not addressed to this node");
  if (m.term > r.term()) return bad("term above the node's term");
  // A response of the current term cannot acknowledge more than the log
  // holds (one of an earlier term is ignored by raft anyway).
  if (m.term == r.term() && m.index > r.raft_log().LastIndex() &&
      (m.type == raftpb::kMsgAppResp ||
       m.type == raftpb::kMsgStorageAppendResp)) {
    return bad("acknowledges entries past the last index");
  }
  if (m.type == raftpb::kMsgStorageApplyResp && !m.entries.empty() &&
      m.entries.back().index > r.raft_log().applying()) {
    return bad("applies entries that were not handed out");
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
  if (l.HasNextUnstableEnts() ||
      l.HasNextCommittedEnts(ApplyUnstableEntries())) {
    return true;
  }
  return !r.read_states().empty();
}

bool RawNode::ApplyUnstableEntries() const {
  // Sync mode: Ready's entries are durable before its committed entries
  // are applied. Async mode: only entries the append thread reported
  // durable may be applied.
  return !raft_->config().async_storage_writes;
}

Ready RawNode::GetReady() {
  Ready rd;
  GetReady(&rd);
  return rd;
}

void RawNode::GetReady(Ready* rd) {
  Raft& r = *raft_;
  // The previous Ready's messages were sent: reuse their buffers.
  r.RecycleMessages(&rd->messages);
  rd->Clear();
  if (r.config().async_storage_writes) {
    GetReadyAsync(rd);
    return;
  }
  CAIRN_CHECK(!pending_.has_ready, "GetReady called twice without Advance");
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
  if (const raftpb::Snapshot* snap = l.NextUnstableSnapshot()) {
    rd->snapshot = *snap;
  }
  // A snapshot is acknowledged (MsgAppResp) like entries: it must be
  // durable first (etcd leaves this to its host's snapshot writer).
  rd->must_sync = MustSync(hs, prev_hard_state_, rd->entries.size()) ||
                  rd->snapshot.has_value();
  prev_hard_state_ = hs;
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

// Async-storage-writes mode: the writes and applies of this Ready become
// messages to the local storage threads, each carrying the responses to
// deliver once it is done (see ready.h). Nothing waits for Advance().
void RawNode::GetReadyAsync(Ready* rd) {
  Raft& r = *raft_;
  RaftLog& l = r.raft_log();
  // Messages to peers that need nothing durable go out at once.
  std::swap(rd->messages, r.msgs());

  SoftState ss = r.GetSoftState();
  if (ss != prev_soft_state_) {
    rd->soft_state = ss;
    prev_soft_state_ = ss;
  }
  std::swap(rd->read_states, r.read_states());

  raftpb::HardState hs = r.GetHardState();
  const bool hs_changed =
      !raftpb::IsEmptyHardState(hs) && hs != prev_hard_state_;
  std::span<const raftpb::Entry> ents = l.NextUnstableEnts();
  const raftpb::Snapshot* snap = l.NextUnstableSnapshot();
  rd->must_sync =
      MustSync(hs, prev_hard_state_, ents.size()) || snap != nullptr;
  prev_hard_state_ = hs;
  if (!ents.empty() || hs_changed || snap != nullptr ||
      !r.msgs_after_append().empty()) {
    raftpb::Message m;
    m.type = raftpb::kMsgStorageAppend;
    m.to = kLocalAppendThread;
    m.from = r.id();
    m.entries.assign(ents.begin(), ents.end());
    if (hs_changed) {
      m.term = hs.term;
      m.vote = hs.vote;
      m.commit = hs.commit;
    }
    if (snap != nullptr) m.snapshot = *snap;
    // The responses that wait for this write: votes and append
    // acknowledgments (to peers and to this node) first, then the
    // acknowledgment of the write itself, so that this node's own
    // MsgAppResp is stepped while the entries are still unstable.
    std::swap(m.responses, r.msgs_after_append());
    if (l.HasNextOrInProgressUnstableEnts() || snap != nullptr) {
      m.responses.push_back(StorageAppendResp(snap));
    }
    rd->messages.push_back(std::move(m));
  }
  r.msgs_after_append().clear();

  std::vector<raftpb::Entry> committed;
  l.NextCommittedEnts(/*allow_unstable=*/false, &committed);
  if (!committed.empty()) {
    raftpb::Message m;
    m.type = raftpb::kMsgStorageApply;
    m.to = kLocalApplyThread;
    m.from = r.id();
    // Committed entries apply under no particular term: term 0.
    raftpb::Message resp;
    resp.type = raftpb::kMsgStorageApplyResp;
    resp.to = r.id();
    resp.from = kLocalApplyThread;
    resp.entries = committed;
    const uint64_t last = committed.back().index;
    const uint64_t size = EntriesSize(committed);
    m.entries = std::move(committed);
    m.responses.push_back(std::move(resp));
    rd->messages.push_back(std::move(m));
    l.AcceptApplying(last, size, /*allow_unstable=*/false);
  }
  l.AcceptUnstable();
}

// The MsgStorageAppendResp of a MsgStorageAppend. It attests the log's last
// (index, term) at the current term, even when this Ready has no entries:
// a response of an earlier term is ignored (the ABA race of ready.h), and
// the next term change emits a MsgStorageAppend whose response then
// stabilizes entries written under the old term.
raftpb::Message RawNode::StorageAppendResp(const raftpb::Snapshot* snap) const {
  const Raft& r = *raft_;
  const RaftLog& l = r.raft_log();
  raftpb::Message resp;
  resp.type = raftpb::kMsgStorageAppendResp;
  resp.to = r.id();
  resp.from = kLocalAppendThread;
  resp.term = r.term();
  if (l.HasNextOrInProgressUnstableEnts()) {
    resp.index = l.LastIndex();
    resp.log_term = l.LastTerm();
  }
  if (snap != nullptr) {
    // Raft needs only the metadata back, not the image.
    resp.snapshot.emplace();
    resp.snapshot->metadata = snap->metadata;
  }
  return resp;
}

void RawNode::Advance() {
  CAIRN_CHECK(!raft_->config().async_storage_writes,
              "Advance must not be called with async storage writes");
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
