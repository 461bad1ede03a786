#include "server/grpc/session.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "base/check.h"
#include "base/log.h"

namespace server::grpc {

namespace {

constexpr size_t kMaxHeaderBytesPerStream = 1 << 20;
constexpr uint32_t kMaxHeaderListSize = 1 << 20;

std::string_view View(const uint8_t* p, size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

// Headers the transport consumes itself; everything else is metadata.
bool IsTransportHeader(std::string_view name) {
  return name == "te" || name == "content-type" || name == "grpc-timeout" ||
         name == "grpc-encoding" || name == "grpc-accept-encoding" ||
         name == "user-agent" || name == "content-length";
}

}  // namespace

Http2Session::Http2Session(uv_loop_t* loop,
                           std::unique_ptr<net::ByteStream> stream,
                           const MethodRegistry* registry,
                           SessionOptions options,
                           std::function<void(Http2Session*)> on_closed)
    : loop_(loop),
      stream_(std::move(stream)),
      registry_(registry),
      options_(options),
      on_closed_(std::move(on_closed)) {}

Http2Session::~Http2Session() {
  for (auto& [id, call] : calls_) call->Detach();
  calls_.clear();
  if (session_ != nullptr) nghttp2_session_del(session_);
}

void Http2Session::Start(std::string_view initial) {
  nghttp2_session_callbacks* cbs = nullptr;
  CAIRN_CHECK(nghttp2_session_callbacks_new(&cbs) == 0, "out of memory");
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, OnBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(cbs, OnHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, OnFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, OnDataChunk);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, OnFrameSend);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, OnStreamClose);
  // etcd's clients put the endpoint URL itself in :authority
  // ("http://127.0.0.1:2379": etcdctl endpoint status --cluster), which
  // nghttp2's HTTP messaging rules refuse with RST_STREAM; Go's server, and
  // so etcd, accepts it. StartCall checks what gRPC needs (method, content
  // type, path) itself.
  nghttp2_option* opt = nullptr;
  CAIRN_CHECK(nghttp2_option_new(&opt) == 0, "out of memory");
  nghttp2_option_set_no_http_messaging(opt, 1);
  int rc = nghttp2_session_server_new2(&session_, cbs, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  CAIRN_CHECK(rc == 0, "nghttp2_session_server_new: %s", nghttp2_strerror(rc));

  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, options_.stream_window_bytes},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, kMaxHeaderListSize},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings,
                          std::size(settings));
  nghttp2_session_set_local_window_size(
      session_, NGHTTP2_FLAG_NONE, 0,
      static_cast<int32_t>(std::min<uint32_t>(options_.connection_window_bytes,
                                              (1u << 31) - 1)));
  int trc = uv_timer_init(loop_, deadline_timer_.get());
  CAIRN_CHECK(trc == 0, "uv_timer_init: %s", uv_err_name(trc));
  deadline_timer_.MarkInitialized();
  deadline_timer_->data = this;
  int irc = uv_idle_init(loop_, flush_idle_.get());
  CAIRN_CHECK(irc == 0, "uv_idle_init: %s", uv_err_name(irc));
  flush_idle_.MarkInitialized();
  flush_idle_->data = this;

  stream_->Start(this);
  if (!initial.empty()) {
    OnRead(initial);
  } else {
    Flush();
  }
}

void Http2Session::OnRead(std::string_view data) {
  if (closed_ || stream_->closing()) return;
  in_nghttp2_ = true;
  ssize_t rc = nghttp2_session_mem_recv(
      session_, reinterpret_cast<const uint8_t*>(data.data()), data.size());
  in_nghttp2_ = false;
  if (rc < 0) {
    CAIRN_LOG(kDebug, "grpc", "%s: bad HTTP/2 input: %s",
              stream_->peer_address().c_str(),
              nghttp2_strerror(static_cast<int>(rc)));
    // nghttp2 may have queued a GOAWAY: send it, then close.
    Flush();
    stream_->Shutdown();
    return;
  }
  Flush();
}

void Http2Session::OnEof() {
  // The client will send nothing more: write out what is queued, then close.
  Flush();
  stream_->Shutdown();
}

void Http2Session::OnWriteDrained() {
  if (reading_paused_) {
    reading_paused_ = false;
    stream_->ResumeReading();
  }
  Flush();
}

void Http2Session::OnClosed(const base::Status& reason) {
  closed_ = true;
  if (!reason.ok()) {
    CAIRN_LOG(kDebug, "grpc", "%s: connection closed: %s",
              stream_->peer_address().c_str(), reason.ToString().c_str());
  }
  deadline_timer_.Close();
  flush_idle_.Close();
  std::map<int32_t, CallPtr> calls;
  calls.swap(calls_);
  deadlines_.clear();
  for (auto& [id, call] : calls) call->Cancel();
  auto on_closed = on_closed_;
  if (on_closed) on_closed(this);  // Last: may destroy this.
}

void Http2Session::GracefulShutdown() {
  if (goaway_sent_ || closed_ || session_ == nullptr) return;
  goaway_sent_ = true;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_),
                        NGHTTP2_NO_ERROR, nullptr, 0);
  RequestFlush();
}

void Http2Session::Close() {
  if (!closed_) stream_->Close();
}

void Http2Session::RequestFlush() {
  if (in_nghttp2_ || flush_scheduled_ || closed_ ||
      flush_idle_.get() == nullptr) {
    return;
  }
  flush_scheduled_ = true;
  uv_idle_start(flush_idle_.get(), &Http2Session::OnFlushIdle);
}

void Http2Session::OnFlushIdle(uv_idle_t* idle) {
  auto* self = static_cast<Http2Session*>(idle->data);
  uv_idle_stop(idle);
  self->flush_scheduled_ = false;
  self->Flush();
}

void Http2Session::RunWriteReadyCallbacks() {
  std::vector<int32_t> ready;
  ready.swap(write_ready_);
  for (int32_t id : ready) {
    auto it = calls_.find(id);
    if (it == calls_.end()) continue;
    CallPtr call = it->second;  // Keeps it alive through the callback.
    if (call->done() || !call->on_write_ready_) continue;
    auto cb = call->on_write_ready_;
    cb();
  }
}

void Http2Session::Flush() {
  if (closed_ || stream_->closing() || session_ == nullptr) return;
  std::string batch;
  in_nghttp2_ = true;
  while (stream_->queued_bytes() + batch.size() <
         options_.write_high_water_bytes) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      CAIRN_LOG(kWarn, "grpc", "%s: nghttp2 send: %s",
                stream_->peer_address().c_str(),
                nghttp2_strerror(static_cast<int>(n)));
      in_nghttp2_ = false;
      stream_->Close();
      return;
    }
    if (n == 0) break;
    batch.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  in_nghttp2_ = false;
  if (!batch.empty()) stream_->Write(std::move(batch));
  // A client that does not read its responses gets no more requests read
  // until it does: its requests cannot grow our buffers without bound.
  if (stream_->queued_bytes() >= options_.write_high_water_bytes &&
      !reading_paused_) {
    reading_paused_ = true;
    stream_->PauseReading();
  }
  // Producers waiting for room write more; their flush is scheduled.
  if (!write_ready_.empty()) RunWriteReadyCallbacks();
  bool idle = nghttp2_session_want_read(session_) == 0 &&
              nghttp2_session_want_write(session_) == 0;
  bool drained_after_goaway = goaway_sent_ && calls_.empty() &&
                              nghttp2_session_want_write(session_) == 0;
  if (idle || drained_after_goaway) stream_->Shutdown();
}

ServerCall* Http2Session::CallFor(int32_t stream_id) const {
  return static_cast<ServerCall*>(
      nghttp2_session_get_stream_user_data(session_, stream_id));
}

// --- nghttp2 callbacks ------------------------------------------------------

int Http2Session::OnBeginHeaders(nghttp2_session* s, const nghttp2_frame* frame,
                                 void* user) {
  auto* self = static_cast<Http2Session*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS ||
      frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
    return 0;
  }
  auto call = std::make_shared<ServerCall>(self, frame->hd.stream_id);
  call->peer_ = self->stream_->peer_address();
  nghttp2_session_set_stream_user_data(s, frame->hd.stream_id, call.get());
  self->calls_[frame->hd.stream_id] = std::move(call);
  return 0;
}

int Http2Session::OnHeader(nghttp2_session*, const nghttp2_frame* frame,
                           const uint8_t* name, size_t namelen,
                           const uint8_t* value, size_t valuelen, uint8_t,
                           void* user) {
  auto* self = static_cast<Http2Session*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS ||
      frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
    return 0;  // Client trailers carry nothing we use.
  }
  ServerCall* call = self->CallFor(frame->hd.stream_id);
  if (call == nullptr) return 0;
  std::string_view n = View(name, namelen);
  std::string_view v = View(value, valuelen);
  if (n == ":path") {
    call->path_ = v;
  } else if (n == ":method") {
    call->method_verb_ = v;
  } else if (n == "content-type") {
    call->content_type_ = v;
  } else if (n == "grpc-timeout") {
    call->timeout_ = std::string(v);
  } else if (n == "grpc-encoding") {
    call->encoding_ = v;
  } else if (!n.empty() && n[0] != ':' && !IsTransportHeader(n)) {
    size_t total = 0;
    for (const auto& [k, val] : call->metadata_) total += k.size() + val.size();
    if (total + n.size() + v.size() > kMaxHeaderBytesPerStream) {
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // Resets the stream.
    }
    call->metadata_.emplace_back(n, v);
  }
  return 0;
}

int Http2Session::OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame,
                              void* user) {
  auto* self = static_cast<Http2Session*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) {
    return 0;
  }
  ServerCall* call = self->CallFor(frame->hd.stream_id);
  if (call == nullptr) return 0;
  if (frame->hd.type == NGHTTP2_HEADERS &&
      frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    self->StartCall(call);
  }
  if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
    self->OnRemoteEnd(call);
  }
  return 0;
}

int Http2Session::OnDataChunk(nghttp2_session*, uint8_t, int32_t stream_id,
                              const uint8_t* data, size_t len, void* user) {
  auto* self = static_cast<Http2Session*>(user);
  ServerCall* call = self->CallFor(stream_id);
  if (call == nullptr || call->done() || !call->reader_.has_value()) {
    return 0;  // Rejected or finished calls drop request bytes.
  }
  std::vector<std::string> messages;
  base::Status st = call->reader_->Push(View(data, len), &messages);
  for (std::string& m : messages) {
    if (call->done()) break;
    self->OnMessage(call, std::move(m));
  }
  if (!st.ok()) call->Finish(st);
  return 0;
}

int Http2Session::OnFrameSend(nghttp2_session* s, const nghttp2_frame* frame,
                              void* user) {
  auto* self = static_cast<Http2Session*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS ||
      (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) {
    return 0;
  }
  // We ended the stream before the client did: tell it to stop sending.
  ServerCall* call = self->CallFor(frame->hd.stream_id);
  if (call != nullptr && !call->remote_closed_) {
    nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                              NGHTTP2_NO_ERROR);
  }
  return 0;
}

int Http2Session::OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t,
                                void* user) {
  auto* self = static_cast<Http2Session*>(user);
  auto it = self->calls_.find(stream_id);
  if (it == self->calls_.end()) return 0;
  CallPtr call = std::move(it->second);
  self->calls_.erase(it);
  if (call->deadline_ms_.has_value()) {
    self->deadlines_.erase({*call->deadline_ms_, stream_id});
  }
  // A stream that closes before Finish() was reset by the client (or by
  // nghttp2 after a stream error): the call is cancelled.
  call->Cancel();
  return 0;
}

// --- Call routing -------------------------------------------------------

void Http2Session::StartCall(ServerCall* call) {
  if (call->method_verb_ != "POST" ||
      call->content_type_.rfind("application/grpc", 0) != 0) {
    // Not gRPC. etcd 3.4 resets such h2c streams with PROTOCOL_ERROR.
    call->finished_ = true;
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, call->stream_id_,
                              NGHTTP2_PROTOCOL_ERROR);
    return;
  }
  if (call->timeout_.has_value()) {
    std::optional<uint64_t> ms = ParseGrpcTimeoutMs(*call->timeout_);
    if (!ms.has_value()) {
      call->Finish(base::Status::Internal(
          "transport: malformed grpc-timeout: " + *call->timeout_));
      return;
    }
    call->deadline_ms_ = uv_now(loop_) + *ms;
    deadlines_.emplace(*call->deadline_ms_, call->stream_id_);
    ArmDeadlineTimer();
  }
  base::Result<const Method*> method = registry_->Lookup(call->path_);
  if (!method.ok()) {
    call->Finish(method.status());
    return;
  }
  call->method_def_ = *method;
  call->RecordStarted();
  if (const Precheck& check = registry_->precheck()) {
    base::Status s = check(*call);
    if (!s.ok()) {
      call->Finish(s);
      return;
    }
  }
  call->reader_.emplace(options_.max_recv_message_bytes, call->encoding_);
  CallKind kind = call->method_def_->kind;
  if (kind == CallKind::kClientStreaming || kind == CallKind::kBidi) {
    call->handler_started_ = true;
    call->method_def_->stream(calls_.at(call->stream_id_));
  }
}

void Http2Session::OnMessage(ServerCall* call, std::string message) {
  ServerCall::RecordReceived(message.size());
  CallKind kind = call->method_def_->kind;
  if (kind == CallKind::kClientStreaming || kind == CallKind::kBidi) {
    call->DeliverMessage(std::move(message));
    return;
  }
  if (call->handler_started_) {
    call->Finish(base::Status::Internal(
        "grpc: client streaming protocol violation: get <nil>, want <EOF>"));
    return;
  }
  call->handler_started_ = true;
  call->method_def_->unary(calls_.at(call->stream_id_), std::move(message));
}

void Http2Session::OnRemoteEnd(ServerCall* call) {
  call->remote_closed_ = true;
  if (call->done() || call->method_def_ == nullptr) return;
  if (call->reader_.has_value() && call->reader_->partial()) {
    call->Finish(base::Status::Internal(
        "grpc: error while receiving message: unexpected EOF"));
    return;
  }
  CallKind kind = call->method_def_->kind;
  if (kind == CallKind::kClientStreaming || kind == CallKind::kBidi) {
    call->DeliverHalfClose();
    return;
  }
  if (!call->handler_started_) {
    call->Finish(base::Status::Internal(
        "grpc: error while receiving message: no request message"));
  }
}

// --- Deadlines ----------------------------------------------------------

void Http2Session::ArmDeadlineTimer() {
  if (deadlines_.empty() || deadline_timer_.get() == nullptr) return;
  uint64_t now = uv_now(loop_);
  uint64_t first = deadlines_.begin()->first;
  uv_timer_start(deadline_timer_.get(), &Http2Session::OnDeadlineTimer,
                 first > now ? first - now : 0, 0);
}

void Http2Session::OnDeadlineTimer(uv_timer_t* timer) {
  auto* self = static_cast<Http2Session*>(timer->data);
  uint64_t now = uv_now(self->loop_);
  std::vector<CallPtr> expired;
  while (!self->deadlines_.empty() && self->deadlines_.begin()->first <= now) {
    int32_t id = self->deadlines_.begin()->second;
    self->deadlines_.erase(self->deadlines_.begin());
    auto it = self->calls_.find(id);
    if (it != self->calls_.end()) expired.push_back(it->second);
  }
  for (const CallPtr& call : expired) {
    if (call->done()) continue;
    call->expired_ = true;
    call->Finish(base::Status::DeadlineExceeded("context deadline exceeded"));
    call->Cancel();
  }
  self->ArmDeadlineTimer();
}

}  // namespace server::grpc
