#include "server/api/watch_hub.h"

#include <algorithm>
#include <limits>

#include "base/log.h"
#include "kvstore/errors.h"
#include "server/api/watch_stream.h"
#include "server/net/uv_status.h"

namespace server::api {

WatchHub::WatchHub(uv_loop_t* loop, kvstore::Store* store,
                   WatchHubOptions options)
    : loop_(loop),
      store_(store),
      options_(options),
      inbox_(std::make_shared<Inbox>()) {}

base::Result<std::unique_ptr<WatchHub>> WatchHub::Create(
    uv_loop_t* loop, kvstore::Store* store, WatchHubOptions options) {
  std::unique_ptr<WatchHub> hub(new WatchHub(loop, store, options));
  int rc = uv_async_init(loop, hub->async_.get(), &WatchHub::OnAsync);
  if (rc < 0) return net::UvStatus(rc, "watch async init");
  hub->async_.MarkInitialized();
  hub->async_->data = hub.get();
  rc = uv_timer_init(loop, hub->sync_timer_.get());
  if (rc < 0) return net::UvStatus(rc, "watch timer init");
  hub->sync_timer_.MarkInitialized();
  hub->sync_timer_->data = hub.get();
  rc = uv_timer_init(loop, hub->progress_timer_.get());
  if (rc < 0) return net::UvStatus(rc, "watch timer init");
  hub->progress_timer_.MarkInitialized();
  hub->progress_timer_->data = hub.get();
  rc = uv_timer_init(loop, hub->leader_timer_.get());
  if (rc < 0) return net::UvStatus(rc, "watch timer init");
  hub->leader_timer_.MarkInitialized();
  hub->leader_timer_->data = hub.get();
  if (options.has_leader && options.leader_check_ms > 0) {
    uv_timer_start(hub->leader_timer_.get(), &WatchHub::OnLeaderTimer,
                   options.leader_check_ms, options.leader_check_ms);
  }
  if (options.progress_interval_ms > 0) {
    uv_timer_start(hub->progress_timer_.get(), &WatchHub::OnProgressTimer,
                   options.progress_interval_ms, options.progress_interval_ms);
  }
  // Nothing reaches the loop before this revision is known: events of later
  // revisions queue in the inbox.
  hub->inbox_->async = hub->async_.get();
  std::shared_ptr<Inbox> inbox = hub->inbox_;
  store->SetEventListener(
      [inbox](int64_t rev, const std::vector<mvccpb::Event>& events) {
        auto batch = std::make_shared<const std::vector<mvccpb::Event>>(events);
        std::lock_guard<std::mutex> lock(inbox->mu);
        if (inbox->closed) return;
        inbox->batches.emplace_back(rev, std::move(batch));
        uv_async_send(inbox->async);
      },
      /*prev_kv=*/true);
  hub->rev_ = store->CurrentRevision();
  // Revisions committed between the listener and the read above are both
  // queued and counted: Drain skips them.
  return hub;
}

WatchHub::~WatchHub() { Close(); }

void WatchHub::Close() {
  if (closed_) return;
  closed_ = true;
  {
    std::lock_guard<std::mutex> lock(inbox_->mu);
    inbox_->closed = true;
    inbox_->batches.clear();
  }
  store_->SetEventListener(nullptr, false);
  for (WatchStream* s : streams_) s->DetachHub();
  streams_.clear();
  by_key_.clear();
  ranged_.clear();
  unsynced_.clear();
  synced_count_ = 0;
  async_.Close();
  sync_timer_.Close();
  progress_timer_.Close();
  leader_timer_.Close();
}

void WatchHub::AddStream(WatchStream* s) { streams_.insert(s); }
void WatchHub::RemoveStream(WatchStream* s) { streams_.erase(s); }

void WatchHub::Add(Watcher* w, int64_t current) {
  if (w->next_rev > current && w->next_rev > rev_) {
    MakeSynced(w);
    return;
  }
  w->synced = false;
  unsynced_.insert(w);
  ScheduleSync();
}

void WatchHub::Remove(Watcher* w) {
  if (w->synced) {
    RemoveSynced(w);
  } else {
    unsynced_.erase(w);
  }
  hits_.erase(w);
}

void WatchHub::Desync(Watcher* w, int64_t from_rev) {
  if (!w->synced) return;
  RemoveSynced(w);
  w->next_rev = std::max(w->next_rev, from_rev);
  unsynced_.insert(w);
  // The round runs once the stream drains (OnWriteReady), or from the timer.
  ScheduleSync();
}

void WatchHub::MakeSynced(Watcher* w) {
  w->synced = true;
  ++synced_count_;
  if (w->range.single()) {
    by_key_[w->range.key].push_back(w);
  } else {
    ranged_[{w->range.key, w->range.end}].push_back(w);
  }
}

namespace {

// Removes `w` from the group at `it` of `groups`, and the group once empty.
template <typename Map>
void RemoveFromGroup(Map& groups, typename Map::iterator it, Watcher* w) {
  if (it == groups.end()) return;
  std::vector<Watcher*>& v = it->second;
  v.erase(std::remove(v.begin(), v.end(), w), v.end());
  if (v.empty()) groups.erase(it);
}

}  // namespace

void WatchHub::RemoveSynced(Watcher* w) {
  w->synced = false;
  --synced_count_;
  if (w->range.single()) {
    RemoveFromGroup(by_key_, by_key_.find(w->range.key), w);
  } else {
    RemoveFromGroup(ranged_, ranged_.find({w->range.key, w->range.end}), w);
  }
}

void WatchHub::DesyncAll(int64_t from_rev) {
  std::vector<Watcher*> all;
  for (auto& [range, v] : ranged_) all.insert(all.end(), v.begin(), v.end());
  for (auto& [key, v] : by_key_) all.insert(all.end(), v.begin(), v.end());
  for (Watcher* w : all) Desync(w, from_rev);
}

void WatchHub::ScheduleSync() {
  if (closed_ || uv_is_active(sync_timer_.handle()) != 0) return;
  uv_timer_start(sync_timer_.get(), &WatchHub::OnSyncTimer, 0, 0);
}

void WatchHub::OnAsync(uv_async_t* h) {
  if (h->data != nullptr) static_cast<WatchHub*>(h->data)->Drain();
}

void WatchHub::OnSyncTimer(uv_timer_t* h) {
  if (h->data != nullptr) static_cast<WatchHub*>(h->data)->SyncRound();
}

void WatchHub::OnProgressTimer(uv_timer_t* h) {
  auto* hub = static_cast<WatchHub*>(h->data);
  if (hub == nullptr) return;
  std::vector<WatchStream*> streams(hub->streams_.begin(), hub->streams_.end());
  for (WatchStream* s : streams) s->ProgressTick(hub->rev_);
}

void WatchHub::OnLeaderTimer(uv_timer_t* h) {
  auto* hub = static_cast<WatchHub*>(h->data);
  if (hub == nullptr) return;
  if (hub->options_.has_leader()) {
    hub->no_leader_checks_ = 0;
    return;
  }
  if (++hub->no_leader_checks_ < kNoLeaderChecks) return;
  // As etcd's monitorLeader: every stream that asked for a leader ends,
  // each check, for as long as there is none.
  std::vector<WatchStream*> ending;
  for (WatchStream* s : hub->streams_) {
    if (s->requires_leader()) ending.push_back(s);
  }
  for (WatchStream* s : ending) s->EndNoLeader();
}

void WatchHub::Drain() {
  std::deque<std::pair<int64_t, EventBatch>> batches;
  {
    std::lock_guard<std::mutex> lock(inbox_->mu);
    batches.swap(inbox_->batches);
  }
  for (const auto& [rev, events] : batches) {
    if (closed_) return;
    if (rev <= rev_) continue;  // Counted when the hub started.
    Dispatch(rev, events);
  }
}

void WatchHub::Dispatch(int64_t rev, const EventBatch& events) {
  if (rev != rev_ + 1) {
    // A gap: the store jumped (restored from a snapshot). Whatever synced
    // watchers missed comes from history, or they learn of the compaction.
    CAIRN_LOG(kInfo, "watch", "store jumped from revision %lld to %lld",
              static_cast<long long>(rev_), static_cast<long long>(rev));
    DesyncAll(rev_ + 1);
    rev_ = rev - 1;
  }
  for (const mvccpb::Event& ev : *events) {
    const std::string& key = ev.kv().key();
    auto it = by_key_.find(key);
    if (it != by_key_.end()) {
      for (Watcher* w : it->second) {
        auto& hit = hits_[w];
        if (hit.empty()) hit_order_.push_back(w);
        hit.push_back(&ev);
      }
    }
    for (auto& [range, group] : ranged_) {
      if (!group.front()->range.Contains(key)) continue;
      for (Watcher* w : group) {
        auto& hit = hits_[w];
        if (hit.empty()) hit_order_.push_back(w);
        hit.push_back(&ev);
      }
    }
  }
  rev_ = rev;
  EncodedEvents encoded(*events);
  std::vector<Watcher*> order;
  order.swap(hit_order_);
  for (Watcher* w : order) {
    auto it = hits_.find(w);
    if (it == hits_.end()) continue;  // Removed by an earlier delivery.
    std::vector<const mvccpb::Event*> evs = std::move(it->second);
    hits_.erase(it);
    if (w->synced) w->stream->DeliverLive(w, rev, evs, &encoded);
  }
}

void WatchHub::SyncRound() {
  if (closed_) return;
  // Watchers whose streams can take more now; the others wait for their
  // stream's OnWriteReady.
  std::vector<Watcher*> ready;
  int64_t min_rev = std::numeric_limits<int64_t>::max();
  bool prev_kv = false;
  for (Watcher* w : unsynced_) {
    if (w->stream->congested()) continue;
    ready.push_back(w);
    min_rev = std::min(min_rev, w->next_rev);
    prev_kv = prev_kv || w->prev_kv;
  }
  if (ready.empty()) return;
  // One query for all of them: their common range, or every key.
  kvstore::KeyRange range = ready.front()->range;
  for (Watcher* w : ready) {
    if (w->range.key != range.key || w->range.end != range.end) {
      range = kvstore::KeyRange{std::string(1, '\0'), std::string(1, '\0')};
      break;
    }
  }
  auto page = store_->Events(range, min_rev, prev_kv, options_.page_events);
  if (!page.ok()) {
    if (page.status() == kvstore::ErrCompacted()) {
      const int64_t compact = store_->CompactRevision();
      for (Watcher* w : ready) {
        if (w->next_rev < compact) w->stream->Compacted(w, compact);
      }
      ScheduleSync();
      return;
    }
    CAIRN_LOG(kWarn, "watch", "reading history from revision %lld: %s",
              static_cast<long long>(min_rev),
              page.status().ToString().c_str());
    uv_timer_start(sync_timer_.get(), &WatchHub::OnSyncTimer, 100, 0);
    return;
  }
  const int64_t header_rev = store_->CurrentRevision();
  CAIRN_LOG(kDebug, "watch", "catching up %zu watchers from revision %lld",
            ready.size(), static_cast<long long>(min_rev));
  bool more = false;
  EncodedEvents encoded(page->events);
  for (Watcher* w : ready) {
    w->stream->DeliverHistory(w, *page, header_rev, &encoded);
    if (w->next_rev > rev_) {
      unsynced_.erase(w);
      MakeSynced(w);
    } else {
      more = true;
    }
  }
  std::vector<WatchStream*> streams(streams_.begin(), streams_.end());
  for (WatchStream* s : streams) s->AfterSync(rev_);
  if (more) ScheduleSync();
}

}  // namespace server::api
