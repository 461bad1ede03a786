#pragma once

// ServerCall: one gRPC call (one HTTP/2 stream) as its handler sees it.
//
// A handler receives a CallPtr (std::shared_ptr<ServerCall>) and may keep it
// as long as it likes: across loop iterations, until a raft entry commits,
// for the life of a Watch stream. The call stays safe to use after the
// client cancelled or the connection closed; Write and Finish then do
// nothing. Ownership is shared because both the HTTP/2 session (while the
// stream is open) and the handler (while it has work pending) hold it.
//
// Life of a call:
//
//   headers arrive ──> handler runs ──> Write()* ──> Finish(status)
//                          │                              │
//                          └── OnCancel callback ◄── RST_STREAM, deadline,
//                              (only if not yet finished)  connection lost
//
// Exactly one of these ends a call: the handler's Finish(), or cancellation
// (the OnCancel callback runs once, after which the call is done). After a
// deadline passes the server has already sent DEADLINE_EXCEEDED ("context
// deadline exceeded") when OnCancel runs.
//
// Thread safety: loop thread only. A handler on another thread (the storage
// or apply thread) must hop back to the loop (uv_async) before touching the
// call.

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "server/grpc/framing.h"

namespace server::grpc {

class Http2Session;
class LocalCall;
struct Method;

// Where the answers of a call go when no HTTP/2 stream carries it: the JSON
// gateway invokes the registered handlers in process (local_call.h). The
// call hands each response message and its end to the sink, on the loop
// thread; the sink is released once the call is finished or cancelled.
class CallSink {
 public:
  virtual ~CallSink() = default;
  // One serialized response message.
  virtual void Write(std::string_view message) = 0;
  // The end of the call; runs once, after every Write.
  virtual void Finish(const base::Status& status) = 0;
  // Response bytes the sink has queued but not yet sent (for
  // ServerCall::pending_bytes()).
  virtual size_t pending_bytes() const = 0;
};

// Request metadata in arrival order: lowercase names; "-bin" values are
// still base64 as sent. Pseudo-headers and te/content-type/grpc-timeout/
// grpc-encoding/grpc-accept-encoding/user-agent are not included.
using Metadata = std::vector<std::pair<std::string, std::string>>;

class ServerCall {
 public:
  // Created by Http2Session when a request's HEADERS begin.
  ServerCall(Http2Session* session, int32_t stream_id);
  // Created by LocalCall: a call of `path` whose answers go to `sink`.
  ServerCall(std::string path, Metadata metadata,
             std::shared_ptr<CallSink> sink);
  ServerCall(const ServerCall&) = delete;
  ServerCall& operator=(const ServerCall&) = delete;

  // --- Request facts (valid once the handler runs) ---------------------
  // "/etcdserverpb.KV/Range".
  const std::string& method() const { return path_; }
  const Metadata& metadata() const { return metadata_; }
  // The first value of metadata `name` (lowercase), or nullopt.
  std::optional<std::string_view> Find(std::string_view name) const;
  // The absolute deadline in uv_now() milliseconds of the session's loop, or
  // nullopt when the client sent no grpc-timeout.
  std::optional<uint64_t> deadline_ms() const { return deadline_ms_; }
  const std::string& peer() const { return peer_; }
  int32_t stream_id() const { return stream_id_; }

  // --- State -------------------------------------------------------------
  // Finish() was called, or the call was cancelled.
  bool done() const { return finished_ || cancelled_; }
  bool cancelled() const { return cancelled_; }
  // The client sent END_STREAM (no more request messages).
  bool half_closed() const { return remote_closed_; }
  // Response bytes written by Write() that HTTP/2 flow control has not let
  // out yet. A streaming handler producing much data (a snapshot) should
  // wait while this is large; the call does not limit it.
  size_t pending_bytes() const {
    return sink_ ? sink_->pending_bytes() : out_.size() - out_offset_;
  }

  // --- Callbacks ---------------------------------------------------------
  // Set them from the handler, before it returns. All run on the loop
  // thread, never re-entrantly from Write/Finish. They are dropped when the
  // call ends (finished and its stream closed, or cancelled), so they may
  // capture the CallPtr itself: the reference cycle is broken then.
  // Client and bidi streaming: each request message, in order. Messages
  // that arrive before a callback is set are kept and delivered when it is.
  void OnMessage(std::function<void(std::string)> cb);
  // Client and bidi streaming: the client half-closed (END_STREAM).
  void OnHalfClose(std::function<void()> cb);
  // Streaming responses: runs (outside nghttp2, on the loop) each time
  // pending_bytes() fell to zero because flow control let the bytes out. A
  // producer (a snapshot, a watch catching up) writes until pending_bytes()
  // passes its own limit and continues from here.
  void OnWriteReady(std::function<void()> cb) {
    on_write_ready_ = std::move(cb);
  }
  // Any shape: the call ended without Finish() (client RST_STREAM,
  // deadline, connection closed). Runs at most once; drop any work.
  void OnCancel(std::function<void()> cb);

  // --- Answering -----------------------------------------------------------
  // Any loop callback may answer, at any time. Bytes go out right after the
  // read being processed, or else from the session's uv_idle_t before the
  // loop next sleeps (see Http2Session::RequestFlush).
  // Queues one response message; the first Write also sends the response
  // headers (:status 200, content-type application/grpc). Returns false and
  // does nothing once the call is done.
  bool Write(std::string_view message);
  // Ends the call with trailers grpc-status (and grpc-message when the
  // status carries one, percent-encoded). Without a prior Write this is a
  // Trailers-Only response. If the client has not half-closed yet, the
  // stream is then reset with NO_ERROR. No-op once the call is done.
  void Finish(const base::Status& status);
  // Unary convenience: Write(response) then Finish(OK).
  void Reply(std::string_view response);

  // Internal, for the session's nghttp2 data provider: copies pending
  // response bytes into `buf`, or ends DATA and submits the trailers once
  // finished.
  ssize_t ReadResponseForNghttp2(nghttp2_session* s, int32_t stream_id,
                                 uint8_t* buf, size_t length, uint32_t* flags);

 private:
  friend class Http2Session;
  friend class LocalCall;

  // Marks the call cancelled and runs OnCancel (once). Detaches first.
  void Cancel();
  void DeliverMessage(std::string msg);
  void DeliverHalfClose();
  void Detach() { session_ = nullptr; }
  // Drops the callbacks, which often hold the CallPtr (a cycle).
  void DropCallbacks();
  // Metrics (grpc_server_started_total, grpc_server_handled_total, message
  // bytes), for calls routed to a registered method.
  void RecordStarted() const;
  void RecordHandled(const base::Status& status) const;
  static void RecordReceived(size_t message_bytes);

  Http2Session* session_;  // nullptr once the stream is gone.
  // Set instead of session_ for an in-process call, until it ends.
  std::shared_ptr<CallSink> sink_;
  int32_t stream_id_;
  std::string path_;
  std::string content_type_;
  std::string method_verb_;
  std::string encoding_;
  std::optional<std::string> timeout_;
  Metadata metadata_;
  std::optional<uint64_t> deadline_ms_;
  std::string peer_;

  const Method* method_def_ = nullptr;  // Set once routed.
  std::optional<MessageReader> reader_;
  bool handler_started_ = false;
  bool headers_sent_ = false;
  bool finished_ = false;
  bool cancelled_ = false;
  bool remote_closed_ = false;
  bool expired_ = false;  // The deadline passed (we sent DEADLINE_EXCEEDED).
  // Response bytes (framed messages) not yet taken by nghttp2.
  std::string out_;
  size_t out_offset_ = 0;
  base::Status final_status_;

  std::vector<std::string> early_messages_;
  bool early_half_close_ = false;
  std::function<void(std::string)> on_message_;
  std::function<void()> on_half_close_;
  std::function<void()> on_cancel_;
  std::function<void()> on_write_ready_;
};

using CallPtr = std::shared_ptr<ServerCall>;

}  // namespace server::grpc
