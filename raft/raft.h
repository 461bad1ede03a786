#pragma once

// Raft: the consensus state machine of one node (etcd's `raft` struct).
//
// It is pure: it changes state only in Step() (a message arrived) and
// Tick() (time passed), and its outputs are the messages it queues, the
// log it keeps and the state the host reads. RawNode wraps it with the
// Ready protocol; tests drive it directly.
//
// Step() first applies the rules every role shares (paper 5.1: a message
// with a higher term makes the node a follower of that term; stale-term
// messages are dropped or answered), then hands the message to the step
// function of the current role: StepLeader, StepCandidate (also for
// pre-candidates) or StepFollower. Tick() calls TickElection (followers and
// candidates) or TickHeartbeat (leaders). Become*() set both functions.
//
//   Follower --timeout--> PreCandidate --prevotes won--> Candidate
//      ^  ^                    |                            | votes won
//      |  +----higher term-----+----------------------------+    v
//      +--------------higher term / step down-------------- Leader
//
// Without pre_vote a follower times out straight into Candidate.
//
// Thread safety: none; one thread drives a node.

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "proto/raftpb/raftpb.h"
#include "raft/confchange/confchange.h"
#include "raft/config.h"
#include "raft/log.h"
#include "raft/logger.h"
#include "raft/read_only.h"
#include "raft/ready.h"
#include "raft/tracker/tracker.h"

namespace raft {

// Why a node campaigns. Carried in vote requests' context so that a
// transfer campaign (MsgTimeoutNow) bypasses the lease check.
enum class CampaignType {
  kCampaignPreElection = 0,  // PreVote phase.
  kCampaignElection = 1,     // Normal election.
  kCampaignTransfer = 2,     // Leadership transfer (forces the election).
};
// "CampaignPreElection", "CampaignElection", "CampaignTransfer".
std::string_view CampaignTypeName(CampaignType t);

class Raft {
 public:
  // Validates config, restores term, vote, commit, log and configuration
  // from config.storage, and starts as a follower. Errors: config
  // validation, storage errors.
  static base::Result<std::unique_ptr<Raft>> New(Config config);

  Raft(const Raft&) = delete;
  Raft& operator=(const Raft&) = delete;

  // Handles one message; m.term == 0 marks a local message. Errors:
  // proposal dropped (raft/errors.h) for MsgProp; InvalidArgument, with
  // no state changed, for a malformed message that no correct node sends
  // (a proposal without entries, a MsgApp whose entries are not contiguous
  // or carry a term above the message's, an acknowledgment or heartbeat
  // commit past this node's last index...); everything else returns OK
  // (messages that do not apply are ignored, with a log line).
  base::Status Step(raftpb::Message m);
  // Like Step, without taking ownership. Contract: raft modifies or moves
  // from m only for MsgProp, MsgReadIndex and MsgTransferLeader (it
  // assigns entry terms and indexes, keeps or forwards the message); all
  // other types are only read. Lets RawNode reuse one MsgProp buffer and
  // step a host's messages without copying them.
  base::Status StepRef(raftpb::Message& m);

  // Advances time by one tick.
  void Tick();
  // Advances the election clock (and the lease clock) without any action
  // (RawNode::TickQuiesced).
  void TickQuiesced();

  // Role transitions (tests call them to set up scenarios).
  void BecomeFollower(uint64_t term, uint64_t lead);
  void BecomeCandidate();     // CHECKs: not leader.
  void BecomePreCandidate();  // CHECKs: not leader.
  void BecomeLeader();        // CHECKs: not follower.

  // Starts an election (etcd's hup): no-op with a log line when the node
  // is the leader, not promotable, or has unapplied configuration changes.
  void Hup(CampaignType t);

  // The messages queued for sending, in order; clears the queue (etcd's
  // readMessages). Messages that depend on this node's persisted state
  // (vote and append responses) come last.
  std::vector<raftpb::Message> ReadMessages();
  // Direct access for RawNode, which moves them into Ready.
  std::vector<raftpb::Message>& msgs() { return msgs_; }
  std::vector<raftpb::Message>& msgs_after_append() {
    return msgs_after_append_;
  }
  std::vector<ReadState>& read_states() { return read_states_; }
  const std::vector<raftpb::Message>& msgs() const { return msgs_; }
  const std::vector<raftpb::Message>& msgs_after_append() const {
    return msgs_after_append_;
  }
  const std::vector<ReadState>& read_states() const { return read_states_; }

  // Takes back messages the host has sent (a previous Ready's), keeping
  // their entry vectors for reuse by later MsgApps, so that steady-state
  // replication does not allocate a vector per message. Clears *msgs.
  void RecycleMessages(std::vector<raftpb::Message>* msgs);

  // Leader: sends MsgApp (or MsgSnap) to every follower that needs one.
  void BcastAppend();
  // Leader: sends a heartbeat to every follower.
  void BcastHeartbeat();
  // Leader: sends to `to` a MsgApp with its missing entries, or a MsgSnap.
  // Returns false when nothing was sent (paused, or nothing to send and
  // !send_if_empty).
  bool MaybeSendAppend(uint64_t to, bool send_if_empty);
  // Leader: commits what a quorum acknowledged (current term only, paper
  // 5.4.2). Returns true when commit advanced.
  bool MaybeCommit();

  // Applies a committed configuration change (raft/confchange): returns
  // the ConfState now in effect. A change the Changer refuses (it does not
  // fit the current configuration) leaves the configuration as it is, is
  // logged, and sets *error when error is non-null; every member refuses
  // it alike, since they apply the same changes in the same order. A
  // leader that the change removes or demotes steps down.
  raftpb::ConfState ApplyConfChange(const raftpb::ConfChangeV2& cc,
                                    base::Status* error = nullptr);

  // Restores from a snapshot received in MsgSnap; false when it is stale
  // or the log already contains it (then only commit moves).
  bool Restore(const raftpb::Snapshot& s);

  // The host applied (or acknowledged) entries up to `index`, whose
  // entries total `size` bytes; releases the applying budget and, on a
  // leader, leaves an auto-leave joint config or reports pending reads.
  void AppliedTo(uint64_t index, uint64_t size);
  // The host made the snapshot `snap` durable and applied it (its
  // MsgStorageAppendResp in async-storage-writes mode).
  void AppliedSnap(const raftpb::Snapshot& snap);

  // Leadership transfer.
  void AbortLeaderTransfer() { lead_transferee_ = kNone; }

  // True when this node may campaign: it is a voter (not a learner) and
  // has no unapplied snapshot.
  bool Promotable() const;
  // True when election_elapsed >= randomized_election_timeout.
  bool PastElectionTimeout() const {
    return election_elapsed_ >= randomized_election_timeout_;
  }
  // Draws a new timeout in [election_timeout, 2 * election_timeout).
  void ResetRandomizedElectionTimeout();

  raftpb::HardState GetHardState() const {
    return {term_, vote_, raft_log_->committed()};
  }
  SoftState GetSoftState() const { return {lead_, state_}; }

  // Checks the invariants of the node's state (after LogCabin's
  // RaftConsensusInvariants): commit <= last index, applied <= applying
  // <= commit, match < next for every Progress, a leader's vote is itself,
  // a leader's own match is its last index, lead is self iff leader, etc.
  // Returns Internal naming the broken one. For tests and fuzzers.
  base::Status CheckInvariants() const;

  uint64_t id() const { return id_; }
  uint64_t term() const { return term_; }
  uint64_t vote() const { return vote_; }
  uint64_t lead() const { return lead_; }
  StateType state() const { return state_; }
  bool is_learner() const { return is_learner_; }
  uint64_t lead_transferee() const { return lead_transferee_; }
  uint64_t pending_conf_index() const { return pending_conf_index_; }
  uint64_t uncommitted_size() const { return uncommitted_size_; }
  int election_elapsed() const { return election_elapsed_; }
  int heartbeat_elapsed() const { return heartbeat_elapsed_; }
  int election_timeout() const { return election_timeout_; }
  int heartbeat_timeout() const { return heartbeat_timeout_; }
  int randomized_election_timeout() const {
    return randomized_election_timeout_;
  }
  bool check_quorum() const { return check_quorum_; }
  bool pre_vote() const { return pre_vote_; }
  const Config& config() const { return config_; }

  RaftLog& raft_log() { return *raft_log_; }
  const RaftLog& raft_log() const { return *raft_log_; }
  tracker::ProgressTracker& trk() { return trk_; }
  const tracker::ProgressTracker& trk() const { return trk_; }
  ReadOnly& read_only() { return read_only_; }
  Logger* logger() const { return logger_; }

  // Setters for tests that build scenarios by hand.
  void set_term(uint64_t t) { term_ = t; }
  void set_vote(uint64_t v) { vote_ = v; }
  void set_lead(uint64_t l) { lead_ = l; }
  void set_randomized_election_timeout(int t) {
    randomized_election_timeout_ = t;
  }
  void set_election_elapsed(int e) { election_elapsed_ = e; }
  void set_heartbeat_elapsed(int h) { heartbeat_elapsed_ = h; }
  void set_check_quorum(bool b) { check_quorum_ = b; }
  void set_pre_vote(bool b) { pre_vote_ = b; }
  void set_pending_conf_index(uint64_t i) { pending_conf_index_ = i; }
  void set_is_learner(bool b) { is_learner_ = b; }

  // Sets term, vote and commit from a HardState (restart).
  void LoadState(const raftpb::HardState& hs);

  // Leader: appends entries to its log with its term and the next indexes
  // (assigned here) and updates its own progress. Returns false (and
  // appends nothing) when max_uncommitted_entries_size would be exceeded.
  bool AppendEntry(std::vector<raftpb::Entry>& es);

  // Releases the uncommitted-size budget of committed entries (leader).
  void ReduceUncommittedSize(uint64_t size);

 private:
  using StepFn = base::Status (Raft::*)(raftpb::Message&);
  using TickFn = void (Raft::*)();

  explicit Raft(Config config);
  base::Status Init();

  // Role step and tick functions.
  base::Status StepLeader(raftpb::Message& m);
  base::Status StepCandidate(raftpb::Message& m);
  base::Status StepFollower(raftpb::Message& m);
  void TickElection();
  void TickHeartbeat();

  // Step helpers.
  // InvalidArgument when m is malformed (see the definition); OK for
  // every message a correct node sends.
  base::Status CheckMessage(const raftpb::Message& m) const;
  base::Status StepByTerm(raftpb::Message& m, bool* done);
  void StepVoteRequest(const raftpb::Message& m);
  base::Status StepLeaderProp(raftpb::Message& m);
  void StepLeaderAppResp(const raftpb::Message& m, tracker::Progress& pr);
  void StepLeaderReadIndex(raftpb::Message& m);
  void StepLeaderTransfer(const raftpb::Message& m);
  void Campaign(CampaignType t);
  quorum::VoteResult Poll(uint64_t id, raftpb::MessageType t, bool v);

  void HandleAppendEntries(const raftpb::Message& m);
  // Follower: sends m to the leader, or drops it (logging `what`) when no
  // leader is known.
  void ForwardToLeader(raftpb::Message& m, const char* what);
  void HandleHeartbeat(const raftpb::Message& m);
  void HandleSnapshot(const raftpb::Message& m);

  void Send(raftpb::Message m);
  void SendHeartbeat(uint64_t to, const raftpb::Payload& ctx);
  void SendTimeoutNow(uint64_t to);
  bool MaybeSendSnapshot(uint64_t to, tracker::Progress& pr);

  void Reset(uint64_t term);
  void ResetTracker();
  bool IncreaseUncommittedSize(const std::vector<raftpb::Entry>& ents);
  bool CommittedEntryInCurrentTerm() const;
  raftpb::Message ResponseToReadIndexReq(const raftpb::Message& req,
                                         uint64_t read_index);
  void SendReadIndexResponse(const raftpb::Message& req, uint64_t index);
  // Leader: starts a heartbeat round for the pending reads.
  void BcastReadRound();
  // Leader, ReadOnlyLeaseBased: true while no other leader can exist.
  bool LeaseHolds() const;
  void ReleasePendingReadIndexMessages();
  bool HasUnappliedConfChanges() const;
  // The index of the last configuration change entry in [lo, hi), or 0.
  uint64_t LastConfChangeIndex(uint64_t lo, uint64_t hi) const;
  // Why the proposed configuration change e must be refused now (given the
  // index `pending` of the latest change not yet applied), or "" when it is
  // valid.
  std::string CheckConfChangeProposal(const raftpb::Entry& e,
                                      uint64_t pending) const;
  void SwitchToConfig(const confchange::Changed& changed);

  Config config_;
  uint64_t id_;
  uint64_t term_ = 0;
  uint64_t vote_ = kNone;
  std::vector<ReadState> read_states_;

  std::unique_ptr<RaftLog> raft_log_;
  uint64_t max_msg_size_;
  uint64_t max_uncommitted_size_;
  tracker::ProgressTracker trk_;

  StateType state_ = StateType::kStateFollower;
  bool is_learner_ = false;

  // Outgoing messages; see ReadMessages().
  std::vector<raftpb::Message> msgs_;
  std::vector<raftpb::Message> msgs_after_append_;

  uint64_t lead_ = kNone;
  // The node a leadership transfer goes to; kNone when none is under way.
  uint64_t lead_transferee_ = kNone;
  // A configuration change may be proposed only when the previous one is
  // applied: on a leader, the log index of the latest configuration change
  // in its log (0 when there is none past the applied index).
  uint64_t pending_conf_index_ = 0;
  // Bytes (PayloadSize) of the leader's uncommitted entries.
  uint64_t uncommitted_size_ = 0;

  ReadOnly read_only_;
  // MsgReadIndex received before this leader committed an entry of its
  // term; answered once it has (thesis 6.4 step 1).
  std::vector<raftpb::Message> pending_read_index_messages_;

  // Ticks since the last election timeout reset (followers/candidates), or
  // since the last quorum check (leader).
  int election_elapsed_ = 0;
  // Ticks since the last heartbeat (leader only).
  int heartbeat_elapsed_ = 0;
  // Ticks since the node started (the lease clock); never decreases.
  uint64_t ticks_ = 0;
  // No lease reads before this tick (a leadership transfer started).
  uint64_t lease_not_before_ = 0;

  bool check_quorum_;
  bool pre_vote_;

  int heartbeat_timeout_;
  int election_timeout_;
  // Drawn in [election_timeout, 2 * election_timeout) at each reset.
  int randomized_election_timeout_ = 0;
  bool disable_proposal_forwarding_;

  TickFn tick_ = nullptr;
  StepFn step_ = nullptr;

  // Emptied entry vectors (with capacity) for new MsgApps; bounded.
  std::vector<std::vector<raftpb::Entry>> spare_entry_vecs_;

  std::mt19937_64 rand_;
  DiscardLogger discard_logger_;
  Logger* logger_;
};

}  // namespace raft
