#pragma once

// H2Client: a blocking HTTP/2 client for transport tests, built on nghttp2's
// client session over a plain socket. It lets a test do what a well-behaved
// gRPC library never does: skip deadlines locally, reset streams at chosen
// moments, send oversized length prefixes, or write raw garbage.

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace server::testing {

// Connects a blocking TCP socket to 127.0.0.1:port; -1 on failure.
int ConnectLoopback(uint16_t port);
// Reads until EOF or error or `timeout_ms`; returns the bytes read and sets
// *closed when the peer closed (EOF or reset).
std::string ReadUntilClosed(int fd, int timeout_ms, bool* closed);

class H2Client {
 public:
  struct Stream {
    std::map<std::string, std::string> headers;  // All header blocks.
    std::string data;                            // Raw DATA bytes.
    std::string to_send;                         // Request bytes pending.
    bool end_after_send = false;
    bool closed = false;
    uint32_t rst_code = 0;
    bool rst = false;
    // Response messages decoded from `data`.
    std::vector<std::string> Messages() const;
    // grpc-status as an int, -1 when absent.
    int GrpcStatus() const;
  };

  // `window` is the receive window advertised for each stream and for the
  // connection.
  static std::unique_ptr<H2Client> Connect(uint16_t port,
                                           int32_t window = 16 << 20);
  ~H2Client();

  // Opens a gRPC call to `path` sending `body` (raw bytes: use
  // grpc::EncodeMessage for messages). `end` sends END_STREAM after it.
  int32_t StartCall(const std::string& path, std::string body, bool end,
                    std::vector<std::pair<std::string, std::string>> extra = {},
                    const std::string& content_type = "application/grpc");
  // Queues more request bytes on an open call.
  void Send(int32_t id, std::string body, bool end);
  void Reset(int32_t id, uint32_t error_code = NGHTTP2_CANCEL);
  // Writes bytes on the socket, bypassing nghttp2.
  void WriteRaw(const std::string& bytes);
  // Writes what nghttp2 has queued without reading anything.
  void SendOnly();

  // Exchanges frames until pred() holds (true), or the connection closes or
  // timeout_ms passes (false).
  bool RunUntil(const std::function<bool()>& pred, int timeout_ms = 5000);
  bool CallDone(int32_t id) { return streams_[id].closed; }

  Stream& stream(int32_t id) { return streams_[id]; }
  bool goaway() const { return goaway_; }
  bool closed() const { return closed_; }
  int ping_acks() const { return ping_acks_; }
  void Ping();

 private:
  H2Client() = default;
  bool Pump(int timeout_ms);
  static ssize_t ReadBody(nghttp2_session* s, int32_t id, uint8_t* buf,
                          size_t len, uint32_t* flags, nghttp2_data_source* src,
                          void* user);

  int fd_ = -1;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, Stream> streams_;
  bool goaway_ = false;
  bool closed_ = false;
  int ping_acks_ = 0;
};

}  // namespace server::testing
