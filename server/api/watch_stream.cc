#include "server/api/watch_stream.h"

#include <utility>

namespace server::api {
namespace {

// etcd's watch ID for "no watcher": failed creates and stream-wide progress.
constexpr int64_t kInvalidWatchId = -1;
// etcd's allowance for the gRPC envelope above --max-request-bytes.
constexpr size_t kGrpcOverheadBytes = 512 * 1024;

}  // namespace

WatchStream::WatchStream(const MemberContext* ctx, WatchHub* hub,
                         WatchSink sink)
    : ctx_(ctx), hub_(hub), sink_(std::move(sink)) {
  if (hub_ != nullptr) hub_->AddStream(this);
}

WatchStream::~WatchStream() { Close(); }

void WatchStream::Close() {
  if (closed_) return;
  closed_ = true;
  if (hub_ != nullptr) {
    for (auto& [id, w] : watchers_) hub_->Remove(w.get());
    hub_->RemoveStream(this);
  }
  watchers_.clear();
}

void WatchStream::EndNoLeader() {
  Close();
  // Finishing the call drops its callbacks, which may own this stream: the
  // callback runs from a copy and nothing here is touched after it.
  std::function<void(const base::Status&)> finish = sink_.finish;
  if (finish) finish(ErrNoLeader());
}

bool WatchStream::congested() const {
  return sink_.pending_bytes() > kCongestedBytes;
}

etcdserverpb::WatchResponse WatchStream::NewResponse(int64_t rev,
                                                     int64_t watch_id) const {
  etcdserverpb::WatchResponse r;
  FillHeader(ctx_, r.mutable_header());
  r.mutable_header()->set_revision(rev);
  r.set_watch_id(watch_id);
  return r;
}

void WatchStream::OnRequest(const etcdserverpb::WatchRequest& request) {
  if (closed_ || hub_ == nullptr) return;
  switch (request.request_union_case()) {
    case etcdserverpb::WatchRequest::kCreateRequest:
      return Create(request.create_request());
    case etcdserverpb::WatchRequest::kCancelRequest:
      return Cancel(request.cancel_request().watch_id());
    case etcdserverpb::WatchRequest::kProgressRequest:
      return Progress();
    default:
      return;  // etcd ignores an empty request.
  }
}

void WatchStream::Create(const etcdserverpb::WatchCreateRequest& r) {
  kvstore::KeyRange range;
  // As etcd: an empty key is "\0", the smallest key; range_end "\0" is
  // every key from `key` on; an empty range_end is the key alone.
  range.key = r.key().empty() ? std::string(1, '\0') : r.key();
  range.end = r.range_end();
  const int64_t current = hub_->store()->CurrentRevision();
  auto fail = [&](const char* reason) {
    etcdserverpb::WatchResponse resp = NewResponse(current, kInvalidWatchId);
    resp.set_created(true);
    resp.set_canceled(true);
    resp.set_cancel_reason(reason);
    Send(resp);
  };
  if (range.empty()) return fail("mvcc: watcher range is empty");
  int64_t id = r.watch_id();
  if (id == 0) {
    while (watchers_.count(next_id_) != 0) ++next_id_;
    id = next_id_++;
  } else if (watchers_.count(id) != 0) {
    return fail("mvcc: duplicate watch ID provided on the WatchStream");
  }
  auto w = std::make_unique<Watcher>();
  w->id = id;
  w->range = std::move(range);
  w->prev_kv = r.prev_kv();
  w->fragment = r.fragment();
  w->progress_notify = r.progress_notify();
  for (int f : r.filters()) {
    if (f == etcdserverpb::WatchCreateRequest::NOPUT) w->no_put = true;
    if (f == etcdserverpb::WatchCreateRequest::NODELETE) w->no_delete = true;
  }
  w->next_rev = r.start_revision() == 0 ? current + 1 : r.start_revision();
  w->stream = this;
  Watcher* raw = w.get();
  watchers_.emplace(id, std::move(w));
  etcdserverpb::WatchResponse resp = NewResponse(current, id);
  resp.set_created(true);
  Send(resp);
  // After the created reply: events (live, or from history in a later loop
  // iteration) follow it.
  hub_->Add(raw, current);
}

void WatchStream::Cancel(int64_t id) {
  auto it = watchers_.find(id);
  if (it == watchers_.end()) return;  // etcd: no reply for unknown IDs.
  hub_->Remove(it->second.get());
  watchers_.erase(it);
  etcdserverpb::WatchResponse resp =
      NewResponse(hub_->store()->CurrentRevision(), id);
  resp.set_canceled(true);
  Send(resp);
}

bool WatchStream::AllSynced() const {
  for (const auto& [id, w] : watchers_) {
    if (!w->synced) return false;
  }
  return true;
}

void WatchStream::Progress() {
  // Every watcher of the stream must have been sent everything up to the
  // revision announced (etcd 3.5; 3.4 answered at once, even while behind).
  if (!AllSynced()) {
    progress_pending_ = true;
    return;
  }
  progress_pending_ = false;
  Send(NewResponse(hub_->revision(), kInvalidWatchId));
}

void WatchStream::AfterSync(int64_t /*hub_rev*/) {
  if (progress_pending_) Progress();
}

void WatchStream::ProgressTick(int64_t hub_rev) {
  for (auto& [id, w] : watchers_) {
    if (!w->progress_notify) continue;
    if (w->idle_since_tick && w->synced) {
      Send(NewResponse(std::max(hub_rev, w->next_rev - 1), id));
    }
    w->idle_since_tick = true;
  }
}

void WatchStream::OnWriteReady() {
  if (hub_ == nullptr) return;
  for (const auto& [id, w] : watchers_) {
    if (!w->synced) {
      hub_->ScheduleSync();
      return;
    }
  }
}

void WatchStream::DeliverLive(Watcher* w, int64_t rev,
                              const std::vector<const mvccpb::Event*>& events,
                              EncodedEvents* encoded) {
  if (rev < w->next_rev) return;  // Sent already, from history.
  if (congested()) {
    hub_->Desync(w, rev);
    return;
  }
  w->next_rev = rev + 1;
  SendEvents(w, rev, events, encoded);
}

void WatchStream::DeliverHistory(Watcher* w, const kvstore::EventPage& page,
                                 int64_t header_rev, EncodedEvents* encoded) {
  std::vector<const mvccpb::Event*> events;
  for (const mvccpb::Event& ev : page.events) {
    if (ev.kv().mod_revision() < w->next_rev) continue;
    if (!w->range.Contains(ev.kv().key())) continue;
    events.push_back(&ev);
  }
  w->next_rev = std::max(w->next_rev, page.next_revision);
  SendEvents(w, header_rev, events, encoded);
}

void WatchStream::Compacted(Watcher* w, int64_t compact_rev) {
  const int64_t id = w->id;
  etcdserverpb::WatchResponse resp = NewResponse(0, id);
  resp.set_canceled(true);
  resp.set_compact_revision(compact_rev);
  hub_->Remove(w);
  watchers_.erase(id);
  Send(resp);
}

void WatchStream::SendEvents(Watcher* w, int64_t header_rev,
                             const std::vector<const mvccpb::Event*>& events,
                             EncodedEvents* encoded) {
  std::vector<const mvccpb::Event*> kept;
  std::vector<const std::string*> fields;
  size_t bytes = 0;
  for (const mvccpb::Event* ev : events) {
    if (ev->type() == mvccpb::Event::PUT ? w->no_put : w->no_delete) continue;
    kept.push_back(ev);
    fields.push_back(&encoded->Field(ev, w->prev_kv));
    bytes += fields.back()->size();
  }
  if (fields.empty()) return;  // Filtered away: nothing to send.
  w->idle_since_tick = false;
  std::string out = NewResponse(header_rev, w->id).SerializeAsString();
  const size_t limit = ctx_->max_request_bytes + kGrpcOverheadBytes;
  if (w->fragment && out.size() + bytes >= limit && kept.size() >= 2) {
    return SendFragments(w, header_rev, kept);
  }
  out.reserve(out.size() + bytes);
  for (const std::string* f : fields) out += *f;
  sink_.send(out);
}

void WatchStream::SendFragments(
    Watcher* w, int64_t header_rev,
    const std::vector<const mvccpb::Event*>& events) {
  // As many events per piece as fit under the limit (at least one),
  // fragment = true on all pieces but the last.
  const size_t limit = ctx_->max_request_bytes + kGrpcOverheadBytes;
  etcdserverpb::WatchResponse piece = NewResponse(header_rev, w->id);
  piece.set_fragment(true);
  size_t size = piece.ByteSizeLong();
  for (const mvccpb::Event* ev : events) {
    mvccpb::Event e = *ev;
    if (!w->prev_kv || IsCreate(e)) e.clear_prev_kv();
    // Each event adds its bytes plus a tag and a length prefix (<= 6).
    const size_t ev_size = e.ByteSizeLong() + 6;
    if (piece.events_size() > 0 && size + ev_size >= limit) {
      Send(piece);
      piece.clear_events();
      size = piece.ByteSizeLong();
    }
    *piece.add_events() = std::move(e);
    size += ev_size;
  }
  piece.set_fragment(false);
  Send(piece);
}

}  // namespace server::api
