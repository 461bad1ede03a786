#pragma once

// Node: one member's raft node driven on a libuv loop, with its WAL,
// snapshot files and state machine (server/state_machine). It is the
// server's beforeSleep: once per loop iteration (a uv_prepare handle), it
// takes the RawNode's Ready and moves it through the pipeline
//
//   loop:            GetReady ── leader: send messages now; follower:
//                      │          send forwarded proposals and reads now
//                      │
//   storage thread:    WAL Save(hard state, entries) + one fdatasync
//                      │          (group commit: everything in the Ready)
//   loop:            MemoryStorage Append ── follower: send messages
//                    conf changes applied ── Advance()
//                      │
//   apply thread:      StateMachine::Apply(committed entries)
//                      │
//   loop:            answer the clients whose entries were applied
//
// so that a client's write is answered only once its entry is durable,
// committed and applied, and no entry reaches the state machine before it
// is durable in the WAL (the state machine never gets ahead of the log,
// even across a crash). One Ready is in flight at a time; proposals that
// arrive meanwhile ride in the next one, but a follower's forwarded
// proposals and reads go out to the leader on the next loop turn.
//
// Reads: a serializable read is a query on the apply thread, behind every
// entry already handed to it. A linearizable read joins the next ReadIndex
// round (thesis 6.4; all reads waiting when a round starts share it); once
// raft confirms the read index, the query is queued behind the entries up
// to that index.
//
// On disk, under <data-dir>/member: wal/ (server/wal) and snap/
// (server/snap). Every --snapshot-count applied entries the state machine
// pins its state (apply thread, cheap), the snapshot thread writes it into
// a snapshot file (the copy, while applies and WAL writes go on), and the
// storage thread adds a WAL marker, after which older WAL segments and
// snapshot files are released.
//
// Thread safety: loop thread only, except where noted. Callbacks run on the
// loop thread.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "proto/raftpb/raftpb.h"
#include "raft/raw_node.h"
#include "raft/storage.h"
#include "server/net/handle.h"
#include "server/node/raft_logger.h"
#include "server/snap/snapshotter.h"
#include "server/state_machine/state_machine.h"
#include "server/wal/storage_thread.h"
#include "server/wal/wal.h"

namespace server {

// etcd's error strings for requests the node cannot complete.
base::Status ErrTimeout();        // "etcdserver: request timed out"
base::Status ErrStopped();        // "etcdserver: server stopped"
base::Status ErrNoLeader();       // "etcdserver: no leader"
base::Status ErrLeaderChanged();  // "etcdserver: leader changed"
// "etcdserver: request timed out, possibly due to previous leader failure"
base::Status ErrTimeoutDueToLeaderFail();

struct NodeOptions {
  // Both 0: a restarting member takes them from its WAL (as etcd ignores
  // --initial-cluster once the data dir exists); the WAL must exist.
  uint64_t member_id = 0;
  uint64_t cluster_id = 0;
  // The voters of a new cluster; used only when the data dir is empty.
  std::vector<uint64_t> initial_voters;
  // <data-dir>; the node keeps its files in <data-dir>/member.
  std::string data_dir;
  uint64_t tick_ms = 100;
  int election_ticks = 10;
  uint64_t snapshot_count = 100000;
  // Entries kept in memory behind a snapshot for slow followers (etcd's
  // SnapshotCatchUpEntries).
  uint64_t catch_up_entries = 5000;
  size_t snapshots_to_keep = 5;
  // How long a proposal or read may wait before ErrTimeout (etcd: 5 s plus
  // two election timeouts).
  uint64_t request_timeout_ms = 7000;
  uint64_t wal_segment_bytes = 64ull << 20;
  // Messages for other members (the peer transport). May be empty for a
  // single member.
  std::function<void(std::vector<raftpb::Message>)> send;
  // Called once if the WAL or the state machine fails; the member must exit.
  std::function<void(const base::Status&)> on_fatal;
  // Configuration changes (server/membership). Optional.
  //
  // apply_conf_change runs for each committed EntryConfChange, in log order,
  // before raft applies it (also again for entries replayed after a
  // restart). It may turn *cc into a no-op (node_id 0). `result.outcome`
  // answers the proposer (ProposeConfChange); a non-empty
  // `result.state_machine_request` is handed to the state machine as that
  // entry's data, so the change is stored with the entry's index.
  struct ConfChangeResult {
    Outcome outcome;
    std::string state_machine_request;
  };
  std::function<ConfChangeResult(uint64_t index, const raftpb::ConfState& cs,
                                 raftpb::ConfChange* cc)>
      apply_conf_change;
  // Runs once the state machine has been restored from a snapshot received
  // from the leader, before any later entry is applied (no Ready is
  // processed meanwhile).
  std::function<void(uint64_t index)> on_restored;
};

using OutcomeCallback = std::function<void(Outcome)>;

class Node {
 public:
  // Recovers the member's state from <data-dir>/member (snapshot file, WAL,
  // state machine; the state machine is restored from the snapshot if it is
  // behind it) or creates it. Refuses a data dir of another member or
  // cluster, and a corrupt WAL (the message names file and offset). `sm`
  // must outlive the Node.
  static base::Result<std::unique_ptr<Node>> Open(uv_loop_t* loop,
                                                  NodeOptions options,
                                                  StateMachine* sm);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Starts ticking and processing Readies.
  base::Status Start();

  // Stops: no new requests (they fail with ErrStopped), the Ready in flight
  // is persisted and applied and its clients answered, waiting requests fail
  // with ErrStopped, threads are joined and handles closed. `on_stopped`
  // runs once all that is done.
  void Stop(std::function<void()> on_stopped);

  // Replicates `request` through the log; `done` gets the state machine's
  // Outcome once the entry is applied here, or ErrTimeout / ErrStopped /
  // raft's proposal-dropped error. `timeout_ms` 0 means the default.
  void Propose(std::string_view request, OutcomeCallback done,
               uint64_t timeout_ms = 0);

  // Proposes a configuration change (its `id` is set here); `done` gets
  // NodeOptions::apply_conf_change's outcome once the entry is applied
  // here, or ErrTimeout / ErrStopped / ErrNoLeader. Raft drops a change
  // proposed while another is pending (the caller then times out, as
  // etcd's does).
  void ProposeConfChange(raftpb::ConfChange cc, OutcomeCallback done,
                         uint64_t timeout_ms = 0);

  // Answers a read-only request from the state machine. Linearizable reads
  // go through ReadIndex first.
  void Read(std::string request, bool linearizable, OutcomeCallback done,
            uint64_t timeout_ms = 0);

  // Delivers a message from a peer. A member that knows no configuration
  // yet (it joined a running cluster and has no snapshot) drops appends
  // that start at the beginning of the log: the configuration it needs is
  // in the leader's snapshot, not in any entry (see ApplyConfChangeEntry).
  base::Status Step(raftpb::Message m);
  // The peer transport's reports (RawNode::ReportUnreachable,
  // ReportSnapshot). Ignored while stopping.
  void ReportUnreachable(uint64_t id);
  void ReportSnapshot(uint64_t id, bool ok);

  uv_loop_t* loop() const { return loop_; }
  uint64_t member_id() const { return options_.member_id; }
  uint64_t cluster_id() const { return options_.cluster_id; }
  uint64_t tick_ms() const { return options_.tick_ms; }
  // The default time a proposal or read may wait (NodeOptions).
  uint64_t request_timeout_ms() const { return options_.request_timeout_ms; }
  uint64_t leader() const { return lead_; }
  bool is_leader() const;
  uint64_t term() const;
  uint64_t commit_index() const;
  // Proposals waiting to be applied (etcd_server_proposals_pending).
  size_t pending_proposals() const { return waiters_.size(); }
  // Highest index the state machine has applied (as the loop knows it).
  uint64_t applied_index() const { return applied_index_; }
  uint64_t snapshot_index() const { return snapshot_index_; }
  raft::RawNode& raw_node() { return *raw_node_; }
  // A sticky failure (WAL or state machine), or OK.
  const base::Status& failed() const { return failed_; }

 private:
  struct Waiter {
    OutcomeCallback done;
    uint64_t deadline_ms = 0;
    uint64_t start_ms = 0;
  };
  struct PendingRead {
    std::string request;
    OutcomeCallback done;
    uint64_t deadline_ms = 0;
  };
  struct ReadyBatch;

  Node(uv_loop_t* loop, NodeOptions options, StateMachine* sm);
  base::Status Recover();

  static void OnPrepare(uv_prepare_t* h);
  static void OnTick(uv_timer_t* h);
  static void OnStorageAsync(uv_async_t* h);
  static void OnApplyAsync(uv_async_t* h);
  static void OnSnapAsync(uv_async_t* h);

  void ProcessReady();
  // Sends now, and removes from *msgs, what need not wait for the pending
  // WAL write: everything on a leader; a follower's forwarded proposals and
  // read requests and its heartbeat responses.
  void SendEarly(std::vector<raftpb::Message>* msgs);
  void OnPersisted(const std::shared_ptr<ReadyBatch>& batch,
                   const base::Status& status);
  void HandleSoftState(const raft::SoftState& ss);
  void HandleReadStates(const std::vector<raft::ReadState>& states);
  void SubmitApply(std::vector<raftpb::Entry> entries);
  // Applies a committed conf change entry to raft (and through the hook to
  // the registry); the entry may be rewritten for the state machine.
  base::Status ApplyConfChangeEntry(raftpb::Entry* e);
  void OnApplied(uint64_t last_index, const base::Status& status,
                 std::vector<std::pair<uint64_t, Outcome>> outcomes);
  void StartReadRound();
  void SubmitQuery(PendingRead read);
  void ServeReadsUpTo(uint64_t index);
  void MaybeSnapshot();
  void OnSnapshotPinned(uint64_t index, const raftpb::ConfState& cs,
                        std::shared_ptr<PinnedSnapshot> pinned);
  void OnSnapshotWritten(const raftpb::SnapshotMetadata& md);
  // The snapshot in flight is done (or dropped): allows the next one.
  void EndSnapshot();
  void ExpireRequests();
  void Fail(const base::Status& status);
  bool Busy() const;
  void MaybeFinishStop();
  static void OnStopTimer(uv_timer_t* h);
  void FinishStop();
  uint64_t NowMs() const { return uv_now(loop_); }
  uint64_t Deadline(uint64_t timeout_ms) const;
  uint64_t NextRequestId() { return id_prefix_ | (++request_counter_); }

  uv_loop_t* const loop_;
  NodeOptions options_;  // Const but for the IDs a restart takes from the WAL.
  StateMachine* const sm_;
  RaftLogger raft_logger_;

  raft::MemoryStorage storage_;
  std::unique_ptr<raft::RawNode> raw_node_;
  // Owned by the storage thread while jobs run on it.
  std::unique_ptr<wal::Wal> wal_;
  std::unique_ptr<snap::Snapshotter> snapshotter_;
  std::unique_ptr<wal::StorageThread> storage_thread_;
  std::unique_ptr<wal::StorageThread> apply_thread_;
  // Writes the state machine's snapshots to snapshot files: O(state) work
  // that must block neither the WAL nor the applies.
  std::unique_ptr<wal::StorageThread> snap_thread_;

  net::UvHandle<uv_prepare_t> prepare_;
  net::UvHandle<uv_timer_t> tick_;
  net::UvHandle<uv_async_t> storage_async_;
  net::UvHandle<uv_async_t> apply_async_;
  net::UvHandle<uv_async_t> snap_async_;

  raftpb::ConfState conf_state_;
  uint64_t lead_ = 0;
  // When the current leader was first seen (etcd's leadElectedTime).
  uint64_t lead_elected_ms_ = 0;
  bool ready_in_flight_ = false;
  // The newest hard state not yet written because only its commit index
  // changed (see ProcessReady).
  std::optional<raftpb::HardState> unsaved_hard_state_;
  // Entries handed to the apply thread / applied there.
  uint64_t submitted_index_ = 0;
  uint64_t applied_index_ = 0;
  uint64_t snapshot_index_ = 0;
  bool snapshot_in_flight_ = false;
  // A member was added: take a snapshot now, whatever snapshot_count says
  // (see ApplyConfChangeEntry).
  bool snapshot_wanted_ = false;
  // A snapshot from the leader is being restored: no Ready until it is.
  bool restoring_ = false;

  uint64_t id_prefix_ = 0;
  uint64_t request_counter_ = 0;
  std::unordered_map<uint64_t, Waiter> waiters_;
  // Linearizable reads: waiting for a round, in the round in flight (by its
  // context), and confirmed but waiting for the apply thread to catch up.
  std::vector<PendingRead> reads_next_round_;
  uint64_t read_round_ctx_ = 0;
  uint64_t read_round_start_ms_ = 0;
  std::vector<PendingRead> reads_in_round_;
  std::multimap<uint64_t, PendingRead> reads_confirmed_;

  base::Status failed_;
  bool started_ = false;
  bool stopping_ = false;
  std::function<void()> on_stopped_;
};

}  // namespace server
