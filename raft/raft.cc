#include "raft/raft.h"

#include <algorithm>
#include <utility>

#include "base/check.h"
#include "proto/raftpb/codec.h"
#include "raft/errors.h"
#include "raft/util.h"

namespace raft {

using raftpb::Entry;
using raftpb::Message;
using raftpb::MessageType;
using tracker::Progress;

namespace {

using ull = unsigned long long;
inline ull U(uint64_t v) { return static_cast<ull>(v); }

const char* TypeName(MessageType t) { return raftpb::MessageTypeCName(t); }

MessageType VoteRespMsgType(MessageType t) {
  switch (t) {
    case raftpb::kMsgVote:
      return raftpb::kMsgVoteResp;
    case raftpb::kMsgPreVote:
      return raftpb::kMsgPreVoteResp;
    default:
      CAIRN_CHECK(false, "not a vote message: %s", TypeName(t));
      return t;
  }
}

uint64_t PayloadsSize(const std::vector<Entry>& ents) {
  uint64_t s = 0;
  for (const Entry& e : ents) s += raftpb::PayloadSize(e);
  return s;
}

}  // namespace

std::string_view CampaignTypeName(CampaignType t) {
  switch (t) {
    case CampaignType::kCampaignPreElection:
      return "CampaignPreElection";
    case CampaignType::kCampaignElection:
      return "CampaignElection";
    case CampaignType::kCampaignTransfer:
      return "CampaignTransfer";
  }
  return "CampaignUnknown";
}

// ---- Construction ----

base::Result<std::unique_ptr<Raft>> Raft::New(Config config) {
  CAIRN_RETURN_IF_ERROR(config.Validate());
  std::unique_ptr<Raft> r(new Raft(std::move(config)));
  CAIRN_RETURN_IF_ERROR(r->Init());
  return r;
}

Raft::Raft(Config config)
    : config_(std::move(config)),
      id_(config_.id),
      max_msg_size_(config_.max_size_per_msg),
      max_uncommitted_size_(config_.max_uncommitted_entries_size),
      trk_(static_cast<size_t>(config_.max_inflight_msgs),
           config_.max_inflight_bytes),
      read_only_(config_.read_only_option),
      check_quorum_(config_.check_quorum),
      pre_vote_(config_.pre_vote),
      heartbeat_timeout_(config_.heartbeat_tick),
      election_timeout_(config_.election_tick),
      disable_proposal_forwarding_(config_.disable_proposal_forwarding),
      rand_(config_.seed != 0 ? config_.seed
                              : 0x9e3779b97f4a7c15ULL * config_.id),
      logger_(config_.logger != nullptr ? config_.logger : &discard_logger_) {}

base::Status Raft::Init() {
  Storage* storage = config_.storage;
  // Fail cleanly (not abort) when storage cannot even report its bounds.
  CAIRN_RETURN_IF_ERROR(storage->FirstIndex().status());
  CAIRN_RETURN_IF_ERROR(storage->LastIndex().status());
  CAIRN_ASSIGN_OR_RETURN(PersistentState st, storage->InitialState());
  raft_log_ = std::make_unique<RaftLog>(storage, logger_,
                                        config_.max_committed_size_per_ready);
  // Restore the configuration.
  base::Result<confchange::Changed> cfg =
      confchange::Restore(trk_, raft_log_->LastIndex(), st.conf_state);
  if (!cfg.ok()) {
    return base::Status::FailedPrecondition(
        "raft: cannot restore the stored configuration " +
        DescribeConfState(st.conf_state) + ": " + cfg.status().message());
  }
  SwitchToConfig(*cfg);

  if (!raftpb::IsEmptyHardState(st.hard_state)) {
    raftpb::HardState hs = st.hard_state;
    uint64_t last = raft_log_->LastIndex();
    if (hs.commit > last) {
      return base::Status::FailedPrecondition(
          "raft: stored commit " + std::to_string(hs.commit) +
          " is out of range [" + std::to_string(raft_log_->committed()) + ", " +
          std::to_string(last) + "]");
    }
    // A stored snapshot holds only committed state, so a stored commit
    // below it (async storage writes: the snapshot can be durable before
    // the hard state written with a later append) is raised to it.
    if (hs.commit < raft_log_->committed()) {
      logger_->Infof(
          "%llx raises the stored commit %llu to the snapshot's %llu", U(id_),
          U(hs.commit), U(raft_log_->committed()));
      hs.commit = raft_log_->committed();
    }
    LoadState(hs);
  }
  if (config_.applied > 0) {
    if (config_.applied > raft_log_->LastIndex()) {
      return base::Status::FailedPrecondition(
          "raft: config applied " + std::to_string(config_.applied) +
          " is above the stored log's last index " +
          std::to_string(raft_log_->LastIndex()));
    }
    // Only committed entries are ever applied, so an applied index above
    // the stored commit (async storage writes: the apply thread may finish
    // before the append thread writes the commit index) proves those
    // entries committed: raise the commit to it.
    if (config_.applied > raft_log_->committed()) {
      logger_->Infof("%llx raises the stored commit %llu to applied %llu",
                     U(id_), U(raft_log_->committed()), U(config_.applied));
      raft_log_->set_committed(config_.applied);
    }
    if (config_.applied > raft_log_->applied()) {
      raft_log_->AppliedTo(config_.applied, 0);
    }
  }
  BecomeFollower(term_, kNone);

  std::string peers;
  for (uint64_t n : trk_.VoterNodes()) {
    if (!peers.empty()) peers += ",";
    char buf[24];
    std::snprintf(buf, sizeof(buf), "%llx", U(n));
    peers += buf;
  }
  logger_->Infof(
      "newRaft %llx [peers: [%s], term: %llu, commit: %llu, applied: %llu, "
      "lastindex: %llu, lastterm: %llu]",
      U(id_), peers.c_str(), U(term_), U(raft_log_->committed()),
      U(raft_log_->applied()), U(raft_log_->LastIndex()),
      U(raft_log_->LastTerm()));
  return base::Status();
}

void Raft::LoadState(const raftpb::HardState& hs) {
  CAIRN_CHECK(hs.commit >= raft_log_->committed() &&
                  hs.commit <= raft_log_->LastIndex(),
              "%llx state.commit %llu is out of range [%llu, %llu]", U(id_),
              U(hs.commit), U(raft_log_->committed()),
              U(raft_log_->LastIndex()));
  raft_log_->set_committed(hs.commit);
  term_ = hs.term;
  vote_ = hs.vote;
}

// ---- Messages out ----

std::vector<Message> Raft::ReadMessages() {
  std::vector<Message> out = std::move(msgs_);
  msgs_.clear();
  for (Message& m : msgs_after_append_) out.push_back(std::move(m));
  msgs_after_append_.clear();
  return out;
}

void Raft::RecycleMessages(std::vector<Message>* msgs) {
  // Enough spare vectors for a few rounds of MsgApps to every follower.
  const size_t max_spare = 4 * trk_.progress.size() + 8;
  for (Message& m : *msgs) {
    if (m.entries.capacity() == 0 || spare_entry_vecs_.size() >= max_spare) {
      continue;
    }
    m.entries.clear();
    spare_entry_vecs_.push_back(std::move(m.entries));
  }
  msgs->clear();
}

void Raft::Send(Message m) {
  if (m.from == kNone) m.from = id_;
  if (m.type == raftpb::kMsgVote || m.type == raftpb::kMsgVoteResp ||
      m.type == raftpb::kMsgPreVote || m.type == raftpb::kMsgPreVoteResp) {
    CAIRN_CHECK(m.term != 0, "term should be set when sending %s",
                TypeName(m.type));
  } else {
    CAIRN_CHECK(m.term == 0,
                "term should not be set when sending %s (was %llu)",
                TypeName(m.type), U(m.term));
    // Proposals and ReadIndex requests are forwarded to the leader as if
    // they were local: they carry no term.
    if (m.type != raftpb::kMsgProp && m.type != raftpb::kMsgReadIndex) {
      m.term = term_;
    }
  }
  // Responses that promise durable state (an append, a vote) go after
  // everything else, so a host may send the rest before its write is done
  // (thesis 3.8: persist before responding). In async-storage-writes mode
  // they ride in the next MsgStorageAppend and are delivered only once
  // every write handed out so far is durable; there the node also sends
  // itself its own vote and append acknowledgments this way.
  if (m.type == raftpb::kMsgAppResp || m.type == raftpb::kMsgVoteResp ||
      m.type == raftpb::kMsgPreVoteResp) {
    CAIRN_CHECK(m.to != id_ || config_.async_storage_writes,
                "message should not be self-addressed when sending %s",
                TypeName(m.type));
    msgs_after_append_.push_back(std::move(m));
  } else {
    CAIRN_CHECK(m.to != id_,
                "message should not be self-addressed when sending %s",
                TypeName(m.type));
    msgs_.push_back(std::move(m));
  }
}

bool Raft::MaybeSendAppend(uint64_t to, bool send_if_empty) {
  auto it = trk_.progress.find(to);
  if (it == trk_.progress.end()) return false;
  Progress& pr = it->second;
  if (pr.IsPaused()) return false;

  uint64_t prev_index = pr.next - 1;
  base::Result<uint64_t> prev_term = raft_log_->Term(prev_index);
  if (!prev_term.ok()) {
    // The log was compacted past pr.next: only a snapshot can catch the
    // follower up.
    return MaybeSendSnapshot(to, pr);
  }
  Message m;
  m.type = raftpb::kMsgApp;
  m.to = to;
  // In a throttled StateReplicate only an empty MsgApp goes out, so an
  // acknowledgment (or rejection) eventually frees the window even if all
  // in-flight messages were lost.
  if ((pr.state != tracker::StateType::kStateReplicate ||
       !pr.inflights.Full()) &&
      pr.next <= raft_log_->LastIndex()) {
    // Entries to send: reuse a recycled vector if there is one.
    if (!spare_entry_vecs_.empty()) {
      m.entries = std::move(spare_entry_vecs_.back());
      spare_entry_vecs_.pop_back();
    }
    base::Status s = raft_log_->Entries(pr.next, max_msg_size_, &m.entries);
    if (!s.ok()) return MaybeSendSnapshot(to, pr);
  }
  if (m.entries.empty() && !send_if_empty) {
    if (m.entries.capacity() != 0) {
      spare_entry_vecs_.push_back(std::move(m.entries));
    }
    return false;
  }
  m.index = prev_index;
  m.log_term = *prev_term;
  m.commit = raft_log_->committed();
  size_t n = m.entries.size();
  uint64_t bytes = PayloadsSize(m.entries);
  Send(std::move(m));
  pr.UpdateOnEntriesSend(n, bytes, raft_log_->committed());
  return true;
}

bool Raft::MaybeSendSnapshot(uint64_t to, Progress& pr) {
  if (!pr.recent_active) {
    logger_->Debugf(
        "ignore sending snapshot to %llx since it is not recently active",
        U(to));
    return false;
  }
  base::Result<raftpb::Snapshot> snap = raft_log_->Snapshot();
  if (!snap.ok()) {
    CAIRN_CHECK(snap.status() == ErrSnapshotTemporarilyUnavailable(),
                "%llx: storage Snapshot failed: %s", U(id_),
                snap.status().ToString().c_str());
    logger_->Debugf(
        "%llx failed to send snapshot to %llx because snapshot is "
        "temporarily unavailable",
        U(id_), U(to));
    return false;
  }
  CAIRN_CHECK(!raftpb::IsEmptySnap(*snap), "need non-empty snapshot");
  uint64_t sindex = snap->metadata.index;
  uint64_t sterm = snap->metadata.term;
  logger_->Debugf(
      "%llx [firstindex: %llu, commit: %llu] sent snapshot[index: %llu, "
      "term: %llu] to %llx [%s]",
      U(id_), U(raft_log_->FirstIndex()), U(raft_log_->committed()), U(sindex),
      U(sterm), U(to), pr.String().c_str());
  pr.BecomeSnapshot(sindex);
  logger_->Debugf("%llx paused sending replication messages to %llx [%s]",
                  U(id_), U(to), pr.String().c_str());
  Message m;
  m.type = raftpb::kMsgSnap;
  m.to = to;
  m.snapshot = std::move(snap).value();
  Send(std::move(m));
  return true;
}

void Raft::SendHeartbeat(uint64_t to, const raftpb::Payload& ctx) {
  auto it = trk_.progress.find(to);
  if (it == trk_.progress.end()) return;
  Progress& pr = it->second;
  // A follower must not learn a commit index beyond what it has matched:
  // its log may not contain (or may disagree on) those entries.
  uint64_t commit = pr.HeartbeatCommit(raft_log_->committed());
  Message m;
  m.type = raftpb::kMsgHeartbeat;
  m.to = to;
  m.commit = commit;
  m.context = ctx;
  Send(std::move(m));
  pr.sent_commit = std::max(pr.sent_commit, commit);
}

void Raft::SendTimeoutNow(uint64_t to) {
  Message m;
  m.type = raftpb::kMsgTimeoutNow;
  m.to = to;
  Send(std::move(m));
}

void Raft::BcastAppend() {
  for (auto& [id, pr] : trk_.progress) {
    if (id == id_) continue;
    MaybeSendAppend(id, true);
  }
}

void Raft::BcastHeartbeat() {
  // Every broadcast is a round: it confirms leadership for the reads that
  // arrived before it and renews the lease (read_only.h).
  raftpb::Payload ctx = read_only_.StartRound(id_, ticks_);
  for (auto& [id, pr] : trk_.progress) {
    if (id == id_) continue;
    SendHeartbeat(id, ctx);
  }
}

// ---- Commit and append ----

bool Raft::MaybeCommit() {
  uint64_t index = trk_.Committed();
  if (config_.testing_knobs.commit_prior_term_by_count) {
    // Planted bug: commit whatever a quorum holds, whatever its term
    // (violates paper 5.4.2 / Figure 8).
    if (index > raft_log_->committed() && index <= raft_log_->LastIndex()) {
      raft_log_->CommitTo(index);
      return true;
    }
    return false;
  }
  // Paper 5.4.2: only entries of the leader's term are committed by
  // counting replicas; earlier ones are committed with them.
  return raft_log_->MaybeCommit(index, term_);
}

bool Raft::IncreaseUncommittedSize(const std::vector<Entry>& ents) {
  uint64_t s = PayloadsSize(ents);
  // An empty uncommitted tail accepts any proposal; empty entries (the
  // leader's no-op, leaving a joint config) are always accepted.
  if (uncommitted_size_ > 0 && s > 0 &&
      uncommitted_size_ + s > max_uncommitted_size_) {
    return false;
  }
  uncommitted_size_ += s;
  return true;
}

void Raft::ReduceUncommittedSize(uint64_t size) {
  // uncommitted_size_ may underestimate but never overestimate; saturate.
  uncommitted_size_ = size > uncommitted_size_ ? 0 : uncommitted_size_ - size;
}

bool Raft::AppendEntry(std::vector<Entry>& es) {
  uint64_t li = raft_log_->LastIndex();
  for (size_t i = 0; i < es.size(); ++i) {
    es[i].term = term_;
    es[i].index = li + 1 + i;
  }
  if (!IncreaseUncommittedSize(es)) {
    logger_->Warningf(
        "%llx appending new entries to log would exceed uncommitted entry "
        "size limit; dropping proposal",
        U(id_));
    return false;
  }
  li = raft_log_->Append(es);
  if (config_.async_storage_writes) {
    // The leader's own entries count toward the quorum only once they are
    // durable: it acknowledges them to itself through the append thread
    // (the response is delivered after the MsgStorageAppend carrying
    // them is written), and StepLeaderAppResp then updates its match.
    Message ack;
    ack.type = raftpb::kMsgAppResp;
    ack.to = id_;
    ack.index = li;
    Send(std::move(ack));
    return true;
  }
  // Sync mode: the leader's own entries count toward the quorum at once:
  // the host persists them (Ready.entries) before it sends anything or
  // applies the entries, so nothing is observable before they are durable.
  auto it = trk_.progress.find(id_);
  if (it != trk_.progress.end()) it->second.MaybeUpdate(li);
  MaybeCommit();
  return true;
}

// ---- Role transitions ----

void Raft::Reset(uint64_t term) {
  if (term_ != term) {
    term_ = term;
    vote_ = kNone;
  }
  lead_ = kNone;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  ResetRandomizedElectionTimeout();
  AbortLeaderTransfer();
  trk_.ResetVotes();
  uint64_t last = raft_log_->LastIndex();
  for (auto& [id, pr] : trk_.progress) {
    pr.match = 0;
    pr.next = last + 1;
    pr.sent_commit = 0;
    pr.state = tracker::StateType::kStateProbe;
    pr.pending_snapshot = 0;
    pr.recent_active = false;
    pr.msg_app_flow_paused = false;
    pr.inflights.Reset();
    if (id == id_) pr.match = last;
  }
  pending_conf_index_ = 0;
  uncommitted_size_ = 0;
  read_only_ = ReadOnly(read_only_.option());
}

void Raft::ResetRandomizedElectionTimeout() {
  std::uniform_int_distribution<int> dist(0, election_timeout_ - 1);
  randomized_election_timeout_ = election_timeout_ + dist(rand_);
}

void Raft::BecomeFollower(uint64_t term, uint64_t lead) {
  step_ = &Raft::StepFollower;
  Reset(term);
  tick_ = &Raft::TickElection;
  lead_ = lead;
  state_ = StateType::kStateFollower;
  logger_->Infof("%llx became follower at term %llu", U(id_), U(term_));
}

void Raft::BecomeCandidate() {
  CAIRN_CHECK(state_ != StateType::kStateLeader,
              "invalid transition [leader -> candidate]");
  step_ = &Raft::StepCandidate;
  Reset(term_ + 1);
  tick_ = &Raft::TickElection;
  vote_ = id_;
  state_ = StateType::kStateCandidate;
  logger_->Infof("%llx became candidate at term %llu", U(id_), U(term_));
}

void Raft::BecomePreCandidate() {
  CAIRN_CHECK(state_ != StateType::kStateLeader,
              "invalid transition [leader -> pre-candidate]");
  // A pre-candidate changes neither term nor vote (thesis 9.6).
  step_ = &Raft::StepCandidate;
  trk_.ResetVotes();
  tick_ = &Raft::TickElection;
  lead_ = kNone;
  state_ = StateType::kStatePreCandidate;
  logger_->Infof("%llx became pre-candidate at term %llu", U(id_), U(term_));
}

void Raft::BecomeLeader() {
  CAIRN_CHECK(state_ != StateType::kStateFollower,
              "invalid transition [follower -> leader]");
  step_ = &Raft::StepLeader;
  Reset(term_);
  tick_ = &Raft::TickHeartbeat;
  lead_ = id_;
  state_ = StateType::kStateLeader;
  auto it = trk_.progress.find(id_);
  if (it != trk_.progress.end()) {
    // The leader trivially replicates to itself, and is always active.
    it->second.BecomeReplicate();
    it->second.recent_active = true;
  }
  // The latest configuration change in the log that is not applied yet
  // (committed or not), if any, is pending. Scanning the tail, rather than
  // assuming a change up to the last index as etcd does, keeps a new leader
  // whose applied index lags from refusing valid changes (etcd-io/raft#80).
  pending_conf_index_ =
      LastConfChangeIndex(raft_log_->applied() + 1, raft_log_->LastIndex() + 1);
  // An empty entry of the new term (thesis 6.4: commits the entries of
  // earlier terms and lets reads proceed). Its payload size is 0, so it
  // never counts against the uncommitted limit.
  std::vector<Entry> empty(1);
  bool ok = AppendEntry(empty);
  CAIRN_CHECK(ok, "empty entry was dropped");
  logger_->Infof("%llx became leader at term %llu", U(id_), U(term_));
}

bool Raft::Promotable() const {
  auto it = trk_.progress.find(id_);
  return it != trk_.progress.end() && !it->second.is_learner &&
         !raft_log_->HasNextOrInProgressSnapshot();
}

bool Raft::HasUnappliedConfChanges() const {
  if (raft_log_->applied() >= raft_log_->committed()) return false;
  return LastConfChangeIndex(raft_log_->applied() + 1,
                             raft_log_->committed() + 1) != 0;
}

uint64_t Raft::LastConfChangeIndex(uint64_t lo, uint64_t hi) const {
  // Page by page, so memory stays bounded however long the range is.
  uint64_t page = config_.max_committed_size_per_ready;
  uint64_t found = 0;
  std::vector<Entry> ents;
  while (lo < hi) {
    ents.clear();
    base::Status s = raft_log_->Slice(lo, hi, page, &ents);
    CAIRN_CHECK(s.ok(), "error scanning entries [%llu, %llu): %s", U(lo), U(hi),
                s.ToString().c_str());
    for (const Entry& e : ents) {
      if (e.type == raftpb::kEntryConfChange ||
          e.type == raftpb::kEntryConfChangeV2) {
        found = e.index;
      }
    }
    lo += ents.size();
  }
  return found;
}

void Raft::Hup(CampaignType t) {
  if (state_ == StateType::kStateLeader) {
    logger_->Debugf("%llx ignoring MsgHup because already leader", U(id_));
    return;
  }
  if (!Promotable()) {
    logger_->Warningf("%llx is unpromotable and can not campaign", U(id_));
    return;
  }
  if (HasUnappliedConfChanges()) {
    logger_->Warningf(
        "%llx cannot campaign at term %llu since there are still pending "
        "configuration changes to apply",
        U(id_), U(term_));
    return;
  }
  logger_->Infof("%llx is starting a new election at term %llu", U(id_),
                 U(term_));
  Campaign(t);
}

void Raft::Campaign(CampaignType t) {
  uint64_t term;
  MessageType vote_msg;
  if (t == CampaignType::kCampaignPreElection) {
    BecomePreCandidate();
    vote_msg = raftpb::kMsgPreVote;
    // PreVotes are sent for the next term, before the term is incremented.
    term = term_ + 1;
  } else {
    BecomeCandidate();
    vote_msg = raftpb::kMsgVote;
    term = term_;
  }
  if (config_.async_storage_writes) {
    // The vote requests go out before the candidate's term and vote are
    // durable, so its own vote counts only once they are: it sends the
    // vote to itself through the append thread (a single voter wins when
    // that response arrives).
    Message self;
    self.type = VoteRespMsgType(vote_msg);
    self.to = id_;
    self.term = term;
    Send(std::move(self));
  } else if (Poll(id_, VoteRespMsgType(vote_msg), true) ==
             quorum::VoteResult::kVoteWon) {
    // Sync mode: the vote is part of the hard state the host persists
    // before sending the requests, so it counts at once, and a single
    // voter wins here.
    if (t == CampaignType::kCampaignPreElection) {
      Campaign(CampaignType::kCampaignElection);
    } else {
      BecomeLeader();
    }
    return;
  }
  uint64_t last_index = raft_log_->LastIndex();
  uint64_t last_term = raft_log_->LastTerm();
  for (uint64_t id : trk_.VoterNodes()) {
    if (id == id_) continue;
    logger_->Infof(
        "%llx [logterm: %llu, index: %llu] sent %s request to %llx at term "
        "%llu",
        U(id_), U(last_term), U(last_index), TypeName(vote_msg), U(id),
        U(term_));
    Message m;
    m.type = vote_msg;
    m.to = id;
    m.term = term;
    m.index = last_index;
    m.log_term = last_term;
    if (t == CampaignType::kCampaignTransfer) {
      m.context = raftpb::Payload(CampaignTypeName(t));
    }
    Send(std::move(m));
  }
}

quorum::VoteResult Raft::Poll(uint64_t id, MessageType t, bool v) {
  if (v) {
    logger_->Infof("%llx received %s from %llx at term %llu", U(id_),
                   TypeName(t), U(id), U(term_));
  } else {
    logger_->Infof("%llx received %s rejection from %llx at term %llu", U(id_),
                   TypeName(t), U(id), U(term_));
  }
  trk_.RecordVote(id, v);
  int granted = 0;
  int rejected = 0;
  return trk_.TallyVotes(&granted, &rejected);
}

// ---- Tick ----

void Raft::Tick() {
  ++ticks_;
  (this->*tick_)();
}

void Raft::TickQuiesced() {
  ++ticks_;
  ++election_elapsed_;
}

void Raft::TickElection() {
  ++election_elapsed_;
  if (Promotable() && PastElectionTimeout()) {
    election_elapsed_ = 0;
    Message m;
    m.type = raftpb::kMsgHup;
    m.from = id_;
    base::Status s = StepRef(m);
    if (!s.ok()) {
      logger_->Debugf("error occurred during election: %s",
                      s.ToString().c_str());
    }
  }
}

void Raft::TickHeartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= election_timeout_) {
    election_elapsed_ = 0;
    if (check_quorum_) {
      Message m;
      m.type = raftpb::kMsgCheckQuorum;
      m.from = id_;
      (void)StepRef(m);
    }
    // A transfer that did not finish within an election timeout is
    // abandoned (thesis 3.10).
    if (state_ == StateType::kStateLeader && lead_transferee_ != kNone) {
      logger_->Infof(
          "%llx [term %llu] abort transferring leadership to %llx: not done "
          "within an election timeout",
          U(id_), U(term_), U(lead_transferee_));
      AbortLeaderTransfer();
    }
  }
  if (state_ != StateType::kStateLeader) return;
  if (heartbeat_elapsed_ >= heartbeat_timeout_) {
    heartbeat_elapsed_ = 0;
    Message m;
    m.type = raftpb::kMsgBeat;
    m.from = id_;
    (void)StepRef(m);
  }
}

// ---- Step ----

base::Status Raft::Step(Message m) { return StepRef(m); }

base::Status Raft::StepRef(Message& m) {
  CAIRN_RETURN_IF_ERROR(CheckMessage(m));
  bool done = false;
  CAIRN_RETURN_IF_ERROR(StepByTerm(m, &done));
  if (done) return base::Status();

  switch (m.type) {
    case raftpb::kMsgHup:
      Hup(pre_vote_ ? CampaignType::kCampaignPreElection
                    : CampaignType::kCampaignElection);
      return base::Status();
    case raftpb::kMsgVote:
    case raftpb::kMsgPreVote:
      StepVoteRequest(m);
      return base::Status();
    case raftpb::kMsgStorageAppendResp:
      if (!config_.async_storage_writes) return ErrStepLocalResponseMsg();
      // The snapshot comes before the entries in the unstable log:
      // acknowledge it first, then the entries.
      if (m.snapshot) AppliedSnap(*m.snapshot);
      if (m.index != 0) raft_log_->StableTo(m.index, m.log_term);
      return base::Status();
    case raftpb::kMsgStorageApplyResp:
      if (!config_.async_storage_writes) return ErrStepLocalResponseMsg();
      if (!m.entries.empty()) {
        uint64_t size = 0;
        for (const Entry& e : m.entries) size += raftpb::EntrySize(e);
        ReduceUncommittedSize(PayloadsSize(m.entries));
        AppliedTo(m.entries.back().index, size);
      }
      return base::Status();
    default:
      return (this->*step_)(m);
  }
}

// A peer with a bug, or garbage that decoded, must not abort this node or
// break its invariants (design.md: a bad peer frame never crashes a
// process); etcd/raft trusts its peers and panics instead. Each check
// refuses, before any state changes, what no correct node sends.
base::Status Raft::CheckMessage(const Message& m) const {
  auto bad = [&m](const char* why) {
    return base::Status::InvalidArgument(
        std::string("raft: malformed ") + raftpb::MessageTypeName(m.type) +
        " from " + std::to_string(m.from) + ": " + why);
  };
  if (m.type == raftpb::kMsgProp && m.entries.empty()) {
    return bad("proposal without entries");
  }
  if (m.type == raftpb::kMsgReadIndex && m.entries.empty()) {
    return bad("read request without a context entry");
  }
  if (m.term != 0 && m.snapshot && m.snapshot->metadata.term > m.term) {
    return bad("snapshot term above message term");
  }
  if (m.type == raftpb::kMsgApp) {
    for (size_t i = 0; i < m.entries.size(); ++i) {
      const Entry& e = m.entries[i];
      if (e.index != m.index + 1 + i) return bad("entries not contiguous");
      if (e.term > m.term) return bad("entry term above message term");
      if (e.term < (i == 0 ? m.log_term : m.entries[i - 1].term)) {
        return bad("entry terms decrease");
      }
    }
  }
  // A stale message is dropped by StepByTerm whatever it claims.
  if (m.term < term_) return base::Status();
  const uint64_t last = raft_log_->LastIndex();
  if (m.type == raftpb::kMsgAppResp && !m.reject && m.term == term_ &&
      m.index > last) {
    return bad("acknowledges entries past the last index");
  }
  if (m.type == raftpb::kMsgHeartbeat && m.commit > last) {
    return bad("commit index past the last index");
  }
  return base::Status();
}

// The term checks common to all roles (paper 5.1). Sets *done when the
// message was fully handled.
base::Status Raft::StepByTerm(Message& m, bool* done) {
  if (m.term == 0) return base::Status();  // A local message.
  if (m.term > term_) {
    if (m.type == raftpb::kMsgVote || m.type == raftpb::kMsgPreVote) {
      bool force =
          m.context == CampaignTypeName(CampaignType::kCampaignTransfer);
      bool in_lease = check_quorum_ && lead_ != kNone &&
                      election_elapsed_ < election_timeout_;
      if (!force && in_lease) {
        // Thesis 4.2.3: a server that heard from a current leader within
        // the minimum election timeout neither updates its term nor votes.
        logger_->Infof(
            "%llx [logterm: %llu, index: %llu, vote: %llx] ignored %s from "
            "%llx [logterm: %llu, index: %llu] at term %llu: lease is not "
            "expired (remaining ticks: %d)",
            U(id_), U(raft_log_->LastTerm()), U(raft_log_->LastIndex()),
            U(vote_), TypeName(m.type), U(m.from), U(m.log_term), U(m.index),
            U(term_), election_timeout_ - election_elapsed_);
        *done = true;
        return base::Status();
      }
    }
    if (m.type == raftpb::kMsgPreVote) {
      // Never change the term in response to a PreVote.
    } else if (m.type == raftpb::kMsgPreVoteResp && !m.reject) {
      // A granted PreVote carries the future term we asked for; the term
      // changes only when the pre-vote is won.
    } else {
      logger_->Infof(
          "%llx [term: %llu] received a %s message with higher term from "
          "%llx [term: %llu]",
          U(id_), U(term_), TypeName(m.type), U(m.from), U(m.term));
      if (m.type == raftpb::kMsgApp || m.type == raftpb::kMsgHeartbeat ||
          m.type == raftpb::kMsgSnap) {
        BecomeFollower(m.term, m.from);
      } else {
        BecomeFollower(m.term, kNone);
      }
    }
    return base::Status();
  }
  if (m.term < term_) {
    *done = true;
    if ((check_quorum_ || pre_vote_) &&
        (m.type == raftpb::kMsgHeartbeat || m.type == raftpb::kMsgApp)) {
      // A leader of an older term: maybe our term rose while we were
      // partitioned. With check_quorum or pre_vote our vote requests may
      // never raise the others' terms, so tell this leader about our term
      // (it steps down and a fresh election follows).
      Message resp;
      resp.type = raftpb::kMsgAppResp;
      resp.to = m.from;
      Send(std::move(resp));
    } else if (m.type == raftpb::kMsgStorageAppendResp) {
      // Written under an earlier term: a newer leader may have overwritten
      // those entries in the unstable log while they were being written
      // (and a write still queued may overwrite them again), so they do
      // not count as stable (the ABA race; see ready.h). A later response
      // of this term covers them. A snapshot is committed state whatever
      // the term, so it still counts.
      if (m.index != 0) {
        logger_->Infof(
            "%llx [term: %llu] ignored entry appends from a %s message with "
            "lower term [term: %llu]",
            U(id_), U(term_), TypeName(m.type), U(m.term));
      }
      if (m.snapshot) AppliedSnap(*m.snapshot);
    } else if (m.type == raftpb::kMsgPreVote) {
      // Reject, so a pre-candidate with a stale term learns ours (and a
      // mixed PreVote cluster cannot deadlock).
      logger_->Infof(
          "%llx [logterm: %llu, index: %llu, vote: %llx] rejected %s from "
          "%llx [logterm: %llu, index: %llu] at term %llu",
          U(id_), U(raft_log_->LastTerm()), U(raft_log_->LastIndex()), U(vote_),
          TypeName(m.type), U(m.from), U(m.log_term), U(m.index), U(term_));
      Message resp;
      resp.type = raftpb::kMsgPreVoteResp;
      resp.to = m.from;
      resp.term = term_;
      resp.reject = true;
      Send(std::move(resp));
    } else {
      logger_->Infof(
          "%llx [term: %llu] ignored a %s message with lower term from %llx "
          "[term: %llu]",
          U(id_), U(term_), TypeName(m.type), U(m.from), U(m.term));
    }
  }
  return base::Status();
}

void Raft::StepVoteRequest(const Message& m) {
  // We can vote if this repeats our vote, or we have not voted and know of
  // no leader in this term, or it is a PreVote for a future term...
  bool can_vote = vote_ == m.from || (vote_ == kNone && lead_ == kNone) ||
                  (m.type == raftpb::kMsgPreVote && m.term > term_);
  // ...and the candidate's log is at least as up-to-date as ours (5.4.1).
  bool up_to_date = config_.testing_knobs.vote_without_log_check ||
                    raft_log_->IsUpToDate(m.index, m.log_term);
  uint64_t last_term = raft_log_->LastTerm();
  uint64_t last_index = raft_log_->LastIndex();
  if (can_vote && up_to_date) {
    logger_->Infof(
        "%llx [logterm: %llu, index: %llu, vote: %llx] cast %s for %llx "
        "[logterm: %llu, index: %llu] at term %llu",
        U(id_), U(last_term), U(last_index), U(vote_), TypeName(m.type),
        U(m.from), U(m.log_term), U(m.index), U(term_));
    // The response carries the request's term, not ours: for a PreVote
    // ours may be older, and the pre-candidate would ignore it.
    Message resp;
    resp.type = VoteRespMsgType(m.type);
    resp.to = m.from;
    resp.term = m.term;
    Send(std::move(resp));
    if (m.type == raftpb::kMsgVote) {
      // Only real votes are recorded.
      election_elapsed_ = 0;
      vote_ = m.from;
    }
  } else {
    logger_->Infof(
        "%llx [logterm: %llu, index: %llu, vote: %llx] rejected %s from %llx "
        "[logterm: %llu, index: %llu] at term %llu",
        U(id_), U(last_term), U(last_index), U(vote_), TypeName(m.type),
        U(m.from), U(m.log_term), U(m.index), U(term_));
    Message resp;
    resp.type = VoteRespMsgType(m.type);
    resp.to = m.from;
    resp.term = term_;
    resp.reject = true;
    Send(std::move(resp));
  }
}

base::Status Raft::StepLeaderProp(Message& m) {
  CAIRN_CHECK(!m.entries.empty(), "%llx stepped empty MsgProp", U(id_));
  if (trk_.progress.find(id_) == trk_.progress.end()) {
    // This leader was removed from the configuration.
    return ErrProposalDroppedRemoved();
  }
  if (lead_transferee_ != kNone) {
    logger_->Debugf(
        "%llx [term %llu] transfer leadership to %llx is in progress; "
        "dropping proposal",
        U(id_), U(term_), U(lead_transferee_));
    return ErrProposalDroppedLeaderTransferring();
  }
  // Configuration changes are checked before anything is appended; a
  // proposal carrying an invalid one is dropped whole.
  uint64_t pending = pending_conf_index_;
  for (size_t i = 0; i < m.entries.size(); ++i) {
    const Entry& e = m.entries[i];
    if (e.type != raftpb::kEntryConfChange &&
        e.type != raftpb::kEntryConfChangeV2) {
      continue;
    }
    std::string failed = CheckConfChangeProposal(e, pending);
    if (!failed.empty()) {
      logger_->Infof("%llx ignoring conf change at config %s: %s", U(id_),
                     trk_.config.String().c_str(), failed.c_str());
      return ErrProposalDroppedConfChange(failed);
    }
    pending = raft_log_->LastIndex() + i + 1;
  }
  if (!AppendEntry(m.entries)) {
    return ErrProposalDroppedUncommittedSizeExceeded();
  }
  pending_conf_index_ = pending;
  BcastAppend();
  return base::Status();
}

std::string Raft::CheckConfChangeProposal(const Entry& e,
                                          uint64_t pending) const {
  raftpb::ConfChangeV2 cc;
  if (e.type == raftpb::kEntryConfChange) {
    base::Result<raftpb::ConfChange> c =
        raftpb::DecodeConfChange(e.data.view());
    if (!c.ok()) return "undecodable ConfChange";
    cc = c->AsV2();
  } else {
    base::Result<raftpb::ConfChangeV2> c =
        raftpb::DecodeConfChangeV2(e.data.view());
    if (!c.ok()) return "undecodable ConfChangeV2";
    cc = std::move(c).value();
  }
  // At most one change is pending: one in the log that this leader has not
  // applied yet. Configurations take effect when applied, so a second
  // change could otherwise be committed under a configuration two changes
  // away from the one others use (never disabled).
  if (pending > raft_log_->applied()) {
    return "possible unapplied conf change at index " +
           std::to_string(pending) + " (applied to " +
           std::to_string(raft_log_->applied()) + ")";
  }
  if (config_.disable_conf_change_validation) return "";
  // pending_conf_index_ is exact (BecomeLeader scans the log tail), so with
  // nothing pending no change in the log is unapplied: the active
  // configuration is the latest one in the log, committed or not, and the
  // change is checked against it (etcd-io/raft#80).
  confchange::Changer changer(trk_, raft_log_->LastIndex());
  base::Result<confchange::Changed> r = changer.Apply(cc);
  if (!r.ok()) return r.status().message();
  return "";
}

void Raft::StepLeaderAppResp(const Message& m, Progress& pr) {
  pr.recent_active = true;
  if (m.reject) {
    // reject_hint is the follower's guess of the last index that may
    // match, and log_term its term there. Backtrack by whole terms
    // (findConflictByTerm) rather than one entry per round trip.
    logger_->Debugf(
        "%llx received MsgAppResp(rejected, hint: (index %llu, term %llu)) "
        "from %llx for index %llu",
        U(id_), U(m.reject_hint), U(m.log_term), U(m.from), U(m.index));
    uint64_t next_probe_idx = m.reject_hint;
    if (m.log_term > 0) {
      next_probe_idx =
          raft_log_->FindConflictByTerm(m.reject_hint, m.log_term).first;
    }
    if (pr.MaybeDecrTo(m.index, next_probe_idx)) {
      logger_->Debugf("%llx decreased progress of %llx to [%s]", U(id_),
                      U(m.from), pr.String().c_str());
      if (pr.state == tracker::StateType::kStateReplicate) pr.BecomeProbe();
      MaybeSendAppend(m.from, true);
    }
    return;
  }
  // An acknowledgment: update match, or move a probed follower that is
  // already caught up back to replicate.
  if (!pr.MaybeUpdate(m.index) &&
      !(pr.match == m.index && pr.state == tracker::StateType::kStateProbe)) {
    return;
  }
  switch (pr.state) {
    case tracker::StateType::kStateProbe:
      pr.BecomeReplicate();
      break;
    case tracker::StateType::kStateSnapshot:
      if (pr.match + 1 >= raft_log_->FirstIndex()) {
        // The follower can be caught up from the log again.
        logger_->Debugf(
            "%llx recovered from needing snapshot, resumed sending "
            "replication messages to %llx [%s]",
            U(id_), U(m.from), pr.String().c_str());
        pr.BecomeProbe();
        pr.BecomeReplicate();
      }
      break;
    case tracker::StateType::kStateReplicate:
      pr.inflights.FreeLE(m.index);
      break;
  }
  // m.from is this node for the leader's own acknowledgment (async
  // storage writes): nothing is sent to itself.
  const bool peer = m.from != id_;
  if (MaybeCommit()) {
    // An entry of this term is committed: pending reads may proceed.
    ReleasePendingReadIndexMessages();
    BcastAppend();
  } else if (peer && pr.CanBumpCommit(raft_log_->committed())) {
    // The follower may lack the latest commit index: send it now rather
    // than at the next heartbeat.
    MaybeSendAppend(m.from, true);
  }
  // The window may have room for several messages now.
  while (peer && MaybeSendAppend(m.from, false)) {
  }
  if (m.from == lead_transferee_ && pr.match == raft_log_->LastIndex()) {
    logger_->Infof("%llx sent MsgTimeoutNow to %llx after received MsgAppResp",
                   U(id_), U(m.from));
    SendTimeoutNow(m.from);
  }
}

void Raft::StepLeaderTransfer(const Message& m) {
  // Thesis 3.10. m.from names the transferee. Transferring to this node,
  // to a learner or to a non-member does nothing (not even abort a
  // transfer under way), with a log line.
  uint64_t transferee = m.from;
  if (transferee == id_) {
    logger_->Infof(
        "%llx [term %llu] is already leader; ignored transferring leadership "
        "to self",
        U(id_), U(term_));
    return;
  }
  auto it = trk_.progress.find(transferee);
  if (it == trk_.progress.end()) {
    logger_->Infof(
        "%llx [term %llu] ignored transferring leadership to %llx: not a "
        "member",
        U(id_), U(term_), U(transferee));
    return;
  }
  Progress& pr = it->second;
  if (pr.is_learner) {
    logger_->Infof(
        "%llx [term %llu] ignored transferring leadership to learner %llx",
        U(id_), U(term_), U(transferee));
    return;
  }
  uint64_t last = lead_transferee_;
  if (last != kNone) {
    if (last == transferee) {
      logger_->Infof(
          "%llx [term %llu] transfer leadership to %llx is in progress, "
          "ignores request to same node %llx",
          U(id_), U(term_), U(transferee), U(transferee));
      return;
    }
    // A second transfer to another node replaces the first.
    AbortLeaderTransfer();
    logger_->Infof(
        "%llx [term %llu] abort previous transferring leadership to %llx",
        U(id_), U(term_), U(last));
  }
  logger_->Infof("%llx [term %llu] starts to transfer leadership to %llx",
                 U(id_), U(term_), U(transferee));
  // The transfer must finish within an election timeout.
  election_elapsed_ = 0;
  lead_transferee_ = transferee;
  // The transferee campaigns without waiting for the followers' leases
  // (MsgTimeoutNow bypasses them): no lease reads while the transfer may
  // finish (an election timeout) nor while its MsgTimeoutNow may still be
  // on its way (one more).
  lease_not_before_ = ticks_ + 2 * static_cast<uint64_t>(election_timeout_);
  if (pr.match == raft_log_->LastIndex()) {
    SendTimeoutNow(transferee);
    logger_->Infof(
        "%llx sends MsgTimeoutNow to %llx immediately as %llx already has "
        "up-to-date log",
        U(id_), U(transferee), U(transferee));
  } else {
    MaybeSendAppend(transferee, true);
  }
}

bool Raft::CommittedEntryInCurrentTerm() const {
  // A leader's term is never 0, so an unknown term (0) never matches.
  return raft_log_->ZeroTermOnOutOfBounds(raft_log_->committed()) == term_;
}

Message Raft::ResponseToReadIndexReq(const Message& req, uint64_t read_index) {
  if (req.from == kNone || req.from == id_) {
    read_states_.push_back(ReadState{read_index, req.entries[0].data});
    return Message{};
  }
  Message resp;
  resp.type = raftpb::kMsgReadIndexResp;
  resp.to = req.from;
  resp.index = read_index;
  resp.entries = req.entries;
  return resp;
}

bool Raft::LeaseHolds() const {
  // read_only.h: no other leader exists before lease_start + election
  // timeout on clocks that run at the same rate; max_clock_drift_ticks
  // pays for the rate difference.
  std::optional<uint64_t> start = read_only_.lease_start();
  if (!start || ticks_ < lease_not_before_) return false;
  return ticks_ - *start +
             static_cast<uint64_t>(config_.max_clock_drift_ticks) <
         static_cast<uint64_t>(election_timeout_);
}

void Raft::SendReadIndexResponse(const Message& m, uint64_t index) {
  if (config_.testing_knobs.read_index_without_heartbeat ||
      (read_only_.option() == ReadOnlyOption::kReadOnlyLeaseBased &&
       LeaseHolds())) {
    // Lease-based while the lease holds (or the planted bug): answer now.
    Message resp = ResponseToReadIndexReq(m, index);
    if (resp.to != kNone) Send(std::move(resp));
    return;
  }
  // Confirm leadership with a heartbeat round started after the request
  // arrived. While a round for earlier requests is in flight, this one
  // waits for the next round (batching; read_only.h).
  read_only_.AddRequest(index, m);
  if (!read_only_.RoundInFlight()) BcastReadRound();
}

void Raft::BcastReadRound() {
  raftpb::Payload ctx = read_only_.StartRound(id_, ticks_);
  for (auto& [id, pr] : trk_.progress) {
    if (id == id_) continue;
    SendHeartbeat(id, ctx);
  }
}

void Raft::ReleasePendingReadIndexMessages() {
  if (pending_read_index_messages_.empty()) return;
  if (!CommittedEntryInCurrentTerm()) {
    logger_->Errorf(
        "pending MsgReadIndex should be released only after first commit in "
        "current term");
    return;
  }
  std::vector<Message> msgs = std::move(pending_read_index_messages_);
  pending_read_index_messages_.clear();
  for (const Message& m : msgs) {
    SendReadIndexResponse(m, raft_log_->committed());
  }
}

void Raft::StepLeaderReadIndex(Message& m) {
  if (m.entries.empty()) {
    logger_->Errorf("%llx invalid MsgReadIndex from %llx: no context entry",
                    U(id_), U(m.from));
    return;
  }
  if (trk_.IsSingleton()) {
    // Only one voter: our own commit index is linearizable.
    Message resp = ResponseToReadIndexReq(m, raft_log_->committed());
    if (resp.to != kNone) Send(std::move(resp));
    return;
  }
  // Thesis 6.4 step 1: until this leader commits an entry of its term it
  // does not know the latest commit index; defer.
  if (!CommittedEntryInCurrentTerm()) {
    pending_read_index_messages_.push_back(std::move(m));
    return;
  }
  SendReadIndexResponse(m, raft_log_->committed());
}

base::Status Raft::StepLeader(Message& m) {
  // Messages that need no progress of m.from.
  switch (m.type) {
    case raftpb::kMsgBeat:
      BcastHeartbeat();
      return base::Status();
    case raftpb::kMsgCheckQuorum:
      if (!trk_.QuorumActive()) {
        logger_->Warningf(
            "%llx stepped down to follower since quorum is not active", U(id_));
        BecomeFollower(term_, kNone);
      }
      // Mark everyone but ourselves inactive for the next round.
      for (auto& [id, pr] : trk_.progress) {
        if (id != id_) pr.recent_active = false;
      }
      return base::Status();
    case raftpb::kMsgProp:
      return StepLeaderProp(m);
    case raftpb::kMsgReadIndex:
      StepLeaderReadIndex(m);
      return base::Status();
    default:
      break;
  }

  if (m.type == raftpb::kMsgTransferLeader) {
    // m.from is the transferee, maybe not a member (or this node).
    StepLeaderTransfer(m);
    return base::Status();
  }
  auto it = trk_.progress.find(m.from);
  if (it == trk_.progress.end()) {
    logger_->Debugf("%llx no progress available for %llx", U(id_), U(m.from));
    return base::Status();
  }
  Progress& pr = it->second;
  switch (m.type) {
    case raftpb::kMsgAppResp:
      StepLeaderAppResp(m, pr);
      break;
    case raftpb::kMsgHeartbeatResp: {
      pr.recent_active = true;
      pr.msg_app_flow_paused = false;
      // Even with a full window this sends an (empty) MsgApp, so a window
      // filled by lost messages recovers; and a caught-up follower in probe
      // state moves back to replicate when it answers.
      if (pr.match < raft_log_->LastIndex() ||
          pr.state == tracker::StateType::kStateProbe) {
        MaybeSendAppend(m.from, true);
      }
      if (m.context.empty()) break;
      uint64_t round = 0;
      const std::map<uint64_t, bool>* acks =
          read_only_.RecvAck(m.from, m.context, &round);
      if (acks == nullptr || trk_.config.voters.GetVoteResult(*acks) !=
                                 quorum::VoteResult::kVoteWon) {
        break;
      }
      for (ReadIndexStatus& rs : read_only_.Advance(round)) {
        Message resp = ResponseToReadIndexReq(rs.req, rs.index);
        if (resp.to != kNone) Send(std::move(resp));
      }
      // Requests that arrived during that round share the next one.
      if (read_only_.HasUncoveredRequests()) BcastReadRound();
      break;
    }
    case raftpb::kMsgSnapStatus:
      if (pr.state != tracker::StateType::kStateSnapshot) break;
      if (!m.reject) {
        pr.BecomeProbe();
        logger_->Debugf(
            "%llx snapshot succeeded, resumed sending replication messages to "
            "%llx [%s]",
            U(id_), U(m.from), pr.String().c_str());
      } else {
        // Clear the pending snapshot first, or probing would start after a
        // snapshot that never arrived.
        pr.pending_snapshot = 0;
        pr.BecomeProbe();
        logger_->Debugf(
            "%llx snapshot failed, resumed sending replication messages to "
            "%llx [%s]",
            U(id_), U(m.from), pr.String().c_str());
      }
      // Wait for the follower's MsgAppResp (success) or a heartbeat
      // interval (failure) before sending again.
      pr.msg_app_flow_paused = true;
      break;
    case raftpb::kMsgUnreachable:
      // An optimistic MsgApp was probably lost.
      if (pr.state == tracker::StateType::kStateReplicate) pr.BecomeProbe();
      logger_->Debugf(
          "%llx failed to send message to %llx because it is unreachable [%s]",
          U(id_), U(m.from), pr.String().c_str());
      break;
    default:
      break;
  }
  return base::Status();
}

base::Status Raft::StepCandidate(Message& m) {
  // Only count responses of our own candidacy (a candidate may still get
  // stale MsgPreVoteResp of this term from its pre-candidate phase).
  MessageType my_resp = state_ == StateType::kStatePreCandidate
                            ? raftpb::kMsgPreVoteResp
                            : raftpb::kMsgVoteResp;
  switch (m.type) {
    case raftpb::kMsgProp:
      logger_->Infof("%llx no leader at term %llu; dropping proposal", U(id_),
                     U(term_));
      return ErrProposalDroppedNoLeader();
    case raftpb::kMsgApp:
      BecomeFollower(m.term, m.from);  // m.term == term_ here.
      HandleAppendEntries(m);
      break;
    case raftpb::kMsgHeartbeat:
      BecomeFollower(m.term, m.from);
      HandleHeartbeat(m);
      break;
    case raftpb::kMsgSnap:
      BecomeFollower(m.term, m.from);
      HandleSnapshot(m);
      break;
    case raftpb::kMsgTimeoutNow:
      logger_->Debugf(
          "%llx [term %llu state %s] ignored MsgTimeoutNow from %llx", U(id_),
          U(term_), StateTypeName(state_).c_str(), U(m.from));
      break;
    default:
      if (m.type == my_resp) {
        quorum::VoteResult res = Poll(m.from, m.type, !m.reject);
        int granted = 0;
        int rejected = 0;
        trk_.TallyVotes(&granted, &rejected);
        logger_->Infof("%llx has received %d %s votes and %d vote rejections",
                       U(id_), granted, TypeName(m.type), rejected);
        if (res == quorum::VoteResult::kVoteWon) {
          if (state_ == StateType::kStatePreCandidate) {
            Campaign(CampaignType::kCampaignElection);
          } else {
            BecomeLeader();
            BcastAppend();
          }
        } else if (res == quorum::VoteResult::kVoteLost) {
          // A MsgPreVoteResp carries our future term; keep ours.
          BecomeFollower(term_, kNone);
        }
      }
      break;
  }
  return base::Status();
}

void Raft::ForwardToLeader(Message& m, const char* what) {
  if (lead_ == kNone) {
    logger_->Infof("%llx no leader at term %llu; dropping %s", U(id_), U(term_),
                   what);
    return;
  }
  m.to = lead_;
  Send(std::move(m));
}

base::Status Raft::StepFollower(Message& m) {
  switch (m.type) {
    case raftpb::kMsgProp:
      if (lead_ == kNone) {
        logger_->Infof("%llx no leader at term %llu; dropping proposal", U(id_),
                       U(term_));
        return ErrProposalDroppedNoLeader();
      }
      if (disable_proposal_forwarding_) {
        logger_->Infof(
            "%llx not forwarding to leader %llx at term %llu; dropping "
            "proposal",
            U(id_), U(lead_), U(term_));
        return ErrProposalDroppedForwardingDisabled();
      }
      m.to = lead_;
      Send(std::move(m));
      break;
    case raftpb::kMsgApp:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleAppendEntries(m);
      break;
    case raftpb::kMsgHeartbeat:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleHeartbeat(m);
      break;
    case raftpb::kMsgSnap:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleSnapshot(m);
      break;
    case raftpb::kMsgTransferLeader:
      ForwardToLeader(m, "leader transfer msg");
      break;
    case raftpb::kMsgTimeoutNow:
      logger_->Infof(
          "%llx [term %llu] received MsgTimeoutNow from %llx and starts an "
          "election to get leadership.",
          U(id_), U(term_), U(m.from));
      // A transfer never uses PreVote: no partition to recover from.
      Hup(CampaignType::kCampaignTransfer);
      break;
    case raftpb::kMsgReadIndex:
      ForwardToLeader(m, "index reading msg");
      break;
    case raftpb::kMsgReadIndexResp:
      if (m.entries.size() != 1) {
        logger_->Errorf(
            "%llx invalid format of MsgReadIndexResp from %llx, entries "
            "count: %zu",
            U(id_), U(m.from), m.entries.size());
        break;
      }
      read_states_.push_back(ReadState{m.index, m.entries[0].data});
      break;
    default:
      break;
  }
  return base::Status();
}

// ---- Follower handlers ----

void Raft::HandleAppendEntries(const Message& m) {
  Message resp;
  resp.type = raftpb::kMsgAppResp;
  resp.to = m.from;
  if (m.index < raft_log_->committed()) {
    // Everything up to commit matches already.
    resp.index = raft_log_->committed();
    Send(std::move(resp));
    return;
  }
  std::optional<uint64_t> last =
      raft_log_->MaybeAppend(m.index, m.log_term, m.commit, m.entries);
  if (last) {
    resp.index = *last;
    Send(std::move(resp));
    return;
  }
  logger_->Debugf(
      "%llx [logterm: %llu, index: %llu] rejected MsgApp [logterm: %llu, "
      "index: %llu] from %llx",
      U(id_), U(raft_log_->ZeroTermOnOutOfBounds(m.index)), U(m.index),
      U(m.log_term), U(m.index), U(m.from));
  // Hint the leader at the largest (index, term) at or below m.index whose
  // term is <= m.log_term: the logs cannot match above it, so the leader
  // skips our divergent tail in one step.
  uint64_t hint_index = std::min(m.index, raft_log_->LastIndex());
  auto [idx, term] = raft_log_->FindConflictByTerm(hint_index, m.log_term);
  resp.index = m.index;
  resp.reject = true;
  resp.reject_hint = idx;
  resp.log_term = term;
  Send(std::move(resp));
}

void Raft::HandleHeartbeat(const Message& m) {
  raft_log_->CommitTo(m.commit);
  Message resp;
  resp.type = raftpb::kMsgHeartbeatResp;
  resp.to = m.from;
  resp.context = m.context;
  Send(std::move(resp));
}

void Raft::HandleSnapshot(const Message& m) {
  raftpb::Snapshot s;
  if (m.snapshot) s = *m.snapshot;
  uint64_t sindex = s.metadata.index;
  uint64_t sterm = s.metadata.term;
  Message resp;
  resp.type = raftpb::kMsgAppResp;
  resp.to = m.from;
  if (Restore(s)) {
    logger_->Infof(
        "%llx [commit: %llu] restored snapshot [index: %llu, term: %llu]",
        U(id_), U(raft_log_->committed()), U(sindex), U(sterm));
    resp.index = raft_log_->LastIndex();
  } else {
    logger_->Infof(
        "%llx [commit: %llu] ignored snapshot [index: %llu, term: %llu]",
        U(id_), U(raft_log_->committed()), U(sindex), U(sterm));
    resp.index = raft_log_->committed();
  }
  Send(std::move(resp));
}

bool Raft::Restore(const raftpb::Snapshot& s) {
  if (s.metadata.index <= raft_log_->committed()) return false;
  if (state_ != StateType::kStateFollower) {
    // Defense in depth: never restore as leader or candidate.
    logger_->Warningf(
        "%llx attempted to restore snapshot as leader; should never happen",
        U(id_));
    BecomeFollower(term_ + 1, kNone);
    return false;
  }
  // Defense in depth: a snapshot whose configuration lacks us is refused
  // (learners_next members are outgoing voters, checked there).
  const raftpb::ConfState& cs = s.metadata.conf_state;
  bool found = false;
  for (const std::vector<uint64_t>* set :
       {&cs.voters, &cs.learners, &cs.voters_outgoing}) {
    if (std::find(set->begin(), set->end(), id_) != set->end()) found = true;
  }
  if (!found) {
    logger_->Warningf(
        "%llx attempted to restore snapshot but it is not in the ConfState; "
        "should never happen",
        U(id_));
    return false;
  }
  if (raft_log_->MatchTerm(s.metadata.index, s.metadata.term)) {
    // We have the snapshot's last entry: keep the log, move commit.
    logger_->Infof(
        "%llx [commit: %llu, lastindex: %llu, lastterm: %llu] fast-forwarded "
        "commit to snapshot [index: %llu, term: %llu]",
        U(id_), U(raft_log_->committed()), U(raft_log_->LastIndex()),
        U(raft_log_->LastTerm()), U(s.metadata.index), U(s.metadata.term));
    raft_log_->CommitTo(s.metadata.index);
    return false;
  }
  // Take the snapshot's configuration, with fresh progress. A snapshot
  // whose ConfState no sequence of changes produces is refused (it comes
  // from a peer: never crash on it).
  tracker::ProgressTracker fresh(trk_.max_inflight(),
                                 trk_.max_inflight_bytes());
  base::Result<confchange::Changed> cfg =
      confchange::Restore(fresh, s.metadata.index, cs);
  if (!cfg.ok()) {
    logger_->Warningf("%llx refused snapshot with invalid configuration %s: %s",
                      U(id_), DescribeConfState(cs).c_str(),
                      cfg.status().message().c_str());
    return false;
  }
  raft_log_->Restore(s);
  trk_.progress.clear();
  SwitchToConfig(*cfg);
  logger_->Infof(
      "%llx [commit: %llu, lastindex: %llu, lastterm: %llu] restored "
      "snapshot [index: %llu, term: %llu]",
      U(id_), U(raft_log_->committed()), U(raft_log_->LastIndex()),
      U(raft_log_->LastTerm()), U(s.metadata.index), U(s.metadata.term));
  return true;
}

// ---- Configuration ----

void Raft::SwitchToConfig(const confchange::Changed& changed) {
  const tracker::Config& cfg = changed.config;
  trk_.config = changed.config;
  trk_.progress = changed.progress;
  logger_->Infof("%llx switched to configuration %s", U(id_),
                 trk_.config.String().c_str());

  auto self = trk_.progress.find(id_);
  is_learner_ = self != trk_.progress.end() && self->second.is_learner;
  if ((self == trk_.progress.end() || is_learner_) &&
      state_ == StateType::kStateLeader) {
    // This leader was removed or demoted: it steps down now that the
    // change is committed and applied (etcd-io/raft#83), rather than lead a
    // configuration it is not a voter of. Not being promotable, it will
    // not campaign again. First it tells those that do not know it yet
    // the commit index that includes the change, so that the remaining
    // voters apply it and elect a leader among themselves; otherwise, from
    // two voters to one, the remaining one would still need this node's
    // vote.
    for (auto& [id, pr] : trk_.progress) {
      if (id != id_ && pr.sent_commit < raft_log_->committed()) {
        MaybeSendAppend(id, /*send_if_empty=*/true);
      }
    }
    BecomeFollower(term_, kNone);
    return;
  }
  if (state_ != StateType::kStateLeader || cfg.voters.incoming.empty()) return;
  if (MaybeCommit()) {
    // The new configuration commits more: tell everyone.
    BcastAppend();
  } else {
    // Probe new members now rather than at the next heartbeat.
    for (auto& [id, pr] : trk_.progress) {
      if (id != id_) MaybeSendAppend(id, false);
    }
  }
  if (lead_transferee_ != kNone && !cfg.voters.contains(lead_transferee_)) {
    AbortLeaderTransfer();
  }
}

raftpb::ConfState Raft::ApplyConfChange(const raftpb::ConfChangeV2& cc,
                                        base::Status* error) {
  confchange::Changer changer(trk_, raft_log_->LastIndex());
  base::Result<confchange::Changed> changed = changer.Apply(cc);
  if (!changed.ok()) {
    // Every member applies the same committed change to the same
    // configuration, so every member refuses it alike and the
    // configurations stay identical.
    logger_->Warningf("%llx refused to apply conf change %s at config %s: %s",
                      U(id_), ConfChangesToString(cc.changes).c_str(),
                      trk_.config.String().c_str(),
                      changed.status().message().c_str());
    if (error != nullptr) *error = changed.status();
    return trk_.ConfState();
  }
  if (error != nullptr) *error = base::Status();
  SwitchToConfig(*changed);
  return trk_.ConfState();
}

void Raft::AppliedTo(uint64_t index, uint64_t size) {
  uint64_t new_applied = std::max(index, raft_log_->applied());
  raft_log_->AppliedTo(new_applied, size);
  if (trk_.config.auto_leave && new_applied >= pending_conf_index_ &&
      state_ == StateType::kStateLeader) {
    // Leave the joint configuration with an empty ConfChangeV2 (its
    // payload is empty, so the size limit never refuses it).
    Message m;
    m.type = raftpb::kMsgProp;
    m.from = id_;
    Entry e;
    e.type = raftpb::kEntryConfChangeV2;
    m.entries.push_back(std::move(e));
    base::Status s = StepRef(m);
    if (!s.ok()) {
      logger_->Debugf(
          "not initiating automatic transition out of joint configuration %s: "
          "%s",
          trk_.config.String().c_str(), s.ToString().c_str());
    } else {
      logger_->Infof(
          "initiating automatic transition out of joint configuration %s",
          trk_.config.String().c_str());
    }
  }
}

void Raft::AppliedSnap(const raftpb::Snapshot& snap) {
  uint64_t index = snap.metadata.index;
  raft_log_->StableSnapTo(index);
  AppliedTo(index, 0);
}

// ---- Invariants ----

base::Status Raft::CheckInvariants() const {
  auto fail = [this](const std::string& what) {
    return base::Status::Internal("raft " + std::to_string(id_) +
                                  " invariant broken: " + what);
  };
  const RaftLog& l = *raft_log_;
  uint64_t last = l.LastIndex();
  if (l.committed() > last) {
    return fail("commit " + std::to_string(l.committed()) + " > last index " +
                std::to_string(last));
  }
  if (l.applied() > l.applying() || l.applying() > l.committed()) {
    return fail("applied " + std::to_string(l.applied()) + " <= applying " +
                std::to_string(l.applying()) + " <= commit " +
                std::to_string(l.committed()) + " does not hold");
  }
  if (l.FirstIndex() == 0) return fail("first index is 0");
  if (l.LastTerm() > term_) {
    return fail("last log term " + std::to_string(l.LastTerm()) +
                " > current term " + std::to_string(term_));
  }
  const Unstable& u = l.unstable();
  if (u.offset_in_progress() < u.offset() ||
      u.offset_in_progress() > u.offset() + u.entries().size()) {
    return fail("unstable offset_in_progress out of range");
  }
  for (size_t i = 0; i < u.entries().size(); ++i) {
    if (u.entries()[i].index != u.offset() + i) {
      return fail("unstable entries not contiguous");
    }
    if (i > 0 && u.entries()[i].term < u.entries()[i - 1].term) {
      return fail("unstable entry terms decrease");
    }
  }
  bool leader = state_ == StateType::kStateLeader;
  if (leader != (lead_ == id_)) {
    return fail("lead is self iff leader does not hold (lead " +
                std::to_string(lead_) + ")");
  }
  if ((state_ == StateType::kStateCandidate || leader) && vote_ != id_) {
    return fail("candidate or leader did not vote for itself");
  }
  if (state_ == StateType::kStatePreCandidate && lead_ != kNone) {
    return fail("pre-candidate knows a leader");
  }
  if (leader) {
    for (const auto& [id, pr] : trk_.progress) {
      if (pr.match >= pr.next) {
        return fail("progress of " + std::to_string(id) + ": match " +
                    std::to_string(pr.match) + " >= next " +
                    std::to_string(pr.next));
      }
      if (pr.match > last) {
        return fail("progress of " + std::to_string(id) + ": match " +
                    std::to_string(pr.match) + " > last index");
      }
      if (pr.inflights.Count() > pr.inflights.size()) {
        return fail("inflights over capacity");
      }
      if (pr.state != tracker::StateType::kStateReplicate &&
          pr.inflights.Count() != 0) {
        return fail("inflights outside StateReplicate");
      }
    }
    // With async storage writes the leader's match trails its last index
    // until its own append acknowledgment arrives.
    auto self = trk_.progress.find(id_);
    if (self != trk_.progress.end() && self->second.match != last &&
        !config_.async_storage_writes) {
      return fail("leader's own match " + std::to_string(self->second.match) +
                  " != last index " + std::to_string(last));
    }
  }
  if (election_elapsed_ < 0 || heartbeat_elapsed_ < 0) {
    return fail("negative elapsed ticks");
  }
  if (randomized_election_timeout_ < election_timeout_ ||
      randomized_election_timeout_ >= 2 * election_timeout_) {
    return fail("randomized election timeout out of range");
  }
  return base::Status();
}

}  // namespace raft
