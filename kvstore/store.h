#pragma once

// Store: the MVCC key-value state machine the server replicates, with etcd
// v3 semantics (shared/etcd-v3-api.md section 4), on SQLite.
//
// Shape (after etcd's mvcc/kv.go): a write path, Apply(index, request),
// that every member runs on the same committed entries in the same order,
// and read paths (Range, Events, HashKV, the lease queries) that any member
// may serve locally. It knows nothing of raft or the network.
//
// Revisions: an empty store is at revision 1; each write request that
// changes something advances it by one (see revision.h). History is kept
// until compacted.
//
// Apply contract:
//   - Deterministic: the outcome depends only on the request, the entry's
//     index and the state (no clock, no randomness). The only clock reading,
//     Options::clock, feeds lease deadlines, which are local, never
//     replicated, and never change the key-value state by themselves.
//   - Idempotent by index: Apply(i, r) with i <= ConsistentIndex() does
//     nothing. The consistent index is committed in the same SQLite
//     transaction as the data (backend.cc, invariant 1), so after a crash
//     the server replays its log from ConsistentIndex() + 1.
//   - Batches: BeginBatch(); Apply()...; CommitBatch() makes one SQLite
//     transaction of many entries. An Apply outside a batch commits alone.
//   - Request errors (etcd's: compacted, lease not found, ...) are detected
//     before anything is written; the entry is then consumed (the consistent
//     index moves) with no other effect.
//   - Store failures (SQLite I/O error, corruption, full disk) are sticky:
//     the open transaction is rolled back, and every later call returns the
//     same Status (naming the file and SQLite's error). The server must exit
//     or reopen the store and replay.
//
// Thread safety: every method may be called from any thread; calls are
// serialized by an internal mutex. The event listener runs on the thread
// that commits, after the commit, with the mutex released (it may call the
// store's read methods).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "cairnpb/internal.pb.h"
#include "etcdserverpb/rpc.pb.h"
#include "kvstore/backend.h"
#include "kvstore/key_index.h"
#include "kvstore/lessor.h"
#include "mvccpb/kv.pb.h"

namespace kvstore {

struct Options {
  // Maximum ops in one txn list (etcd --max-txn-ops).
  int max_txn_ops = 128;
  // Leases granted with a smaller TTL get this one, in seconds (etcd:
  // ceil(1.5 * election timeout), 2 s with default settings).
  int64_t min_lease_ttl = 2;
  // Monotonic clock in milliseconds for lease deadlines; the same clock the
  // caller passes to the lease queries. Default: std::chrono::steady_clock.
  std::function<int64_t()> clock;
  SyncMode sync = SyncMode::kNormal;
  // Test hook, see backend.h.
  FaultHook fault_hook;
};

// The outcome of applying one entry.
struct ApplyResult {
  // False when the entry was applied before (index <= consistent index):
  // nothing was done and status/response are empty.
  bool applied = false;
  // The request's outcome: OK or one of etcd's errors (errors.h).
  base::Status status;
  // When applied and status is OK: the response (header.revision set; the
  // server fills cluster_id, member_id and raft_term).
  cairnpb::InternalResponse response;
};

// Events of one revision, as the listener gets them.
using EventListener =
    std::function<void(int64_t revision, const std::vector<mvccpb::Event>&)>;

// A page of history from Events().
struct EventPage {
  std::vector<mvccpb::Event> events;  // revision order
  // Where the next page starts: one past the last revision covered.
  int64_t next_revision = 0;
};

struct HashResult {
  uint32_t hash = 0;
  int64_t compact_revision = 0;  // compaction revision when hashing
  int64_t revision = 0;          // revision hashed up to
};

class Store {
 public:
  // Opens the store whose SQLite database is the file at `path` (created
  // if absent) and rebuilds the in-memory index from it. Every lease's
  // countdown starts now (like etcd after a restart).
  static base::Result<std::unique_ptr<Store>> Open(const std::string& path,
                                                   Options options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // ---- Write path.

  // Starts a batch: the Applies until CommitBatch() form one transaction.
  // REQUIRES: no batch open.
  base::Status BeginBatch();
  // Applies entry `index`. Errors here are store failures only (sticky);
  // the request's own outcome is ApplyResult::status.
  // REQUIRES: index > 0; indexes increase (gaps allowed).
  base::Result<ApplyResult> Apply(uint64_t index,
                                  const cairnpb::InternalRequest& request);
  // Commits the batch (with the consistent index of its last Apply), then
  // delivers its events to the listener. REQUIRES: a batch open.
  base::Status CommitBatch();

  // ---- Read path.

  // Range with every RangeRequest option (etcd-v3-api.md 4.3).
  // header.revision is the current revision.
  base::Result<etcdserverpb::RangeResponse> Range(
      const etcdserverpb::RangeRequest& request);

  // Current revision, compaction revision, consistent index.
  int64_t CurrentRevision();
  int64_t CompactRevision();
  uint64_t ConsistentIndex();

  // ---- Watch history.

  // Events on keys in `range` with revision >= start_revision, in order,
  // up to max_events (a revision is never split, so a page may hold more)
  // and never past the current revision. With prev_kv, each event carries
  // the key's previous state when it still exists. Errors: start_revision
  // below the compaction revision -> ErrCompacted() (the caller reports
  // CompactRevision()).
  base::Result<EventPage> Events(const KeyRange& range, int64_t start_revision,
                                 bool prev_kv, size_t max_events);
  // Sets the listener told of each new revision's events, in order, after
  // they are committed. With prev_kv, the events carry previous states.
  // Replaces any previous listener; an empty function removes it.
  void SetEventListener(EventListener listener, bool prev_kv);

  // ---- Hash (HashKV): a CRC-32C of every stored version with revision <=
  // `revision` (0 = current). Errors: ErrCompacted(), ErrFutureRev().
  base::Result<HashResult> HashKV(int64_t revision);

  // ---- Leases: the non-replicated part (Grant/Revoke/Checkpoint are
  // applied requests). `now_ms` is a reading of Options::clock.

  // Keep-alive: restarts the lease's countdown; returns its granted TTL.
  // Errors: ErrLeaseNotFound(); ErrLeaseExpired() when the deadline is
  // <= now_ms (the lease is not renewed: as etcd's lessor, an expired lease
  // is never resurrected by a late keep-alive).
  base::Result<int64_t> LeaseRenew(int64_t id, int64_t now_ms);
  // TimeToLive: TTL -1 for an unknown lease (not an error, as etcd).
  etcdserverpb::LeaseTimeToLiveResponse LeaseTimeToLive(
      const etcdserverpb::LeaseTimeToLiveRequest& request, int64_t now_ms);
  // Every lease, soonest deadline first (as etcd lists them).
  etcdserverpb::LeaseLeasesResponse LeaseLeases();
  // Leases whose deadline is <= now_ms, soonest first, at most `limit`. The
  // server replicates a revoke for each.
  std::vector<int64_t> ExpiredLeases(int64_t now_ms, size_t limit);
  // Restarts every lease's countdown at now_ms + extend_ms (a new leader
  // does this, like etcd's lessor Promote).
  void PromoteLeases(int64_t now_ms, int64_t extend_ms);

  // ---- Snapshots.

  // Writes a consistent copy of the last committed state (with its
  // consistent index and leases) to a new file at `path`. Applies may run
  // concurrently on other threads; an open batch is not included.
  base::Status Snapshot(const std::string& path);
  // The same in two steps: BeginSnapshot() pins the last committed state
  // (cheap; no batch may be open, so its consistent index is
  // ConsistentIndex()), and the source's CopyTo(path) writes it, on any
  // thread, while applies go on.
  struct PinnedSnapshot {
    uint64_t consistent_index = 0;
    std::unique_ptr<Backend::BackupSource> source;
  };
  base::Result<PinnedSnapshot> BeginSnapshot();
  // Replaces the whole state with the snapshot at `path`.
  // REQUIRES: no batch open.
  base::Status Restore(const std::string& path);

  // ---- Alarms (etcd's alarm store, store_alarm.cc). Applied AlarmRequests
  // raise and clear them; they are kept in the database, so they survive
  // restarts and travel in snapshots. While NOSPACE is raised, Put, a Txn
  // with a put in either branch, and LeaseGrant fail with ErrNoSpace() when
  // applied; while CORRUPT is raised every write (and a replicated Range)
  // fails with ErrCorrupt(). Reads served by Range() are not affected.

  // The raised alarms, ordered by type then member.
  std::vector<etcdserverpb::AlarmMember> Alarms();

  // ---- Cluster membership. An applied InternalRequest.membership replaces
  // the stored registry (no revision changes, alarms do not refuse it); the
  // server owns its meaning. nullopt until the first one is applied.
  base::Result<std::optional<cairnpb::Membership>> Membership();

  // ---- Maintenance.

  // OK, or the sticky failure.
  base::Status health();
  // Size of the database in bytes.
  base::Result<int64_t> DbSize();
  // Database size and the part of it in use (without free pages), as of the
  // last commit, defragmentation or restore. Lock-free: the loop thread may
  // call them for every request.
  int64_t CachedDbSize() const { return db_size_.load(); }
  int64_t CachedDbSizeInUse() const { return db_size_in_use_.load(); }
  // Rewrites the database without its free pages (SQLite VACUUM), giving
  // the space back to the file system. Waits until no batch is open and
  // holds applies back while it runs: slow, call it off the loop.
  base::Status Defragment();

 private:
  explicit Store(Options options);

  // Everything below: REQUIRES mu_ held.
  base::Status Load();
  base::Status Fail(base::Status s);
  // Returns s; a non-OK s (a backend error) first fails the store.
  base::Status Io(base::Status s) { return s.ok() ? s : Fail(std::move(s)); }
  base::Status BeginLocked();
  base::Status CommitLocked(std::vector<std::vector<mvccpb::Event>>* events);
  base::Status ApplyRequest(uint64_t index,
                            const cairnpb::InternalRequest& request,
                            ApplyResult* out);

  // Reads (store_range.cc).
  int64_t ReadRevision() const;
  base::Status CheckReadRevision(int64_t rev) const;
  base::Status RangeLocked(const etcdserverpb::RangeRequest& r,
                           etcdserverpb::RangeResponse* resp);
  base::Result<mvccpb::KeyValue> ReadKv(Revision rev, bool with_value);

  // Writes (store_write.cc). A write request runs between StartWrite() and
  // FinishWrite(); its changes get revision {rev_ + 1, sub++}.
  void StartWrite();
  void FinishWrite();
  base::Status CheckPut(const etcdserverpb::PutRequest& r) const;
  base::Status DoPut(const etcdserverpb::PutRequest& r,
                     etcdserverpb::PutResponse* resp);
  // The put itself. REQUIRES: CheckPut(r) passed; inside a write.
  base::Status PutLocked(const etcdserverpb::PutRequest& r,
                         etcdserverpb::PutResponse* resp);
  base::Status DoDeleteRange(const etcdserverpb::DeleteRangeRequest& r,
                             etcdserverpb::DeleteRangeResponse* resp);
  base::Status DeleteKey(const std::string& key, const KeyHistory& h,
                         mvccpb::KeyValue* prev);
  base::Status DoCompact(const etcdserverpb::CompactionRequest& r);
  // Queues the event of a change for the listener. `prev` is the revision
  // of the key's previous state, if it has one. Call before updating the
  // index.
  base::Status AddEvent(mvccpb::Event ev, std::optional<Revision> prev);

  // Txns (store_txn.cc).
  // A txn's path: the outcome of its compares, then of each nested txn of
  // the branch taken, depth first (etcd's compareToPath).
  using TxnPath = std::vector<bool>;
  base::Status EvalPath(const etcdserverpb::TxnRequest& r, TxnPath* path);
  base::Result<bool> EvalCompare(const etcdserverpb::Compare& c);
  base::Status CheckPath(const etcdserverpb::TxnRequest& r, const TxnPath& path,
                         size_t* pos) const;
  base::Status ExecTxn(const etcdserverpb::TxnRequest& r, const TxnPath& path,
                       size_t* pos, etcdserverpb::TxnResponse* resp);
  base::Status DoTxn(const etcdserverpb::TxnRequest& r,
                     etcdserverpb::TxnResponse* resp);

  // Alarms (store_alarm.cc).
  base::Status LoadAlarms();
  // ErrNoSpace() / ErrCorrupt() when a raised alarm refuses `request`.
  base::Status CheckAlarms(const cairnpb::InternalRequest& request) const;
  base::Status DoAlarm(const etcdserverpb::AlarmRequest& r,
                       etcdserverpb::AlarmResponse* resp);
  // Refreshes db_size_ and db_size_in_use_ (errors leave them as they are).
  void UpdateSizes();

  // Leases (store_lease.cc).
  base::Status DoLeaseGrant(uint64_t index,
                            const etcdserverpb::LeaseGrantRequest& r,
                            etcdserverpb::LeaseGrantResponse* resp);
  base::Status DoLeaseRevoke(const etcdserverpb::LeaseRevokeRequest& r);
  base::Status DoLeaseCheckpoint(const etcdserverpb::LeaseCheckpointRequest& r);

  Options options_;
  std::mutex mu_;
  std::unique_ptr<Backend> backend_;
  KeyIndex index_;
  Lessor lessor_;
  base::Status failed_;

  int64_t rev_ = 1;             // current revision
  int64_t compact_rev_ = -1;    // last compaction revision, -1 = none (etcd)
  uint64_t applied_index_ = 0;  // consistent index (committed or in batch)
  bool batch_open_ = false;
  // Signalled when batch_open_ becomes false (Defragment waits for it).
  std::condition_variable batch_closed_;
  // Raised alarms: {etcdserverpb::AlarmType, member ID}.
  std::set<std::pair<int, uint64_t>> alarms_;
  std::atomic<int64_t> db_size_{0};
  std::atomic<int64_t> db_size_in_use_{0};

  // The write request in progress (StartWrite..FinishWrite).
  bool writing_ = false;
  int64_t write_sub_ = 0;

  // Events of the open transaction, one vector per revision.
  std::vector<std::vector<mvccpb::Event>> pending_events_;
  EventListener listener_;
  bool listener_prev_kv_ = false;
};

}  // namespace kvstore
