#pragma once

// Dialer: one outgoing TCP connection attempt on the libuv loop, with a
// timeout. The peer transport dials its peers with it.
//
//   auto d = Dialer::Start(loop, "127.0.0.1", 2380, 1000,
//                          [](base::Result<std::unique_ptr<TcpStream>> r)
//                          {...});
//
// Thread safety: loop thread only.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "server/net/handle.h"
#include "server/net/tcp.h"

namespace server::net {

class Dialer {
 public:
  // The connected stream (not yet Start()ed), or the error: UNAVAILABLE
  // "connect 127.0.0.1:2380: ECONNREFUSED", DEADLINE_EXCEEDED on timeout.
  using DoneFn = std::function<void(base::Result<std::unique_ptr<TcpStream>>)>;

  // Starts connecting to host:port (an IP literal). `done` runs once, from a
  // loop callback (it may destroy the Dialer). If Start fails, `done` never
  // runs.
  static base::Result<std::unique_ptr<Dialer>> Start(uv_loop_t* loop,
                                                     const std::string& host,
                                                     uint16_t port,
                                                     uint64_t timeout_ms,
                                                     DoneFn done);
  // Cancels an attempt still in progress: `done` does not run.
  ~Dialer();
  Dialer(const Dialer&) = delete;
  Dialer& operator=(const Dialer&) = delete;

 private:
  struct ConnectReq;
  Dialer(std::string where, DoneFn done);
  static void OnConnect(uv_connect_t* req, int status);
  static void OnTimeout(uv_timer_t* t);
  void Finish(base::Result<std::unique_ptr<TcpStream>> result);

  const std::string where_;
  DoneFn done_;
  std::unique_ptr<UvHandle<uv_tcp_t>> tcp_;
  UvHandle<uv_timer_t> timer_;
  ConnectReq* req_ = nullptr;  // Until its callback runs.
};

}  // namespace server::net
