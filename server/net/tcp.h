#pragma once

// Plain TCP on the libuv loop: a listener that accepts connections and the
// ByteStream over one accepted socket.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "base/result.h"
#include "base/status.h"
#include "server/net/byte_stream.h"
#include "server/net/handle.h"

namespace server::net {

// ByteStream over a connected uv_tcp_t. Created by TcpListener.
class TcpStream final : public ByteStream {
 public:
  // Takes a connected, initialized handle (from uv_accept).
  explicit TcpStream(std::unique_ptr<UvHandle<uv_tcp_t>> handle);
  ~TcpStream() override;

  void Start(Delegate* delegate) override;
  void SetDelegate(Delegate* delegate) override { delegate_ = delegate; }
  void PauseReading() override;
  void ResumeReading() override;
  void Write(std::string bytes) override;
  size_t queued_bytes() const override { return queued_bytes_; }
  void Shutdown() override;
  void Close() override { CloseWith(base::Status()); }
  bool closing() const override { return closing_; }
  const std::string& peer_address() const override { return peer_; }

 private:
  struct WriteReq;
  static void OnAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void OnReadCb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void OnWriteCb(uv_write_t* req, int status);
  void CloseWith(base::Status reason);
  void OnHandleClosed();

  std::unique_ptr<UvHandle<uv_tcp_t>> handle_;
  Delegate* delegate_ = nullptr;
  std::string peer_;
  std::string read_buf_;
  size_t queued_bytes_ = 0;
  bool reading_ = false;
  bool paused_ = false;
  bool shutdown_requested_ = false;
  bool closing_ = false;
  base::Status close_reason_;
  // Writes in flight; their back pointers are cleared on destruction.
  std::set<WriteReq*> pending_;
};

// Listens on host:port (an IPv4 or IPv6 literal; port 0 picks a free port).
class TcpListener {
 public:
  // Called for each accepted connection, on the loop thread.
  using AcceptFn = std::function<void(std::unique_ptr<TcpStream>)>;

  // Binds and listens. Errors name the operation: "listen 127.0.0.1:2379:
  // EADDRINUSE". On error nothing stays open.
  static base::Result<std::unique_ptr<TcpListener>> Listen(
      uv_loop_t* loop, const std::string& host, uint16_t port,
      AcceptFn on_accept);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  // The bound port (the one the kernel picked when asked for 0).
  uint16_t port() const { return port_; }
  const std::string& host() const { return host_; }
  // Stops accepting; on_closed (optional) runs when the handle is closed.
  void Close(std::function<void()> on_closed = nullptr);

 private:
  TcpListener(std::string host, AcceptFn on_accept);
  static void OnConnection(uv_stream_t* server, int status);

  std::string host_;
  uint16_t port_ = 0;
  AcceptFn on_accept_;
  std::unique_ptr<UvHandle<uv_tcp_t>> handle_;
};

// Parses an IPv4 or IPv6 literal and port into `out`. Errors name `what`.
base::Status ParseAddress(const std::string& host, uint16_t port,
                          sockaddr_storage* out);
// "127.0.0.1:2379" or "[::1]:2379" for a bound or peer address.
std::string FormatAddress(const sockaddr* addr);

}  // namespace server::net
