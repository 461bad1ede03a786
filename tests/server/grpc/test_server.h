#pragma once

// TestServer: a ClientPort on 127.0.0.1:<picked port> running on its own
// loop thread, with echo-like gRPC methods and /health, /version HTTP
// handlers, for transport tests. Stop() shuts the port down gracefully,
// runs the loop until every handle closed and records uv_loop_close().
//
// Methods (all under /test.Echo/):
//   Unary         replies with the request.
//   Later         replies with the request after "delay-ms" metadata ms
//                 (default 50), from a timer: an asynchronous answer.
//   BeforeSleep   replies with the request from a uv_prepare_t callback
//                 (as the node driver answers from its "beforeSleep").
//   Flood         streams <request as decimal> 64 KiB messages, staying
//                 ~256 KiB ahead of flow control (OnWriteReady).
//   Never         never answers; counts cancellations.
//   Fail          fails with INVALID_ARGUMENT and the request as message.
//   Size          replies with a message of <request as decimal> bytes.
//   ServerStream  writes <request as decimal> messages "m<i>", then OK.
//   ClientStream  replies with all request messages concatenated.
//   Bidi          echoes each message; finishes OK when the client
//                 half-closes.
// and /etcdserverpb.KV/Range, answering an empty RangeResponse.
//
// HTTP/1.1: /health, /version, /echo (the body), /chunks (a chunked reply),
// /async (answers "async:<body>" from a uv_prepare_t callback), /drop
// (drops the responder unanswered).

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "server/grpc/session.h"

namespace server::testing {

class TestServer {
 public:
  explicit TestServer(grpc::SessionOptions options = {});
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  uint16_t port() const { return port_; }
  // Graceful shutdown with `grace_ms`; blocks until the loop thread ended.
  // Idempotent.
  void Stop(uint64_t grace_ms = 2000);
  // Starts Stop() without waiting (for GOAWAY tests); Stop() joins later.
  void StopAsync(uint64_t grace_ms = 2000);
  // uv_loop_close's result after Stop(): 0 when no handle leaked.
  int loop_close_result() const { return loop_close_result_; }

  // Counters the handlers keep (read from the test thread).
  std::atomic<int> cancelled{0};  // OnCancel callbacks run.
  std::atomic<int> started{0};    // Handlers run.

 private:
  struct State;
  void Run(grpc::SessionOptions options);

  std::unique_ptr<State> state_;
  std::thread thread_;
  std::atomic<uint16_t> port_{0};
  int loop_close_result_ = -1;
  bool stopped_ = false;
  bool stop_sent_ = false;
};

}  // namespace server::testing
