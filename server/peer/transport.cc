#include "server/peer/transport.h"

#include <map>
#include <set>
#include <utility>

#include "base/check.h"
#include "base/log.h"
#include "proto/raftpb/codec.h"
#include "server/config/ids.h"
#include "server/net/handle.h"
#include "server/net/tcp.h"
#include "server/peer/context.h"
#include "server/peer/inbound.h"
#include "server/peer/outbound.h"
#include "server/peer/request_client.h"
#include "server/peer/snapshot_sender.h"
#include "server/wal/storage_thread.h"

namespace server::peer {

using internal::InboundConn;
using internal::OutboundStream;
using internal::RequestClient;
using internal::SnapshotSender;

struct Transport::Impl {
  uv_loop_t* loop = nullptr;
  TransportOptions options;
  TransportStats stats;
  internal::Context ctx;
  std::vector<std::unique_ptr<net::TcpListener>> listeners;
  std::map<uint64_t, std::unique_ptr<OutboundStream>> peers;
  std::map<InboundConn*, std::unique_ptr<InboundConn>> inbound;
  struct SenderSlot {
    std::unique_ptr<SnapshotSender> sender;
    uint64_t generation = 0;
  };
  std::map<uint64_t, SenderSlot> senders;
  std::map<uint64_t, std::unique_ptr<RequestClient>> requesters;
  uint64_t sender_generation = 0;
  std::map<uint64_t, PeerAttributes> attributes;
  std::set<uint64_t> unknown_logged;

  std::unique_ptr<wal::StorageThread> io;
  net::UvHandle<uv_async_t> io_async;
  net::UvHandle<uv_timer_t> defer_timer;
  std::vector<std::function<void()>> deferred;
  bool closed = false;

  void Defer(std::function<void()> fn) {
    if (closed) return;
    deferred.push_back(std::move(fn));
    if (deferred.size() == 1) {
      uv_timer_start(defer_timer.get(), &Impl::OnDeferTimer, 0, 0);
    }
  }
  static void OnDeferTimer(uv_timer_t* t) {
    auto* self = static_cast<Impl*>(t->data);
    if (self == nullptr) return;
    std::vector<std::function<void()>> fns = std::move(self->deferred);
    self->deferred.clear();
    for (auto& fn : fns) {
      if (self->closed) return;
      fn();
    }
  }
  static void OnIoAsync(uv_async_t* h) {
    auto* self = static_cast<Impl*>(h->data);
    if (self != nullptr && self->io) self->io->DrainCompletions();
  }

  void Accept(std::unique_ptr<net::TcpStream> stream);
  Verdict Judge(InboundConn* conn, const Handshake& h);
  void SendSnapshot(raftpb::Message m);
  void ReportUnreachable(uint64_t id) {
    Defer([this, id] {
      if (options.on_unreachable) options.on_unreachable(id);
    });
  }
};

namespace {

base::Status CheckUrls(const std::vector<Url>& urls) {
  for (const Url& u : urls) {
    if (!internal::DialHost(u).empty()) return base::Status::OK();
  }
  return base::Status::InvalidArgument(
      "peer URLs \"" + JoinUrls(urls) +
      "\" have no IP address or localhost host");
}

}  // namespace

Transport::Transport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Transport::~Transport() {
  if (!impl_) return;
  impl_->closed = true;
  impl_->senders.clear();
  impl_->requesters.clear();
  impl_->peers.clear();
  impl_->inbound.clear();
  impl_->listeners.clear();
  if (impl_->io) impl_->io->Stop();
}

const TransportStats& Transport::stats() const { return impl_->stats; }

base::Result<std::unique_ptr<Transport>> Transport::Start(
    uv_loop_t* loop, TransportOptions options) {
  CAIRN_CHECK(options.on_message != nullptr);
  auto impl = std::make_unique<Impl>();
  Impl* im = impl.get();
  im->loop = loop;
  im->options = std::move(options);
  im->ctx.loop = loop;
  im->ctx.options = &im->options;
  im->ctx.stats = &im->stats;
  im->ctx.defer = [im](std::function<void()> fn) { im->Defer(std::move(fn)); };
  auto uv = [](int rc, const char* what) {
    return rc < 0 ? base::Status::Internal(std::string(what) + ": " +
                                           uv_strerror(rc))
                  : base::Status::OK();
  };
  CAIRN_RETURN_IF_ERROR(
      uv(uv_timer_init(loop, im->defer_timer.get()), "uv_timer_init"));
  im->defer_timer.MarkInitialized();
  im->defer_timer->data = im;
  CAIRN_RETURN_IF_ERROR(uv(
      uv_async_init(loop, im->io_async.get(), &Impl::OnIoAsync), "uv_async"));
  im->io_async.MarkInitialized();
  im->io_async->data = im;
  std::unique_ptr<Transport> t(new Transport(std::move(impl)));
  for (const Url& u : im->options.listen_urls) {
    std::string host = u.host == "localhost" ? "127.0.0.1" : u.host;
    CAIRN_ASSIGN_OR_RETURN(
        auto listener,
        net::TcpListener::Listen(loop, host, u.port,
                                 [im](std::unique_ptr<net::TcpStream> s) {
                                   im->Accept(std::move(s));
                                 }));
    CAIRN_LOG(kInfo, "peer", "%s: listening for peers on %s:%u",
              FormatId(im->options.member_id).c_str(), host.c_str(),
              listener->port());
    im->listeners.push_back(std::move(listener));
  }
  uv_async_t* a = im->io_async.get();
  im->io = std::make_unique<wal::StorageThread>("cairn-peer-io",
                                                [a] { uv_async_send(a); });
  im->ctx.io = im->io.get();
  return t;
}

void Transport::Impl::Accept(std::unique_ptr<net::TcpStream> stream) {
  if (closed) return;
  InboundConn::Hooks hooks;
  hooks.judge = [this](InboundConn* c, const Handshake& h) {
    return Judge(c, h);
  };
  hooks.on_closed = [this](InboundConn* c) { inbound.erase(c); };
  auto conn =
      std::make_unique<InboundConn>(&ctx, std::move(stream), std::move(hooks));
  InboundConn* raw = conn.get();
  inbound.emplace(raw, std::move(conn));
  raw->Start();
}

Verdict Transport::Impl::Judge(InboundConn* conn, const Handshake& h) {
  Verdict v;
  v.cluster_id = options.cluster_id;
  v.member_id = options.member_id;
  if (h.kind == StreamKind::kMembers) {
    // A joining member knows neither the cluster ID nor member IDs yet.
    if (!options.members) {
      v.code = VerdictCode::kBadRequest;
      v.message = "this member does not serve its member list";
    } else if (h.cluster_id != 0 && h.cluster_id != options.cluster_id) {
      v.code = VerdictCode::kClusterMismatch;
      v.message = "the member list of cluster " + FormatId(options.cluster_id) +
                  " was asked for cluster " + FormatId(h.cluster_id);
    }
    return v;
  }
  if (h.cluster_id != options.cluster_id) {
    v.code = VerdictCode::kClusterMismatch;
    v.message = "member " + FormatId(h.from) + " belongs to cluster " +
                FormatId(h.cluster_id) + ", member " +
                FormatId(options.member_id) + " to cluster " +
                FormatId(options.cluster_id) +
                " (check --initial-cluster and --initial-cluster-token)";
  } else if (h.to != options.member_id) {
    v.code = VerdictCode::kWrongMember;
    v.message = "the connection is meant for member " + FormatId(h.to) +
                ", this is member " + FormatId(options.member_id);
  } else if (h.from == 0 || h.from == options.member_id) {
    v.code = VerdictCode::kBadRequest;
    v.message = "bad sender member ID " + FormatId(h.from);
  } else if (h.kind == StreamKind::kRequests && !options.on_request) {
    v.code = VerdictCode::kBadRequest;
    v.message = "this member takes no requests from peers";
  } else if (options.is_removed && options.is_removed(h.from)) {
    v.code = VerdictCode::kRemoved;
    v.message = "the member has been permanently removed from the cluster";
  }
  if (v.code != VerdictCode::kAccepted) return v;
  attributes[h.from] = PeerAttributes{h.name, h.client_urls};
  if (h.kind == StreamKind::kMessages) {
    // A new stream from a peer replaces its old one (a reconnect that
    // raced the old connection's end).
    for (auto& [raw, c] : inbound) {
      if (raw != conn && c->from() == h.from &&
          c->kind() == StreamKind::kMessages) {
        c->Close("replaced by a new connection from the same peer");
      }
    }
  }
  return v;
}

void Transport::Impl::SendSnapshot(raftpb::Message m) {
  const uint64_t to = m.to;
  auto p = peers.find(to);
  if (p == peers.end() || senders.count(to) != 0 || !m.snapshot.has_value()) {
    stats.snapshots_failed++;
    Defer([this, to] {
      if (options.on_snapshot_status) options.on_snapshot_status(to, false);
    });
    return;
  }
  const uint64_t gen = ++sender_generation;
  auto done = [this, to, gen](bool ok, const std::string&) {
    auto it = senders.find(to);
    if (it == senders.end() || it->second.generation != gen) return;
    senders.erase(it);
    if (ok) {
      stats.snapshots_sent++;
    } else {
      stats.snapshots_failed++;
    }
    if (options.on_snapshot_status) options.on_snapshot_status(to, ok);
    if (!ok && options.on_unreachable) options.on_unreachable(to);
  };
  auto sender = std::make_unique<SnapshotSender>(
      &ctx, to, p->second->current_url(), std::move(m), std::move(done));
  SnapshotSender* raw = sender.get();
  senders[to] = SenderSlot{std::move(sender), gen};
  raw->Start();
}

base::Status Transport::AddPeer(uint64_t id, const std::vector<Url>& urls) {
  Impl& im = *impl_;
  if (id == 0 || id == im.options.member_id) {
    return base::Status::InvalidArgument("peer: bad member ID " + FormatId(id));
  }
  CAIRN_RETURN_IF_ERROR(CheckUrls(urls));
  if (im.peers.count(id) != 0) {
    return base::Status::AlreadyExists("peer: member " + FormatId(id) +
                                       " is a peer already");
  }
  im.unknown_logged.erase(id);
  im.peers.emplace(id, std::make_unique<OutboundStream>(&im.ctx, id, urls));
  CAIRN_LOG(kInfo, "peer", "%s: added peer %s at %s",
            FormatId(im.options.member_id).c_str(), FormatId(id).c_str(),
            JoinUrls(urls).c_str());
  return base::Status::OK();
}

base::Status Transport::RemovePeer(uint64_t id) {
  Impl& im = *impl_;
  auto it = im.peers.find(id);
  if (it == im.peers.end()) {
    return base::Status::NotFound("peer: member " + FormatId(id) +
                                  " is not a peer");
  }
  im.peers.erase(it);
  im.senders.erase(id);
  im.requesters.erase(id);
  im.attributes.erase(id);
  for (auto& [raw, c] : im.inbound) {
    if (c->from() == id) c->Close("");
  }
  CAIRN_LOG(kInfo, "peer", "%s: removed peer %s",
            FormatId(im.options.member_id).c_str(), FormatId(id).c_str());
  return base::Status::OK();
}

base::Status Transport::UpdatePeer(uint64_t id, const std::vector<Url>& urls) {
  Impl& im = *impl_;
  auto it = im.peers.find(id);
  if (it == im.peers.end()) {
    return base::Status::NotFound("peer: member " + FormatId(id) +
                                  " is not a peer");
  }
  CAIRN_RETURN_IF_ERROR(CheckUrls(urls));
  it->second->SetUrls(urls);
  CAIRN_LOG(kInfo, "peer", "%s: peer %s now at %s",
            FormatId(im.options.member_id).c_str(), FormatId(id).c_str(),
            JoinUrls(urls).c_str());
  return base::Status::OK();
}

bool Transport::HasPeer(uint64_t id) const {
  return impl_->peers.count(id) != 0;
}

void Transport::Send(std::vector<raftpb::Message> msgs) {
  Impl& im = *impl_;
  if (im.closed) return;
  // Frames per peer, in order; one socket write per peer per call.
  std::map<uint64_t, std::pair<std::string, uint64_t>> batches;
  for (raftpb::Message& m : msgs) {
    if (m.type == raftpb::kMsgSnap) {
      im.SendSnapshot(std::move(m));
      continue;
    }
    auto& [frames, count] = batches[m.to];
    std::string body = raftpb::EncodeToString(m);
    AppendFrame(body, &frames);
    ++count;
  }
  for (auto& [to, batch] : batches) {
    auto p = im.peers.find(to);
    if (p == im.peers.end()) {
      im.stats.messages_dropped += batch.second;
      if (im.unknown_logged.insert(to).second) {
        CAIRN_LOG(kWarn, "peer", "%s: dropping messages to unknown member %s",
                  FormatId(im.options.member_id).c_str(), FormatId(to).c_str());
      }
      continue;
    }
    if (p->second->Write(std::move(batch.first))) {
      im.stats.messages_sent += batch.second;
    } else {
      im.stats.messages_dropped += batch.second;
      im.ReportUnreachable(to);
    }
  }
}

void Transport::Call(uint64_t id, std::string body, CallDoneFn done) {
  Impl& im = *impl_;
  if (im.closed) return;
  auto p = im.peers.find(id);
  if (p == im.peers.end()) {
    return im.Defer([id, done = std::move(done)] {
      done(base::Status::Unavailable("peer: member " + FormatId(id) +
                                     " is not a peer"));
    });
  }
  auto& client = im.requesters[id];
  if (!client) client = std::make_unique<RequestClient>(&im.ctx, id);
  client->Call(p->second->current_url(), std::move(body), std::move(done));
}

void Transport::SetOnRequest(
    decltype(TransportOptions::on_request) on_request) {
  impl_->options.on_request = std::move(on_request);
}

uint64_t Transport::ActiveSince(uint64_t id) const {
  auto it = impl_->peers.find(id);
  return it == impl_->peers.end() ? 0 : it->second->active_since();
}

std::optional<PeerAttributes> Transport::Attributes(uint64_t id) const {
  auto it = impl_->attributes.find(id);
  if (it == impl_->attributes.end()) return std::nullopt;
  return it->second;
}

std::vector<uint16_t> Transport::listen_ports() const {
  std::vector<uint16_t> ports;
  for (const auto& l : impl_->listeners) ports.push_back(l->port());
  return ports;
}

void Transport::Close(std::function<void()> done) {
  Impl& im = *impl_;
  im.closed = true;
  im.deferred.clear();
  im.senders.clear();
  im.requesters.clear();
  im.peers.clear();
  im.inbound.clear();
  im.io->Stop();
  im.io->DrainCompletions();
  auto pending = std::make_shared<int>(0);
  auto finish = std::make_shared<std::function<void()>>(std::move(done));
  auto one_closed = [pending, finish] {
    if (--*pending == 0 && *finish) (*finish)();
  };
  *pending = static_cast<int>(im.listeners.size()) + 2;
  for (auto& l : im.listeners) l->Close(one_closed);
  im.io_async.Close(one_closed);
  im.defer_timer.Close(one_closed);
}

}  // namespace server::peer
