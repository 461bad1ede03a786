#include "server/node/node.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "base/check.h"
#include "base/log.h"
#include "proto/raftpb/codec.h"
#include "raft/errors.h"
#include "server/config/ids.h"
#include "server/metrics/server_metrics.h"
#include "server/node/envelope.h"
#include "server/snap/raft_snapshot.h"
#include "server/wal/file_util.h"
#include "server/wal/raft_storage.h"

namespace server {

base::Status ErrTimeout() {
  return base::Status::Unavailable("etcdserver: request timed out");
}
base::Status ErrStopped() {
  return base::Status::Unavailable("etcdserver: server stopped");
}
base::Status ErrNoLeader() {
  return base::Status::Unavailable("etcdserver: no leader");
}
base::Status ErrLeaderChanged() {
  return base::Status::Unavailable("etcdserver: leader changed");
}
base::Status ErrTimeoutDueToLeaderFail() {
  return base::Status::Unavailable(
      "etcdserver: request timed out, possibly due to previous leader "
      "failure");
}

namespace {

constexpr const char* kMetaPrefix = "cairn-member-v1";

// The WAL metadata: who this data dir belongs to and the voters it was
// bootstrapped with (the configuration of the implicit snapshot at 0).
std::string EncodeMetadata(uint64_t member, uint64_t cluster,
                           const std::vector<uint64_t>& voters) {
  std::ostringstream out;
  out << kMetaPrefix << std::hex << " member=" << member
      << " cluster=" << cluster << " voters=";
  for (size_t i = 0; i < voters.size(); ++i) {
    out << (i == 0 ? "" : ",") << voters[i];
  }
  return out.str();
}

base::Status DecodeMetadata(const std::string& meta, uint64_t* member,
                            uint64_t* cluster, std::vector<uint64_t>* voters) {
  std::istringstream in(meta);
  std::string prefix, m, c, v;
  in >> prefix >> m >> c >> v;
  auto bad = [&] {
    return base::Status::DataLoss("WAL metadata is not cairn's: \"" + meta +
                                  "\"");
  };
  if (prefix != kMetaPrefix || m.rfind("member=", 0) != 0 ||
      c.rfind("cluster=", 0) != 0 || v.rfind("voters=", 0) != 0) {
    return bad();
  }
  *member = std::stoull(m.substr(7), nullptr, 16);
  *cluster = std::stoull(c.substr(8), nullptr, 16);
  std::string list = v.substr(7);
  std::istringstream ids(list);
  std::string id;
  while (std::getline(ids, id, ',')) {
    if (!id.empty()) voters->push_back(std::stoull(id, nullptr, 16));
  }
  return base::Status::OK();
}

}  // namespace

// One Ready on its way through the pipeline; shared by the loop and the
// storage thread (which only reads it).
struct Node::ReadyBatch {
  raft::Ready rd;
  // Written in rd.hard_state's place when rd has none (ProcessReady).
  std::optional<raftpb::HardState> hard_state_to_save;
};

Node::Node(uv_loop_t* loop, NodeOptions options, StateMachine* sm)
    : loop_(loop), options_(std::move(options)), sm_(sm) {}

Node::~Node() {
  if (storage_thread_) storage_thread_->Stop();
  if (apply_thread_) apply_thread_->Stop();
  if (snap_thread_) snap_thread_->Stop();
}

uint64_t Node::Deadline(uint64_t timeout_ms) const {
  return NowMs() + (timeout_ms == 0 ? options_.request_timeout_ms : timeout_ms);
}

bool Node::is_leader() const {
  return raw_node_->GetBasicStatus().soft_state.raft_state ==
         raft::StateType::kStateLeader;
}
uint64_t Node::term() const {
  return raw_node_->GetBasicStatus().hard_state.term;
}
uint64_t Node::commit_index() const {
  return raw_node_->GetBasicStatus().hard_state.commit;
}

base::Result<std::unique_ptr<Node>> Node::Open(uv_loop_t* loop,
                                               NodeOptions options,
                                               StateMachine* sm) {
  std::unique_ptr<Node> node(new Node(loop, std::move(options), sm));
  CAIRN_RETURN_IF_ERROR(node->Recover());
  return node;
}

base::Status Node::Recover() {
  const std::string member_dir = options_.data_dir + "/member";
  CAIRN_RETURN_IF_ERROR(wal::CreateDirs(member_dir));
  snapshotter_ = std::make_unique<snap::Snapshotter>(member_dir + "/snap");
  CAIRN_RETURN_IF_ERROR(snapshotter_->Init());

  const bool adopt_ids = options_.member_id == 0 && options_.cluster_id == 0;
  if (adopt_ids) {
    auto files = wal::ListDir(member_dir + "/wal");
    if (!files.ok() || files->empty()) {
      return base::Status::FailedPrecondition(
          "data dir " + options_.data_dir +
          " has no WAL to take the member ID from");
    }
  }
  wal::WalOptions wo;
  wo.dir = member_dir + "/wal";
  wo.segment_bytes = options_.wal_segment_bytes;
  wo.metadata = EncodeMetadata(options_.member_id, options_.cluster_id,
                               options_.initial_voters);
  wal::WalContents contents;
  CAIRN_ASSIGN_OR_RETURN(wal_, wal::Wal::Open(wo, &contents));

  uint64_t member = 0, cluster = 0;
  std::vector<uint64_t> voters;
  CAIRN_RETURN_IF_ERROR(
      DecodeMetadata(contents.metadata, &member, &cluster, &voters));
  if (adopt_ids) {
    options_.member_id = member;
    options_.cluster_id = cluster;
  }
  id_prefix_ = (options_.member_id & 0xffff) << 48;
  if (member != options_.member_id || cluster != options_.cluster_id) {
    return base::Status::FailedPrecondition(
        "data dir " + options_.data_dir + " belongs to member " +
        FormatId(member) + " of cluster " + FormatId(cluster) +
        ", not member " + FormatId(options_.member_id) + " of cluster " +
        FormatId(options_.cluster_id) +
        " (check --name, --initial-cluster and --initial-cluster-token)");
  }

  snap::LoadOptions lo;
  lo.payload_path = member_dir + "/snap/restore.tmp";
  lo.accept = [&contents](uint64_t t, uint64_t i) {
    return contents.HasMarker({i, t});
  };
  std::vector<std::string> skipped;
  auto loaded = snapshotter_->LoadNewest(lo, &skipped);
  for (const std::string& s : skipped) {
    CAIRN_LOG(kWarn, "node", "skipped snapshot %s", s.c_str());
  }
  raftpb::Snapshot snapshot;
  if (loaded.ok()) {
    CAIRN_ASSIGN_OR_RETURN(snapshot,
                           snap::ToRaftSnapshot(std::move(loaded).value()));
    if (sm_->AppliedIndex() < snapshot.metadata.index) {
      CAIRN_LOG(kInfo, "node",
                "restoring state machine from snapshot at index %" PRIu64,
                snapshot.metadata.index);
      CAIRN_RETURN_IF_ERROR(sm_->RestoreSnapshot(lo.payload_path));
    }
  } else if (loaded.status().code() != base::StatusCode::kNotFound) {
    return loaded.status();
  }
  unlink(lo.payload_path.c_str());

  CAIRN_RETURN_IF_ERROR(contents.StartAt(
      wal::WalSnapshot{snapshot.metadata.index, snapshot.metadata.term}));
  if (snapshot.metadata.index == 0) {
    raftpb::ConfState cs;
    cs.voters = voters;
    storage_.SetInitialConfState(cs);
    conf_state_ = cs;
  } else {
    conf_state_ = snapshot.metadata.conf_state;
  }
  CAIRN_RETURN_IF_ERROR(
      wal::LoadIntoMemoryStorage(snapshot, contents, &storage_));
  snapshot_index_ = snapshot.metadata.index;
  // Entries after the snapshot are handed out again; the state machine
  // skips those it has (idempotent by index), and configuration changes
  // among them are applied to raft again.
  submitted_index_ = applied_index_ = snapshot_index_;

  raft::Config config;
  config.id = options_.member_id;
  config.election_tick = options_.election_ticks;
  config.heartbeat_tick = 1;
  config.storage = &storage_;
  config.applied = snapshot_index_;
  config.max_size_per_msg = 1 << 20;
  config.max_committed_size_per_ready = 16 << 20;
  config.max_uncommitted_entries_size = 1 << 30;
  config.max_inflight_msgs = 512;
  config.check_quorum = true;
  config.pre_vote = true;
  config.seed = options_.member_id ^ static_cast<uint64_t>(getpid());
  config.logger = &raft_logger_;
  CAIRN_ASSIGN_OR_RETURN(raw_node_, raft::RawNode::New(std::move(config)));
  CAIRN_LOG(kInfo, "node",
            "member %s of cluster %s recovered: snapshot %" PRIu64
            ", hard state term %" PRIu64 " commit %" PRIu64
            ", state machine at %" PRIu64,
            FormatId(options_.member_id).c_str(),
            FormatId(options_.cluster_id).c_str(), snapshot_index_,
            contents.hard_state.term, contents.hard_state.commit,
            sm_->AppliedIndex());
  return base::Status::OK();
}

namespace {

// The snapshot thread yields the CPU and the disk to the threads a put
// waits for (the loop, the WAL, the applies): nice 10, and the lowest
// best-effort I/O priority (the block scheduler may ignore it). Best-effort
// only: failures change nothing but the priority.
void LowerThisThreadsPriority() {
  const pid_t tid = static_cast<pid_t>(syscall(SYS_gettid));
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(tid), 10);
  constexpr int kIoprioClassBestEffort = 2, kIoprioClassShift = 13,
                kIoprioWhoProcess = 1, kLowestLevel = 7;
  (void)syscall(SYS_ioprio_set, kIoprioWhoProcess, tid,
                (kIoprioClassBestEffort << kIoprioClassShift) | kLowestLevel);
}

}  // namespace

base::Status Node::Start() {
  CAIRN_CHECK(!started_);
  started_ = true;
  auto init = [](int rc, const char* what) {
    return rc < 0 ? base::Status::Internal(std::string(what) + ": " +
                                           uv_strerror(rc))
                  : base::Status::OK();
  };
  CAIRN_RETURN_IF_ERROR(
      init(uv_async_init(loop_, storage_async_.get(), &Node::OnStorageAsync),
           "uv_async_init"));
  storage_async_.MarkInitialized();
  storage_async_->data = this;
  CAIRN_RETURN_IF_ERROR(
      init(uv_async_init(loop_, apply_async_.get(), &Node::OnApplyAsync),
           "uv_async_init"));
  apply_async_.MarkInitialized();
  apply_async_->data = this;
  CAIRN_RETURN_IF_ERROR(
      init(uv_async_init(loop_, snap_async_.get(), &Node::OnSnapAsync),
           "uv_async_init"));
  snap_async_.MarkInitialized();
  snap_async_->data = this;
  CAIRN_RETURN_IF_ERROR(
      init(uv_prepare_init(loop_, prepare_.get()), "uv_prepare_init"));
  prepare_.MarkInitialized();
  prepare_->data = this;
  CAIRN_RETURN_IF_ERROR(init(uv_timer_init(loop_, tick_.get()), "timer"));
  tick_.MarkInitialized();
  tick_->data = this;

  uv_async_t* sa = storage_async_.get();
  uv_async_t* aa = apply_async_.get();
  storage_thread_ = std::make_unique<wal::StorageThread>(
      "cairn-wal", [sa] { uv_async_send(sa); });
  apply_thread_ = std::make_unique<wal::StorageThread>(
      "cairn-apply", [aa] { uv_async_send(aa); });
  uv_async_t* na = snap_async_.get();
  snap_thread_ = std::make_unique<wal::StorageThread>(
      "cairn-snap", [na] { uv_async_send(na); });
  uv_prepare_start(prepare_.get(), &Node::OnPrepare);
  uv_timer_start(tick_.get(), &Node::OnTick, options_.tick_ms,
                 options_.tick_ms);
  // A lone voter need not wait out an election timeout. With peers, the
  // clock is advanced to one tick short of the election timeout (etcd's
  // advanceTicksForElection): a new cluster elects within about one
  // timeout, and a restarted member's pre-vote is harmless.
  if (conf_state_.voters.size() == 1 &&
      conf_state_.voters[0] == options_.member_id) {
    (void)raw_node_->Campaign();
  } else {
    for (int i = 1; i < options_.election_ticks; ++i) raw_node_->Tick();
  }
  return base::Status::OK();
}

void Node::OnPrepare(uv_prepare_t* h) {
  static_cast<Node*>(h->data)->ProcessReady();
}

void Node::OnTick(uv_timer_t* h) {
  auto* node = static_cast<Node*>(h->data);
  node->raw_node_->Tick();
  node->ExpireRequests();
}

void Node::OnStorageAsync(uv_async_t* h) {
  if (h->data == nullptr) return;
  static_cast<Node*>(h->data)->storage_thread_->DrainCompletions();
}

void Node::OnApplyAsync(uv_async_t* h) {
  if (h->data == nullptr) return;
  static_cast<Node*>(h->data)->apply_thread_->DrainCompletions();
}

void Node::OnSnapAsync(uv_async_t* h) {
  if (h->data == nullptr) return;
  static_cast<Node*>(h->data)->snap_thread_->DrainCompletions();
}

void Node::ProcessReady() {
  if (!failed_.ok() || restoring_) return;
  if (ready_in_flight_) {
    // A follower's requests for the leader queued since the Ready in flight
    // was taken need not wait for its write either; once per loop turn
    // they go out together. (A leader's new appends wait: sent with the
    // next Ready they carry more entries each, and the followers write
    // fewer, larger batches.)
    if (!is_leader()) SendEarly(&raw_node_->raft().msgs());
    return;
  }
  if (!raw_node_->HasReady()) return;
  auto batch = std::make_shared<ReadyBatch>();
  raw_node_->GetReady(&batch->rd);
  ready_in_flight_ = true;
  if (batch->rd.soft_state) HandleSoftState(*batch->rd.soft_state);
  if (!batch->rd.read_states.empty()) HandleReadStates(batch->rd.read_states);
  SendEarly(&batch->rd.messages);
  // A hard state that only moves the commit index needs no write of its own
  // (raft requires term, vote and entries to be durable before messages go
  // out; the commit index may lag on disk). It rides with the next write.
  // On recovery a stale commit is harmless: entries are applied only after
  // they are durable, the state machine skips what it has, and
  // wal::LoadIntoMemoryStorage raises the commit to the snapshot index.
  // This saves a storage-thread round trip between a single member's
  // append and the apply of the same entries.
  const bool commit_only = batch->rd.hard_state.has_value() &&
                           !batch->rd.must_sync && batch->rd.entries.empty() &&
                           !batch->rd.snapshot.has_value();
  if (commit_only) unsaved_hard_state_ = batch->rd.hard_state;
  const bool has_writes = !commit_only && (batch->rd.hard_state.has_value() ||
                                           !batch->rd.entries.empty() ||
                                           batch->rd.snapshot.has_value());
  if (!has_writes) {
    OnPersisted(batch, base::Status::OK());
    return;
  }
  if (!batch->rd.hard_state && unsaved_hard_state_) {
    batch->hard_state_to_save = unsaved_hard_state_;
  }
  unsaved_hard_state_.reset();
  wal::Wal* wal = wal_.get();
  snap::Snapshotter* snapshotter = snapshotter_.get();
  storage_thread_->Submit([this, batch, wal, snapshotter]() {
    const raft::Ready& rd = batch->rd;
    base::Status s;
    if (rd.snapshot) {
      // A snapshot from the leader arrives without data: the peer transport
      // received its file into the snap dir before raft saw the MsgSnap.
      const std::string received =
          snapshotter->dir() + "/" +
          snap::SnapshotFileName(rd.snapshot->metadata.term,
                                 rd.snapshot->metadata.index);
      if (!rd.snapshot->data.empty() || access(received.c_str(), F_OK) != 0) {
        s = snap::SaveRaftSnapshot(snapshotter, rd.snapshot->metadata,
                                   rd.snapshot->data.view());
      }
      if (s.ok()) {
        s = wal->SaveSnapshotMarker(
            {rd.snapshot->metadata.index, rd.snapshot->metadata.term});
      }
    }
    if (s.ok()) {
      s = wal->Save(rd.hard_state ? *rd.hard_state
                                  : batch->hard_state_to_save.value_or(
                                        raftpb::HardState{}),
                    rd.entries);
    }
    if (s.ok() && rd.must_sync) s = wal->Sync();
    return [this, batch, s] { OnPersisted(batch, s); };
  });
}

namespace {

// Messages a follower (or candidate) may send before its pending write is
// durable: they forward a client's request to the leader or answer a
// heartbeat, and claim nothing about this member's log or vote.
bool IndependentOfWrite(const raftpb::Message& m) {
  return m.type == raftpb::kMsgProp || m.type == raftpb::kMsgReadIndex ||
         m.type == raftpb::kMsgHeartbeatResp;
}

}  // namespace

void Node::SendEarly(std::vector<raftpb::Message>* msgs) {
  if (msgs->empty() || !options_.send) return;
  // A leader's messages promise nothing about its own disk (thesis 10.2.1):
  // they all go while the write is in flight. Raft queues the responses
  // that do promise durability (MsgAppResp, MsgVoteResp) apart from these
  // until GetReady, and a leader sends none of those but rejections.
  if (is_leader()) {
    options_.send(std::move(*msgs));
    msgs->clear();
    return;
  }
  if (std::none_of(msgs->begin(), msgs->end(), IndependentOfWrite)) return;
  auto rest = std::stable_partition(
      msgs->begin(), msgs->end(),
      [](const raftpb::Message& m) { return !IndependentOfWrite(m); });
  std::vector<raftpb::Message> now(std::make_move_iterator(rest),
                                   std::make_move_iterator(msgs->end()));
  msgs->erase(rest, msgs->end());
  options_.send(std::move(now));
}

void Node::OnPersisted(const std::shared_ptr<ReadyBatch>& batch,
                       const base::Status& status) {
  if (!status.ok()) {
    Fail(status.Annotate("WAL"));
    return;
  }
  raft::Ready& rd = batch->rd;
  if (rd.snapshot) {
    base::Status s = storage_.ApplySnapshot(*rd.snapshot);
    if (!s.ok()) return Fail(s.Annotate("apply snapshot to raft storage"));
    conf_state_ = rd.snapshot->metadata.conf_state;
    // The state machine restores from the snapshot file on the apply thread.
    std::string path = snapshotter_->dir() + "/" +
                       snap::SnapshotFileName(rd.snapshot->metadata.term,
                                              rd.snapshot->metadata.index);
    uint64_t index = rd.snapshot->metadata.index;
    uint64_t snap_term = rd.snapshot->metadata.term;
    apply_thread_->Submit([this, path, index, snap_term]() {
      snap::LoadOptions lo;
      lo.payload_path = path + ".restore";
      auto loaded = snapshotter_->Load(
          snap::SnapshotFile{snap_term, index, "", path}, lo);
      base::Status restored =
          loaded.ok() ? sm_->RestoreSnapshot(lo.payload_path) : loaded.status();
      unlink(lo.payload_path.c_str());
      return [this, index, restored] {
        restoring_ = false;
        if (restored.ok() && options_.on_restored) options_.on_restored(index);
        OnApplied(index, restored, {});
      };
    });
    restoring_ = true;
    submitted_index_ = snapshot_index_ = index;
  }
  if (rd.hard_state) storage_.SetHardState(*rd.hard_state);
  if (!rd.entries.empty()) {
    base::Status s = storage_.Append(rd.entries);
    if (!s.ok()) return Fail(s.Annotate("append to raft storage"));
  }
  if (!rd.messages.empty() && options_.send) {
    options_.send(std::move(rd.messages));
  }
  if (!rd.committed_entries.empty()) {
    for (raftpb::Entry& e : rd.committed_entries) {
      if (e.type == raftpb::kEntryConfChange) {
        base::Status s = ApplyConfChangeEntry(&e);
        if (!s.ok()) return Fail(s.Annotate("conf change entry"));
      } else if (e.type == raftpb::kEntryConfChangeV2) {
        auto cc = raftpb::DecodeConfChangeV2(e.data.view());
        if (!cc.ok()) return Fail(cc.status().Annotate("conf change entry"));
        conf_state_ = raw_node_->ApplyConfChange(*cc);
      }
    }
    SubmitApply(std::move(rd.committed_entries));
  }
  raw_node_->Advance();
  ready_in_flight_ = false;
  MaybeFinishStop();
}

base::Status Node::ApplyConfChangeEntry(raftpb::Entry* e) {
  auto cc = raftpb::DecodeConfChange(e->data.view());
  if (!cc.ok()) return cc.status();
  NodeOptions::ConfChangeResult result;
  if (options_.apply_conf_change) {
    result = options_.apply_conf_change(e->index, conf_state_, &*cc);
  }
  const size_t members_before =
      conf_state_.voters.size() + conf_state_.learners.size();
  conf_state_ = raw_node_->ApplyConfChange(cc->AsV2());
  // A new member starts with an empty log and must be caught up by a
  // snapshot that includes it (raft refuses one whose configuration lacks
  // it; etcd sends a fresh snapshot for the same reason), and the first
  // entries cannot do: a new cluster's configuration is in no entry (it is
  // the implicit snapshot's at index 0). So every member takes a snapshot
  // once it applies an addition; the log is compacted at least past index
  // 0, so raft's leader sends the snapshot rather than appends.
  if (conf_state_.voters.size() + conf_state_.learners.size() >
      members_before) {
    snapshot_wanted_ = true;
  }
  if (!result.state_machine_request.empty()) {
    e->type = raftpb::kEntryNormal;
    e->data = raftpb::Payload(WrapProposal(0, result.state_machine_request));
  }
  auto it = cc->id == 0 ? waiters_.end() : waiters_.find(cc->id);
  if (it != waiters_.end()) {
    OutcomeCallback done = std::move(it->second.done);
    waiters_.erase(it);
    result.outcome.index = e->index;
    done(std::move(result.outcome));
  }
  return base::Status::OK();
}

void Node::HandleSoftState(const raft::SoftState& ss) {
  if (ss.lead != lead_) {
    if (ss.lead == 0) {
      CAIRN_LOG(kWarn, "node", "%s lost its leader at term %" PRIu64,
                FormatId(options_.member_id).c_str(), term());
    } else {
      metrics::Server().leader_changes->Inc();
      CAIRN_LOG(kInfo, "node", "%s sees leader %s at term %" PRIu64,
                FormatId(options_.member_id).c_str(), FormatId(ss.lead).c_str(),
                term());
    }
    // A read round started under the old leader will never be answered.
    if (read_round_ctx_ != 0) {
      for (PendingRead& r : reads_in_round_)
        r.done({0, ErrLeaderChanged(), {}});
      reads_in_round_.clear();
      read_round_ctx_ = 0;
    }
    lead_ = ss.lead;
    if (lead_ != 0) lead_elected_ms_ = NowMs();
    if (lead_ != 0) StartReadRound();
  }
}

void Node::HandleReadStates(const std::vector<raft::ReadState>& states) {
  for (const raft::ReadState& rs : states) {
    if (rs.request_ctx.size() != 8 || read_round_ctx_ == 0) continue;
    uint64_t ctx = 0;
    std::memcpy(&ctx, rs.request_ctx.data(), 8);
    if (ctx != read_round_ctx_) continue;
    for (PendingRead& r : reads_in_round_) {
      reads_confirmed_.emplace(rs.index, std::move(r));
    }
    reads_in_round_.clear();
    read_round_ctx_ = 0;
  }
  ServeReadsUpTo(submitted_index_);
  StartReadRound();
}

void Node::SubmitApply(std::vector<raftpb::Entry> entries) {
  uint64_t last = entries.back().index;
  submitted_index_ = std::max(submitted_index_, last);
  apply_thread_->Submit([this, entries = std::move(entries), last]() {
    std::vector<CommittedEntry> batch;
    std::vector<uint64_t> ids;
    batch.reserve(entries.size());
    base::Status s;
    for (const raftpb::Entry& e : entries) {
      CommittedEntry ce{e.index, e.term, {}};
      uint64_t id = 0;
      if (e.type == raftpb::kEntryNormal && !e.data.empty()) {
        auto p = UnwrapProposal(e.data.view());
        if (!p.ok()) {
          s = p.status();
          break;
        }
        ce.data = p->request;
        id = p->request_id;
      }
      batch.push_back(ce);
      ids.push_back(id);
    }
    std::vector<Outcome> outcomes;
    if (s.ok()) s = sm_->Apply(batch, &outcomes);
    std::vector<std::pair<uint64_t, Outcome>> results;
    if (s.ok()) {
      // Match outcomes (one per applied non-empty entry) to request IDs.
      size_t j = 0;
      for (size_t i = 0; i < batch.size() && j < outcomes.size(); ++i) {
        if (batch[i].index == outcomes[j].index) {
          results.emplace_back(ids[i], std::move(outcomes[j++]));
        }
      }
    }
    return [this, last, s, results = std::move(results)]() mutable {
      OnApplied(last, s, std::move(results));
    };
  });
  ServeReadsUpTo(submitted_index_);
}

void Node::OnApplied(uint64_t last_index, const base::Status& status,
                     std::vector<std::pair<uint64_t, Outcome>> outcomes) {
  if (!status.ok()) {
    Fail(status.Annotate("state machine"));
    return;
  }
  applied_index_ = std::max(applied_index_, last_index);
  for (auto& [id, outcome] : outcomes) {
    if (id == 0) continue;
    auto it = waiters_.find(id);
    if (it == waiters_.end()) continue;  // Another member's, or timed out.
    OutcomeCallback done = std::move(it->second.done);
    waiters_.erase(it);
    done(std::move(outcome));
  }
  MaybeSnapshot();
  MaybeFinishStop();
}

void Node::Propose(std::string_view request, OutcomeCallback done,
                   uint64_t timeout_ms) {
  if (stopping_ || !failed_.ok()) return done({0, ErrStopped(), {}});
  uint64_t id = NextRequestId();
  base::Status s =
      raw_node_->Propose(raftpb::Payload(WrapProposal(id, request)));
  if (!s.ok()) {
    if (s == raft::ErrProposalDroppedNoLeader()) s = ErrNoLeader();
    metrics::Server().proposals_failed->Inc();
    return done({0, s, {}});
  }
  waiters_.emplace(id, Waiter{std::move(done), Deadline(timeout_ms), NowMs()});
}

void Node::ProposeConfChange(raftpb::ConfChange cc, OutcomeCallback done,
                             uint64_t timeout_ms) {
  if (stopping_ || !failed_.ok()) return done({0, ErrStopped(), {}});
  cc.id = NextRequestId();
  base::Status s = raw_node_->ProposeConfChange(cc);
  if (!s.ok()) {
    if (s == raft::ErrProposalDroppedNoLeader()) s = ErrNoLeader();
    return done({0, s, {}});
  }
  waiters_.emplace(cc.id,
                   Waiter{std::move(done), Deadline(timeout_ms), NowMs()});
}

void Node::Read(std::string request, bool linearizable, OutcomeCallback done,
                uint64_t timeout_ms) {
  if (stopping_ || !failed_.ok()) return done({0, ErrStopped(), {}});
  PendingRead read{std::move(request), std::move(done), Deadline(timeout_ms)};
  if (!linearizable) {
    SubmitQuery(std::move(read));
    return;
  }
  reads_next_round_.push_back(std::move(read));
  StartReadRound();
}

void Node::StartReadRound() {
  if (read_round_ctx_ != 0 || reads_next_round_.empty() || lead_ == 0) return;
  read_round_ctx_ = NextRequestId();
  read_round_start_ms_ = NowMs();
  reads_in_round_ = std::move(reads_next_round_);
  reads_next_round_.clear();
  char ctx[8];
  std::memcpy(ctx, &read_round_ctx_, 8);
  raw_node_->ReadIndex(raftpb::Payload(std::string_view(ctx, 8)));
}

void Node::ServeReadsUpTo(uint64_t index) {
  while (!reads_confirmed_.empty() &&
         reads_confirmed_.begin()->first <= index) {
    PendingRead r = std::move(reads_confirmed_.begin()->second);
    reads_confirmed_.erase(reads_confirmed_.begin());
    SubmitQuery(std::move(r));
  }
}

void Node::SubmitQuery(PendingRead read) {
  auto done = std::make_shared<OutcomeCallback>(std::move(read.done));
  apply_thread_->Submit([this, request = std::move(read.request), done]() {
    Outcome o = sm_->Query(request);
    return [done, o = std::move(o)]() mutable { (*done)(std::move(o)); };
  });
}

void Node::ExpireRequests() {
  uint64_t now = NowMs();
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (it->second.deadline_ms <= now) {
      OutcomeCallback done = std::move(it->second.done);
      // etcd's parseProposeCtxErr: a request that started while the
      // previous leader was failing timed out because of it.
      const uint64_t start = it->second.start_ms;
      const uint64_t lost_window =
          2 * static_cast<uint64_t>(options_.election_ticks) * options_.tick_ms;
      const bool leader_failed =
          lead_elected_ms_ > start && start + lost_window > lead_elected_ms_;
      it = waiters_.erase(it);
      metrics::Server().proposals_failed->Inc();
      done({0, leader_failed ? ErrTimeoutDueToLeaderFail() : ErrTimeout(), {}});
    } else {
      ++it;
    }
  }
  auto expire = [now](std::vector<PendingRead>* reads) {
    std::vector<PendingRead> keep;
    for (PendingRead& r : *reads) {
      if (r.deadline_ms <= now) {
        r.done({0, ErrTimeout(), {}});
      } else {
        keep.push_back(std::move(r));
      }
    }
    *reads = std::move(keep);
  };
  expire(&reads_next_round_);
  expire(&reads_in_round_);
  // A round whose MsgReadIndex or answer was lost (the leader's connection
  // was not up yet, or it dropped the request) would hold every later read
  // back: after an election timeout its reads join a new round, and a late
  // answer to the old one is ignored.
  const uint64_t round_patience =
      static_cast<uint64_t>(options_.election_ticks) * options_.tick_ms;
  if (read_round_ctx_ != 0 && (reads_in_round_.empty() ||
                               now >= read_round_start_ms_ + round_patience)) {
    for (PendingRead& r : reads_next_round_) {
      reads_in_round_.push_back(std::move(r));
    }
    reads_next_round_ = std::move(reads_in_round_);
    reads_in_round_.clear();
    read_round_ctx_ = 0;
    StartReadRound();
  }
  for (auto it = reads_confirmed_.begin(); it != reads_confirmed_.end();) {
    if (it->second.deadline_ms <= now) {
      it->second.done({0, ErrTimeout(), {}});
      it = reads_confirmed_.erase(it);
    } else {
      ++it;
    }
  }
}

void Node::MaybeSnapshot() {
  if (snapshot_in_flight_ || stopping_ ||
      (applied_index_ < snapshot_index_ + options_.snapshot_count &&
       !snapshot_wanted_)) {
    return;
  }
  snapshot_wanted_ = false;
  snapshot_in_flight_ = true;
  uint64_t index = submitted_index_;
  raftpb::ConfState cs = conf_state_;
  // Pinned on the apply thread, behind every entry submitted so far.
  apply_thread_->Submit([this, cs, index]() {
    auto pinned = sm_->BeginSnapshot();
    base::Status s = pinned.status();
    if (pinned.ok() && (*pinned)->index() != index) {
      s = base::Status::Internal("state machine snapshot at " +
                                 std::to_string((*pinned)->index()) +
                                 ", expected " + std::to_string(index));
    }
    std::shared_ptr<PinnedSnapshot> p;
    if (s.ok()) p = std::move(pinned).value();
    return [this, cs, index, s, p] {
      if (!s.ok()) return Fail(s.Annotate("snapshot"));
      OnSnapshotPinned(index, cs, p);
    };
  });
}

void Node::OnSnapshotPinned(uint64_t index, const raftpb::ConfState& cs,
                            std::shared_ptr<PinnedSnapshot> pinned) {
  auto term = storage_.Term(index);
  if (!term.ok()) {
    // Compacted meanwhile by a snapshot from the leader: nothing to do.
    return EndSnapshot();
  }
  raftpb::SnapshotMetadata md;
  md.conf_state = cs;
  md.index = index;
  md.term = *term;
  std::string tmp =
      snapshotter_->dir() + "/sm-" + std::to_string(index) + ".tmp";
  snap::Snapshotter* snapshotter = snapshotter_.get();
  // The copy (the whole state, twice: into tmp, then into the snapshot
  // file) runs on the snapshot thread, so neither the WAL's writes nor the
  // applies wait for it.
  snap_thread_->Submit([this, md, tmp, pinned, snapshotter]() {
    LowerThisThreadsPriority();  // idempotent; two syscalls per snapshot
    unlink(tmp.c_str());
    base::Status s = pinned->WriteTo(tmp);
    if (s.ok()) s = snap::SaveRaftSnapshotFromFile(snapshotter, md, tmp);
    unlink(tmp.c_str());
    return [this, md, s] {
      if (!s.ok()) return Fail(s.Annotate("snapshot"));
      OnSnapshotWritten(md);
    };
  });
}

void Node::OnSnapshotWritten(const raftpb::SnapshotMetadata& md) {
  if (md.index <= snapshot_index_) {
    // A snapshot from the leader, newer, was installed while this one was
    // written: its marker must stay the WAL's last. The file is released
    // with the other old ones.
    return EndSnapshot();
  }
  wal::Wal* wal = wal_.get();
  snap::Snapshotter* snapshotter = snapshotter_.get();
  size_t keep = options_.snapshots_to_keep;
  storage_thread_->Submit([this, md, wal, snapshotter, keep]() {
    base::Status s = wal->SaveSnapshotMarker({md.index, md.term});
    if (s.ok()) s = snapshotter->Release(keep);
    if (s.ok()) {
      auto files = snapshotter->List();
      if (files.ok() && !files->empty())
        s = wal->ReleaseTo(files->back().index);
    }
    return [this, md, s] {
      if (!s.ok()) {
        snapshot_in_flight_ = false;
        return Fail(s.Annotate("snapshot"));
      }
      raftpb::ConfState cs = md.conf_state;
      auto created = storage_.CreateSnapshot(md.index, &cs, {});
      if (created.ok()) {
        snapshot_index_ = md.index;
        // At least past index 0 (see ApplyConfChangeEntry).
        (void)storage_.Compact(md.index > options_.catch_up_entries
                                   ? md.index - options_.catch_up_entries
                                   : 1);
        CAIRN_LOG(kInfo, "node", "saved snapshot at index %" PRIu64, md.index);
      }
      EndSnapshot();
    };
  });
}

void Node::EndSnapshot() {
  snapshot_in_flight_ = false;
  if (snapshot_wanted_) MaybeSnapshot();
  MaybeFinishStop();
}

base::Status Node::Step(raftpb::Message m) {
  if (stopping_) return ErrStopped();
  if (m.type == raftpb::kMsgApp && m.index == 0 && snapshot_index_ == 0 &&
      conf_state_.voters.empty() && conf_state_.learners.empty()) {
    CAIRN_LOG(kDebug, "node",
              "%s: waiting for a snapshot from %s (appends from index 1 "
              "dropped)",
              FormatId(options_.member_id).c_str(), FormatId(m.from).c_str());
    return base::Status::OK();
  }
  return raw_node_->Step(std::move(m));
}

void Node::ReportUnreachable(uint64_t id) {
  if (!stopping_) raw_node_->ReportUnreachable(id);
}

void Node::ReportSnapshot(uint64_t id, bool ok) {
  if (stopping_) return;
  raw_node_->ReportSnapshot(id, ok ? raft::SnapshotStatus::kSnapshotFinish
                                   : raft::SnapshotStatus::kSnapshotFailure);
}

void Node::Fail(const base::Status& status) {
  if (!failed_.ok()) return;
  failed_ = status;
  CAIRN_LOG(kError, "node", "fatal: %s", status.ToString().c_str());
  if (options_.on_fatal) options_.on_fatal(status);
}

void Node::Stop(std::function<void()> on_stopped) {
  on_stopped_ = std::move(on_stopped);
  stopping_ = true;
  if (started_) uv_timer_stop(tick_.get());
  MaybeFinishStop();
}

bool Node::Busy() const {
  return started_ &&
         (ready_in_flight_ || snapshot_in_flight_ ||
          storage_thread_->PendingJobs() > 0 ||
          apply_thread_->PendingJobs() > 0 || snap_thread_->PendingJobs() > 0 ||
          storage_thread_->QueuedCompletions() > 0 ||
          apply_thread_->QueuedCompletions() > 0 ||
          snap_thread_->QueuedCompletions() > 0);
}

void Node::MaybeFinishStop() {
  if (!stopping_ || !on_stopped_) return;
  if (failed_.ok() && Busy()) return;  // Finish in-flight work first.
  if (!started_) return FinishStop();
  // Tear down from a timer callback: threads must not be stopped from one
  // of their own completions.
  uv_timer_start(tick_.get(), &Node::OnStopTimer, 0, 0);
}

void Node::OnStopTimer(uv_timer_t* h) {
  auto* node = static_cast<Node*>(h->data);
  if (node->failed_.ok() && node->Busy()) return;  // Re-armed by completions.
  node->FinishStop();
}

void Node::FinishStop() {
  if (!on_stopped_) return;
  for (auto& [id, w] : waiters_) w.done({0, ErrStopped(), {}});
  waiters_.clear();
  for (PendingRead& r : reads_next_round_) r.done({0, ErrStopped(), {}});
  for (PendingRead& r : reads_in_round_) r.done({0, ErrStopped(), {}});
  for (auto& [i, r] : reads_confirmed_) r.done({0, ErrStopped(), {}});
  reads_next_round_.clear();
  reads_in_round_.clear();
  reads_confirmed_.clear();
  if (started_) {
    storage_thread_->Stop();
    apply_thread_->Stop();
    snap_thread_->Stop();
    // Completions left after a failure are dropped: the member is exiting.
    prepare_.Close();
    tick_.Close();
    storage_async_.Close();
    apply_async_.Close();
    snap_async_.Close();
  }
  auto cb = std::move(on_stopped_);
  on_stopped_ = nullptr;
  cb();
}

}  // namespace server
