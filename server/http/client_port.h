#pragma once

// ClientPort: the client listener (2379 by default) serving gRPC over h2c
// and HTTP/1.1 on one TCP port, as etcd does.
//
// Each accepted connection starts in a sniffing state. The first bytes
// decide: the 24-byte HTTP/2 client preface "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
// makes it an Http2Session (gRPC); the first byte that differs from the
// preface makes it an Http1Connection. The bytes read while sniffing are
// handed to the chosen protocol, so nothing is lost.
//
//   ClientPort port(loop, &grpc_methods, &http_routes, {});
//   CAIRN_RETURN_IF_ERROR(port.Listen("127.0.0.1", 2379));
//   ...
//   port.Shutdown(5000, [] { /* every connection and the listener closed */ });
//
// Thread safety: loop thread only.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "base/status.h"
#include "server/grpc/registry.h"
#include "server/grpc/session.h"
#include "server/http/connection.h"
#include "server/net/handle.h"
#include "server/net/tcp.h"

namespace server::http {

struct ClientPortOptions {
  grpc::SessionOptions grpc;
  ParserLimits http;
};

class ClientPort {
 public:
  // `methods` and `routes` must outlive the port.
  ClientPort(uv_loop_t* loop, const grpc::MethodRegistry* methods,
             const HttpRouter* routes, ClientPortOptions options);
  // REQUIRES: Shutdown finished (its callback ran) or Listen never
  // succeeded. Connections still open are closed without their callbacks.
  ~ClientPort();
  ClientPort(const ClientPort&) = delete;
  ClientPort& operator=(const ClientPort&) = delete;

  // Binds and listens; errors name the address ("listen 127.0.0.1:2379:
  // EADDRINUSE").
  base::Status Listen(const std::string& host, uint16_t port);
  // The bound port (useful after Listen(host, 0)).
  uint16_t port() const { return listener_ ? listener_->port() : 0; }

  // Stops accepting, sends GOAWAY to HTTP/2 clients and lets in-flight
  // calls and responses finish; after `grace_ms` closes whatever is left.
  // `done` runs once every handle is closed. Call once.
  void Shutdown(uint64_t grace_ms, std::function<void()> done);

  size_t connection_count() const { return conns_.size(); }

 private:
  class Conn;
  // Takes any ByteStream, so a TLS stream wrapping the TCP one slots in.
  void OnAccept(std::unique_ptr<net::ByteStream> stream);
  void OnConnClosed(Conn* conn);
  void MaybeShutdownDone();
  static void OnGraceTimer(uv_timer_t* t);

  uv_loop_t* loop_;
  const grpc::MethodRegistry* methods_;
  const HttpRouter* routes_;
  ClientPortOptions options_;
  std::unique_ptr<net::TcpListener> listener_;
  std::unordered_map<Conn*, std::unique_ptr<Conn>> conns_;
  net::UvHandle<uv_timer_t> grace_timer_;
  bool shutting_down_ = false;
  bool listener_closed_ = false;
  enum class TimerState { kNone, kRunning, kClosing };
  TimerState timer_ = TimerState::kNone;
  std::function<void()> shutdown_done_;
};

}  // namespace server::http
