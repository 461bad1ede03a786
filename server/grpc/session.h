#pragma once

// Http2Session: the server side of one HTTP/2 connection carrying gRPC
// calls (h2c with prior knowledge), built on nghttp2 and a net::ByteStream.
//
// What it does for the connection:
// - sends its SETTINGS first (initial stream window, header list size) and
//   widens the connection window; nghttp2 ACKs the client's SETTINGS and
//   answers PINGs;
// - reads with nghttp2_session_mem_recv and writes what
//   nghttp2_session_mem_send produces, pulling more only while the stream's
//   write queue is below a high-water mark (so a slow reader cannot make us
//   buffer without bound); nghttp2 keeps both flow-control windows and sends
//   WINDOW_UPDATE as request DATA is consumed;
// - turns each request stream into a ServerCall (call.h) and dispatches it
//   through the MethodRegistry (registry.h); answers UNIMPLEMENTED,
//   RESOURCE_EXHAUSTED etc. itself; resets non-gRPC requests with
//   PROTOCOL_ERROR (as etcd 3.4 does on h2c);
// - enforces grpc-timeout deadlines with one timer per session;
// - on GracefulShutdown sends GOAWAY(NO_ERROR), lets open calls finish and
//   then closes; on a protocol error nghttp2 queues GOAWAY and the session
//   closes after writing it.
//
// Lifetime: created by the owner of the connection (http::ClientPort), which
// destroys it from the `on_closed` callback or later. Thread safety: loop
// thread only.

#include <nghttp2/nghttp2.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "server/grpc/call.h"
#include "server/grpc/registry.h"
#include "server/net/byte_stream.h"
#include "server/net/handle.h"

namespace server::grpc {

struct SessionOptions {
  // Largest request message accepted; larger ones fail RESOURCE_EXHAUSTED.
  size_t max_recv_message_bytes = kDefaultMaxRecvMessageBytes;
  // SETTINGS_INITIAL_WINDOW_SIZE we advertise (per-stream receive window).
  uint32_t stream_window_bytes = 1 << 20;
  // Connection-level receive window.
  uint32_t connection_window_bytes = 16 << 20;
  // Stop pulling frames from nghttp2, and stop reading requests, while this
  // many bytes wait in the stream's write queue (the client is not reading).
  size_t write_high_water_bytes = 1 << 20;
};

class Http2Session final : public net::ByteStream::Delegate {
 public:
  // `registry` must outlive the session. `on_closed` runs once, from a fresh
  // loop callback, when the connection is closed; every open call has been
  // cancelled by then.
  Http2Session(uv_loop_t* loop, std::unique_ptr<net::ByteStream> stream,
               const MethodRegistry* registry, SessionOptions options,
               std::function<void(Http2Session*)> on_closed);
  ~Http2Session() override;
  Http2Session(const Http2Session&) = delete;
  Http2Session& operator=(const Http2Session&) = delete;

  // Sends SETTINGS and starts reading. `initial` holds bytes already read
  // from the stream (the client preface the port sniffed). On error the
  // stream is closed (on_closed still runs).
  void Start(std::string_view initial);
  // GOAWAY(NO_ERROR) naming the last stream we accepted; open calls may
  // finish; the connection closes when none is left. Idempotent.
  void GracefulShutdown();
  // Closes the connection now; open calls are cancelled.
  void Close();

  size_t open_calls() const { return calls_.size(); }
  uv_loop_t* loop() const { return loop_; }

  // For ServerCall: schedules writing out what nghttp2 has queued. Inside
  // the read path the flush follows the read; otherwise it runs from a
  // uv_idle_t: in this loop iteration when asked from a timer, else at the
  // start of the next one, which an active idle handle makes begin without
  // blocking. Whatever phase answers (a timer, a uv_async from the storage
  // thread, the node's uv_prepare "beforeSleep"), the answer goes out before
  // the loop sleeps, answers given together go out in one write, and a
  // handler's callback is never re-entered from inside nghttp2.
  void RequestFlush();
  // For ServerCall: the call's response buffer drained; its OnWriteReady
  // callback runs after the current flush.
  void NoteWriteReady(int32_t stream_id) { write_ready_.push_back(stream_id); }
  nghttp2_session* nghttp2() const { return session_; }

  // net::ByteStream::Delegate.
  void OnRead(std::string_view data) override;
  void OnEof() override;
  void OnWriteDrained() override;
  void OnClosed(const base::Status& reason) override;

 private:
  // nghttp2 callbacks (user_data is the session).
  static int OnBeginHeaders(nghttp2_session* s, const nghttp2_frame* frame,
                            void* user);
  static int OnHeader(nghttp2_session* s, const nghttp2_frame* frame,
                      const uint8_t* name, size_t namelen, const uint8_t* value,
                      size_t valuelen, uint8_t flags, void* user);
  static int OnFrameRecv(nghttp2_session* s, const nghttp2_frame* frame,
                         void* user);
  static int OnDataChunk(nghttp2_session* s, uint8_t flags, int32_t stream_id,
                         const uint8_t* data, size_t len, void* user);
  static int OnFrameSend(nghttp2_session* s, const nghttp2_frame* frame,
                         void* user);
  static int OnStreamClose(nghttp2_session* s, int32_t stream_id,
                           uint32_t error_code, void* user);
  static void OnDeadlineTimer(uv_timer_t* timer);
  static void OnFlushIdle(uv_idle_t* idle);
  void RunWriteReadyCallbacks();

  ServerCall* CallFor(int32_t stream_id) const;
  void StartCall(ServerCall* call);
  void OnMessage(ServerCall* call, std::string message);
  void OnRemoteEnd(ServerCall* call);
  void ArmDeadlineTimer();
  void Flush();

  uv_loop_t* loop_;
  std::unique_ptr<net::ByteStream> stream_;
  const MethodRegistry* registry_;
  SessionOptions options_;
  std::function<void(Http2Session*)> on_closed_;
  nghttp2_session* session_ = nullptr;
  net::UvHandle<uv_timer_t> deadline_timer_;
  net::UvHandle<uv_idle_t> flush_idle_;
  bool flush_scheduled_ = false;
  std::vector<int32_t> write_ready_;  // Streams whose output drained.

  // Open request streams. A call leaves when its stream closes.
  std::map<int32_t, CallPtr> calls_;
  // (deadline in uv_now ms, stream id) of open calls with a grpc-timeout.
  std::set<std::pair<uint64_t, int32_t>> deadlines_;
  bool in_nghttp2_ = false;  // Inside mem_recv/mem_send: do not re-enter.
  bool goaway_sent_ = false;
  bool reading_paused_ = false;  // Write queue above the high-water mark.
  bool closed_ = false;
};

}  // namespace server::grpc
