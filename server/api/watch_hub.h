#pragma once

// WatchHub: the member's watchers, fed from the store, like etcd's
// watchableStore. Every watcher of every stream (watch_stream.h) is in one
// of two sets:
//
//   synced    has been sent every event up to the hub's revision (the last
//             revision dispatched); gets each new revision's events as they
//             arrive. Indexed by key (single-key watchers) and grouped by
//             range (ranges), so a revision costs a hash lookup per event
//             plus one check per distinct range. Each event is serialized
//             once for all its watchers (watch_encoding.h).
//   unsynced  is behind: its next revision is at or below the hub's. The
//             hub catches it up from the store's history in bounded pages
//             (one store query per round serves every unsynced watcher),
//             one round per loop iteration, so a slow watcher never blocks
//             the loop or the others.
//
// A watcher moves synced -> unsynced when its stream is congested (its
// transport holds more unsent bytes than the stream's limit) at the moment
// an event for it arrives; it keeps the revision of that event as its next
// one, and moves back once a round has brought it past the hub's revision.
// A watcher whose next revision was compacted away is cancelled with
// compact_revision set (etcd's behaviour).
//
// Events reach the hub from the store's listener on the apply thread; it
// queues them and wakes the loop with a uv_async, where they are dispatched
// in revision order. Revisions are contiguous (each one changed something),
// so a gap means the store was restored from a snapshot: every synced
// watcher then goes unsynced and catches up from history (or is compacted).
//
// Guarantees per watcher: events in revision order, none twice, none
// skipped (next_rev only grows, and only past revisions that were sent or
// filtered out).
//
// Thread safety: loop thread only, except the store listener.

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/result.h"
#include "kvstore/store.h"
#include "mvccpb/kv.pb.h"
#include "server/net/handle.h"

namespace server::api {

class WatchStream;

// The events of one revision, shared by every watcher that gets them.
using EventBatch = std::shared_ptr<const std::vector<mvccpb::Event>>;

// One watcher of a stream.
struct Watcher {
  int64_t id = 0;
  kvstore::KeyRange range;
  bool prev_kv = false;
  bool fragment = false;
  bool progress_notify = false;
  bool no_put = false;
  bool no_delete = false;
  // The first revision not yet sent (nor filtered out) to the client.
  // A synced watcher has been sent everything up to the hub's revision, so
  // this is only a lower bound for it.
  int64_t next_rev = 0;
  bool synced = false;
  // etcd's progress flag: no events were sent since the last progress tick.
  bool idle_since_tick = true;
  WatchStream* stream = nullptr;
};

struct WatchHubOptions {
  // Period of progress notifications (etcd's
  // --experimental-watch-progress-notify-interval); 0 disables them.
  uint64_t progress_interval_ms = 10 * 60 * 1000;
  // Events read from history per catch-up round (whole revisions, so a
  // round may read more).
  size_t page_events = 512;
  // etcd's "hasleader" streams (clientv3.WithRequireLeader): a stream that
  // asked for a leader ends with "etcdserver: no leader" once has_leader()
  // was false at kNoLeaderChecks consecutive checks leader_check_ms apart
  // (etcd: every election timeout, 3 times). Unset: never checked.
  std::function<bool()> has_leader;
  uint64_t leader_check_ms = 1000;
};

class WatchHub {
 public:
  // Starts listening to `store` (which must outlive the hub).
  static base::Result<std::unique_ptr<WatchHub>> Create(
      uv_loop_t* loop, kvstore::Store* store, WatchHubOptions options);
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Stops listening and closes the hub's handles; streams still open get
  // no more events. Idempotent; the destructor does it too.
  void Close();

  kvstore::Store* store() const { return store_; }
  // The last revision dispatched to synced watchers.
  int64_t revision() const { return rev_; }

  // Streams register so the hub can send progress notifications.
  void AddStream(WatchStream* s);
  void RemoveStream(WatchStream* s);

  // Adds a watcher whose next_rev is set. `current` is the store revision
  // the stream reported as the creation revision: a watcher starting past
  // it is synced at once, others catch up from history.
  void Add(Watcher* w, int64_t current);
  // Removes a watcher from whichever set holds it.
  void Remove(Watcher* w);
  // Moves a synced watcher to the unsynced set; it will be sent events from
  // `from_rev` on (next_rev becomes at least that).
  void Desync(Watcher* w, int64_t from_rev);
  // A stream's transport drained: run a catch-up round soon.
  void ScheduleSync();

  // etcd's maxNoLeaderCnt.
  static constexpr int kNoLeaderChecks = 3;
  size_t synced_count() const { return synced_count_; }
  size_t unsynced_count() const { return unsynced_.size(); }
  size_t stream_count() const { return streams_.size(); }

 private:
  struct Inbox {
    std::mutex mu;
    bool closed = false;
    uv_async_t* async = nullptr;
    std::deque<std::pair<int64_t, EventBatch>> batches;
  };

  WatchHub(uv_loop_t* loop, kvstore::Store* store, WatchHubOptions options);
  static void OnAsync(uv_async_t* h);
  static void OnSyncTimer(uv_timer_t* h);
  static void OnProgressTimer(uv_timer_t* h);
  static void OnLeaderTimer(uv_timer_t* h);
  void Drain();
  void Dispatch(int64_t rev, const EventBatch& events);
  void SyncRound();
  void MakeSynced(Watcher* w);
  void RemoveSynced(Watcher* w);
  void DesyncAll(int64_t from_rev);

  uv_loop_t* const loop_;
  kvstore::Store* const store_;
  const WatchHubOptions options_;
  std::shared_ptr<Inbox> inbox_;
  net::UvHandle<uv_async_t> async_;
  net::UvHandle<uv_timer_t> sync_timer_;
  net::UvHandle<uv_timer_t> progress_timer_;
  net::UvHandle<uv_timer_t> leader_timer_;
  int no_leader_checks_ = 0;
  bool closed_ = false;

  int64_t rev_ = 0;
  // Synced watchers: single keys by key, ranges by (key, end).
  std::unordered_map<std::string, std::vector<Watcher*>> by_key_;
  std::map<std::pair<std::string, std::string>, std::vector<Watcher*>> ranged_;
  size_t synced_count_ = 0;
  std::unordered_set<Watcher*> unsynced_;
  std::unordered_set<WatchStream*> streams_;
  // Scratch for Dispatch: watchers hit by the revision and their events.
  std::unordered_map<Watcher*, std::vector<const mvccpb::Event*>> hits_;
  std::vector<Watcher*> hit_order_;
};

}  // namespace server::api
