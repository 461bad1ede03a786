#include "server/net/tcp.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <set>
#include <utility>

#include "base/check.h"
#include "base/log.h"
#include "server/net/uv_status.h"

namespace server::net {

namespace {
constexpr size_t kReadBufferSize = 64 * 1024;
constexpr int kListenBacklog = 511;
}  // namespace

// One uv_write in flight. Owns its bytes until the write callback. `stream`
// is cleared when the TcpStream is destroyed first.
struct TcpStream::WriteReq {
  uv_write_t req{};
  std::string data;
  TcpStream* stream = nullptr;
};

TcpStream::TcpStream(std::unique_ptr<UvHandle<uv_tcp_t>> handle)
    : handle_(std::move(handle)) {
  CAIRN_CHECK(handle_ != nullptr && handle_->initialized());
  handle_->get()->data = this;
  sockaddr_storage addr{};
  int len = sizeof(addr);
  if (uv_tcp_getpeername(handle_->get(), reinterpret_cast<sockaddr*>(&addr),
                         &len) == 0) {
    peer_ = FormatAddress(reinterpret_cast<sockaddr*>(&addr));
  } else {
    peer_ = "?";
  }
}

TcpStream::~TcpStream() {
  // Write callbacks may still run (with UV_ECANCELED) after this; they must
  // not touch the stream.
  for (WriteReq* w : pending_) w->stream = nullptr;
  // handle_'s destructor closes a live handle or detaches a closing one.
}

void TcpStream::Start(Delegate* delegate) {
  CAIRN_CHECK(!closing_, "Start on a closed stream");
  delegate_ = delegate;
  ResumeReading();
}

void TcpStream::PauseReading() {
  paused_ = true;
  if (reading_ && !closing_) {
    uv_read_stop(handle_->stream());
    reading_ = false;
  }
}

void TcpStream::ResumeReading() {
  paused_ = false;
  if (reading_ || closing_) return;
  int rc = uv_read_start(handle_->stream(), &TcpStream::OnAlloc,
                         &TcpStream::OnReadCb);
  if (rc < 0) {
    CloseWith(UvStatus(rc, "read " + peer_));
    return;
  }
  reading_ = true;
}

void TcpStream::OnAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* self = static_cast<TcpStream*>(h->data);
  self->read_buf_.resize(kReadBufferSize);
  *buf = uv_buf_init(self->read_buf_.data(),
                     static_cast<unsigned int>(self->read_buf_.size()));
}

void TcpStream::OnReadCb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<TcpStream*>(s->data);
  if (nread > 0) {
    self->delegate_->OnRead(
        std::string_view(buf->base, static_cast<size_t>(nread)));
    return;
  }
  if (nread == UV_EOF) {
    uv_read_stop(s);
    self->reading_ = false;
    self->delegate_->OnEof();
    return;
  }
  if (nread < 0) {
    self->CloseWith(UvStatus(static_cast<int>(nread), "read " + self->peer_));
  }
}

void TcpStream::Write(std::string bytes) {
  if (closing_ || bytes.empty()) return;
  auto* w = new WriteReq;
  w->data = std::move(bytes);
  w->stream = this;
  uv_buf_t buf =
      uv_buf_init(w->data.data(), static_cast<unsigned int>(w->data.size()));
  int rc = uv_write(&w->req, handle_->stream(), &buf, 1, &TcpStream::OnWriteCb);
  if (rc < 0) {
    delete w;  // The callback never runs.
    CloseWith(UvStatus(rc, "write " + peer_));
    return;
  }
  queued_bytes_ += w->data.size();
  pending_.insert(w);
}

void TcpStream::OnWriteCb(uv_write_t* req, int status) {
  // uv_write_t is the first member of WriteReq.
  auto* w = reinterpret_cast<WriteReq*>(req);
  TcpStream* self = w->stream;
  size_t n = w->data.size();
  if (self != nullptr) self->pending_.erase(w);
  delete w;
  if (self == nullptr) return;
  self->queued_bytes_ -= n;
  if (status < 0) {
    self->CloseWith(UvStatus(status, "write " + self->peer_));
    return;
  }
  if (self->queued_bytes_ != 0 || self->closing_) return;
  if (self->shutdown_requested_) {
    self->CloseWith(base::Status());
    return;
  }
  if (self->delegate_ != nullptr) self->delegate_->OnWriteDrained();
}

void TcpStream::Shutdown() {
  if (closing_) return;
  if (queued_bytes_ == 0) {
    CloseWith(base::Status());
  } else {
    shutdown_requested_ = true;
  }
}

void TcpStream::CloseWith(base::Status reason) {
  if (closing_) return;
  closing_ = true;
  reading_ = false;
  close_reason_ = std::move(reason);
  handle_->Close([this] { OnHandleClosed(); });
}

void TcpStream::OnHandleClosed() {
  Delegate* d = delegate_;
  if (d != nullptr) d->OnClosed(close_reason_);  // Last: may destroy this.
}

// --- TcpListener -----------------------------------------------------------

TcpListener::TcpListener(std::string host, AcceptFn on_accept)
    : host_(std::move(host)),
      on_accept_(std::move(on_accept)),
      handle_(std::make_unique<UvHandle<uv_tcp_t>>()) {}

TcpListener::~TcpListener() = default;

base::Result<std::unique_ptr<TcpListener>> TcpListener::Listen(
    uv_loop_t* loop, const std::string& host, uint16_t port,
    AcceptFn on_accept) {
  std::string where = host + ":" + std::to_string(port);
  sockaddr_storage addr{};
  CAIRN_RETURN_IF_ERROR(ParseAddress(host, port, &addr));
  std::unique_ptr<TcpListener> l(new TcpListener(host, std::move(on_accept)));
  int rc = uv_tcp_init(loop, l->handle_->get());
  if (rc < 0) return UvStatus(rc, "socket " + where);
  l->handle_->MarkInitialized();
  l->handle_->get()->data = l.get();
  rc = uv_tcp_bind(l->handle_->get(), reinterpret_cast<sockaddr*>(&addr), 0);
  if (rc < 0) return UvStatus(rc, "bind " + where);
  rc = uv_listen(l->handle_->stream(), kListenBacklog,
                 &TcpListener::OnConnection);
  // libuv defers a bind error such as EADDRINUSE to uv_listen; name it as
  // the bind it is.
  if (rc == UV_EADDRINUSE) return UvStatus(rc, "bind " + where);
  if (rc < 0) return UvStatus(rc, "listen " + where);
  sockaddr_storage bound{};
  int len = sizeof(bound);
  rc = uv_tcp_getsockname(l->handle_->get(),
                          reinterpret_cast<sockaddr*>(&bound), &len);
  if (rc < 0) return UvStatus(rc, "getsockname " + where);
  if (bound.ss_family == AF_INET) {
    l->port_ = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  } else {
    l->port_ = ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  }
  return l;
}

void TcpListener::OnConnection(uv_stream_t* server, int status) {
  auto* self = static_cast<TcpListener*>(server->data);
  if (status < 0) {
    CAIRN_LOG(kWarn, "net", "%s",
              UvStatus(status, "accept " + self->host_).ToString().c_str());
    return;
  }
  auto h = std::make_unique<UvHandle<uv_tcp_t>>();
  int rc = uv_tcp_init(server->loop, h->get());
  if (rc < 0) {
    CAIRN_LOG(kWarn, "net", "%s", UvStatus(rc, "socket").ToString().c_str());
    return;
  }
  h->MarkInitialized();
  rc = uv_accept(server, h->stream());
  if (rc < 0) {
    CAIRN_LOG(kWarn, "net", "%s",
              UvStatus(rc, "accept " + self->host_).ToString().c_str());
    return;  // ~UvHandle closes it.
  }
  uv_tcp_nodelay(h->get(), 1);
  self->on_accept_(std::make_unique<TcpStream>(std::move(h)));
}

void TcpListener::Close(std::function<void()> on_closed) {
  handle_->Close(std::move(on_closed));
}

// --- Addresses --------------------------------------------------------------

base::Status ParseAddress(const std::string& host, uint16_t port,
                          sockaddr_storage* out) {
  std::memset(out, 0, sizeof(*out));
  std::string h = host;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  }
  if (uv_ip4_addr(h.c_str(), port, reinterpret_cast<sockaddr_in*>(out)) == 0) {
    return base::Status();
  }
  if (uv_ip6_addr(h.c_str(), port, reinterpret_cast<sockaddr_in6*>(out)) == 0) {
    return base::Status();
  }
  return base::Status::InvalidArgument(
      "address " + host + ":" + std::to_string(port) + ": not an IP address");
}

std::string FormatAddress(const sockaddr* addr) {
  char ip[INET6_ADDRSTRLEN] = {0};
  if (addr->sa_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(addr);
    uv_ip4_name(a, ip, sizeof(ip));
    return std::string(ip) + ":" + std::to_string(ntohs(a->sin_port));
  }
  if (addr->sa_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(addr);
    uv_ip6_name(a, ip, sizeof(ip));
    return "[" + std::string(ip) + "]:" + std::to_string(ntohs(a->sin6_port));
  }
  return "?";
}

}  // namespace server::net
