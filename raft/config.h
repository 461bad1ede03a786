#pragma once

// Config: the parameters of one raft node. Validate() checks them and fills
// defaults; Raft and RawNode call it and refuse an invalid Config.

#include <cstdint>
#include <limits>

#include "base/status.h"

namespace raft {

class Storage;
class Logger;

// Means "no limit" for the byte limits below.
inline constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();
// Means "no node" (no vote, no leader). Node ids are never 0.
inline constexpr uint64_t kNone = 0;
// Targets of the local messages of async-storage-writes mode (ready.h):
// MsgStorageAppend goes to the append thread, MsgStorageApply to the apply
// thread, and their MsgStorage*Resp come back `from` them. Never node ids.
inline constexpr uint64_t kLocalAppendThread =
    std::numeric_limits<uint64_t>::max();
inline constexpr uint64_t kLocalApplyThread =
    std::numeric_limits<uint64_t>::max() - 1;

// How ReadIndex confirms leadership (thesis 6.4).
enum class ReadOnlyOption {
  // Safe: a heartbeat round to a quorum confirms leadership for each batch
  // of requests.
  kReadOnlySafe = 0,
  // Lease-based: the leader answers at once while its lease holds: fewer
  // than election_tick - max_clock_drift_ticks of its ticks have passed
  // since it sent the newest heartbeat round a quorum acknowledged. Once
  // the lease has lapsed (or during a leadership transfer) a request takes
  // a round as with kReadOnlySafe. Assumes the nodes' tick clocks advance
  // at rates that differ by at most max_clock_drift_ticks per election
  // timeout: a follower that acknowledged the round neither votes (with
  // check_quorum) nor campaigns before election_tick of its own ticks
  // have passed. Requires check_quorum.
  kReadOnlyLeaseBased = 1,
};

// For tests only; never set in production. Each knob plants a known bug so
// that the simulator can show its checkers catch it.
struct TestingKnobs {
  // Grant votes without the up-to-date check of paper 5.4.1.
  bool vote_without_log_check = false;
  // The leader commits entries of earlier terms by counting replicas,
  // violating paper 5.4.2 (Figure 8).
  bool commit_prior_term_by_count = false;
  // Serve ReadIndex at once, without the quorum round.
  bool read_index_without_heartbeat = false;
};

struct Config {
  // This node's id. REQUIRES: != kNone.
  uint64_t id = kNone;

  // Ticks a follower waits without hearing from a leader before it
  // campaigns; the actual timeout is drawn from
  // [election_tick, 2 * election_tick) after each reset. REQUIRES:
  // election_tick > heartbeat_tick. Suggested: 10 * heartbeat_tick.
  int election_tick = 0;
  // Ticks between the leader's heartbeats. REQUIRES: > 0.
  int heartbeat_tick = 0;

  // The stable log. Not owned; must outlive the node. Raft reads entries
  // and the initial state from it; the application writes it after Ready.
  // REQUIRES: non-null.
  Storage* storage = nullptr;

  // The last applied index, when restarting. Raft never hands out committed
  // entries at or below it. 0 on a fresh node. REQUIRES: <= the stored
  // commit index.
  uint64_t applied = 0;

  // Byte limit (raftpb::EntrySize) of the entries in one MsgApp. 0 means at
  // most one entry per message; kNoLimit means no limit. A single entry
  // larger than the limit is still sent alone.
  uint64_t max_size_per_msg = 0;
  // Byte limit of committed_entries in one Ready (and of entries being
  // applied but not yet acknowledged by Advance). 0 means max_size_per_msg.
  uint64_t max_committed_size_per_ready = 0;
  // Limit on the total payload bytes (raftpb::PayloadSize) of a leader's
  // uncommitted entries; proposals beyond it are dropped with
  // ErrProposalDroppedUncommittedSizeExceeded. A proposal is always
  // accepted when nothing is uncommitted. 0 means no limit.
  uint64_t max_uncommitted_entries_size = 0;
  // Most MsgApps in flight (sent, not acknowledged) per follower in
  // replicate state. REQUIRES: > 0.
  int max_inflight_msgs = 0;
  // Most entry bytes in flight per follower. 0 means no limit; otherwise
  // REQUIRES: >= max_size_per_msg.
  uint64_t max_inflight_bytes = 0;

  // A leader steps down when it has not heard from a quorum for an election
  // timeout, and a follower that has heard from a leader within an election
  // timeout ignores vote requests (thesis 6.2, 4.2.3).
  bool check_quorum = false;
  // Run a PreVote phase before incrementing the term (thesis 9.6).
  bool pre_vote = false;
  ReadOnlyOption read_only_option = ReadOnlyOption::kReadOnlySafe;
  // ReadOnlyLeaseBased: the ticks by which the clocks of two nodes may
  // drift apart during one election timeout (braft's max_clock_drift);
  // the lease is election_tick minus this. REQUIRES: < election_tick.
  int max_clock_drift_ticks = 0;
  // Followers drop proposals (ErrProposalDroppedForwardingDisabled) instead
  // of forwarding them to the leader.
  bool disable_proposal_forwarding = false;
  // Asynchronous storage writes (etcd's AsyncStorageWrites). Ready then
  // carries the log writes as a MsgStorageAppend to kLocalAppendThread and
  // the entries to apply as a MsgStorageApply to kLocalApplyThread, each
  // with the responses to deliver once it is done; Ready's hard_state,
  // entries, snapshot and committed_entries stay empty and Advance() is
  // never called. Lets the host fsync, send and apply in parallel. The
  // ordering contract is in ready.h ("Asynchronous storage writes").
  bool async_storage_writes = false;
  // Skip the check that a proposed configuration change fits the latest
  // configuration (raft/confchange), for hosts that validate changes
  // themselves. The rule that at most one change is pending stays. A change
  // that does not fit and gets committed anyway is refused when applied.
  bool disable_conf_change_validation = false;

  // Seed of the PRNG that draws the randomized election timeout. Two runs
  // with the same seeds and the same inputs behave identically. 0 picks a
  // seed derived from `id`.
  uint64_t seed = 0;

  // Where the node logs. Not owned; must outlive the node. Null discards.
  Logger* logger = nullptr;

  TestingKnobs testing_knobs;

  // Checks the REQUIRES above and fills defaults (max_committed_size_per_
  // ready, kNoLimit for 0 byte limits). Returns InvalidArgument naming the
  // field. Idempotent.
  base::Status Validate();
};

}  // namespace raft
