#include "server/net/dial.h"

#include <utility>

#include "server/net/uv_status.h"

namespace server::net {

// The connect request outlives a cancelled Dialer until libuv calls back
// (with UV_ECANCELED once the handle closes); `owner` is cleared then.
struct Dialer::ConnectReq {
  uv_connect_t req{};
  Dialer* owner = nullptr;
};

Dialer::Dialer(std::string where, DoneFn done)
    : where_(std::move(where)),
      done_(std::move(done)),
      tcp_(std::make_unique<UvHandle<uv_tcp_t>>()) {}

Dialer::~Dialer() {
  if (req_ != nullptr) req_->owner = nullptr;
  // tcp_ and timer_ close themselves; the pending connect is cancelled.
}

base::Result<std::unique_ptr<Dialer>> Dialer::Start(uv_loop_t* loop,
                                                    const std::string& host,
                                                    uint16_t port,
                                                    uint64_t timeout_ms,
                                                    DoneFn done) {
  std::string where = host + ":" + std::to_string(port);
  sockaddr_storage addr{};
  CAIRN_RETURN_IF_ERROR(ParseAddress(host, port, &addr));
  std::unique_ptr<Dialer> d(new Dialer(where, std::move(done)));
  int rc = uv_tcp_init(loop, d->tcp_->get());
  if (rc < 0) return UvStatus(rc, "socket " + where);
  d->tcp_->MarkInitialized();
  rc = uv_timer_init(loop, d->timer_.get());
  if (rc < 0) return UvStatus(rc, "timer " + where);
  d->timer_.MarkInitialized();
  d->timer_->data = d.get();
  auto* req = new ConnectReq;
  req->owner = d.get();
  rc = uv_tcp_connect(&req->req, d->tcp_->get(),
                      reinterpret_cast<const sockaddr*>(&addr),
                      &Dialer::OnConnect);
  if (rc < 0) {
    delete req;
    return UvStatus(rc, "connect " + where);
  }
  d->req_ = req;
  // The loop's clock may be stale (a long recovery before the loop ran).
  uv_update_time(loop);
  uv_timer_start(d->timer_.get(), &Dialer::OnTimeout, timeout_ms, 0);
  return d;
}

void Dialer::OnConnect(uv_connect_t* r, int status) {
  auto* req = reinterpret_cast<ConnectReq*>(r);
  Dialer* self = req->owner;
  delete req;
  if (self == nullptr) return;
  self->req_ = nullptr;
  uv_timer_stop(self->timer_.get());
  if (status < 0) {
    self->Finish(UvStatus(status, "connect " + self->where_));
    return;
  }
  uv_tcp_nodelay(self->tcp_->get(), 1);
  self->Finish(std::make_unique<TcpStream>(std::move(self->tcp_)));
}

void Dialer::OnTimeout(uv_timer_t* t) {
  auto* self = static_cast<Dialer*>(t->data);
  if (self == nullptr || self->req_ == nullptr) return;
  self->req_->owner = nullptr;  // The connect callback only frees it now.
  self->req_ = nullptr;
  self->tcp_->Close();
  self->Finish(base::Status::DeadlineExceeded("connect " + self->where_ +
                                              ": timed out"));
}

void Dialer::Finish(base::Result<std::unique_ptr<TcpStream>> result) {
  DoneFn done = std::move(done_);
  done_ = nullptr;
  if (done) done(std::move(result));  // Last: may destroy this.
}

}  // namespace server::net
