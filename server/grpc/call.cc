#include "server/grpc/call.h"

#include <nghttp2/nghttp2.h>

#include <cstring>
#include <string>

#include "server/grpc/registry.h"
#include "server/grpc/session.h"
#include "server/metrics/server_metrics.h"

namespace server::grpc {

namespace {

nghttp2_nv MakeNv(std::string_view name, std::string_view value) {
  // nghttp2 copies names and values on submit (no NO_COPY flags).
  return nghttp2_nv{
      const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(name.data())),
      const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(value.data())),
      name.size(), value.size(), NGHTTP2_NV_FLAG_NONE};
}

constexpr std::string_view kStatus200 = "200";
constexpr std::string_view kContentType = "application/grpc";

// The trailers (or the tail of a Trailers-Only response) for `status`.
struct StatusHeaders {
  explicit StatusHeaders(const base::Status& status)
      : code(std::to_string(static_cast<int>(status.code()))),
        message(PercentEncode(status.message())) {}
  // Appends grpc-status and, when non-empty, grpc-message to `nva`.
  void AppendTo(std::vector<nghttp2_nv>* nva) const {
    nva->push_back(MakeNv("grpc-status", code));
    if (!message.empty()) nva->push_back(MakeNv("grpc-message", message));
  }
  std::string code;
  std::string message;
};

// nghttp2 pulls response DATA from the call's out buffer. When the buffer is
// empty: defer until Write/Finish, or, once finished, end DATA without
// END_STREAM and submit the trailers (which carry END_STREAM).
ssize_t ReadResponse(nghttp2_session* s, int32_t stream_id, uint8_t* buf,
                     size_t length, uint32_t* flags,
                     nghttp2_data_source* source, void*) {
  auto* out = static_cast<ServerCall*>(source->ptr);
  return out->ReadResponseForNghttp2(s, stream_id, buf, length, flags);
}

// grpc-go's names of the codes (codes.Code.String()).
const char* CodeName(base::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "Canceled",
                                       "Unknown",
                                       "InvalidArgument",
                                       "DeadlineExceeded",
                                       "NotFound",
                                       "AlreadyExists",
                                       "PermissionDenied",
                                       "ResourceExhausted",
                                       "FailedPrecondition",
                                       "Aborted",
                                       "OutOfRange",
                                       "Unimplemented",
                                       "Internal",
                                       "Unavailable",
                                       "DataLoss",
                                       "Unauthenticated"};
  auto i = static_cast<size_t>(code);
  return i < std::size(kNames) ? kNames[i] : "Unknown";
}

const char* TypeName(CallKind kind) {
  switch (kind) {
    case CallKind::kUnary:
      return "unary";
    case CallKind::kServerStreaming:
      return "server_stream";
    case CallKind::kClientStreaming:
      return "client_stream";
    case CallKind::kBidi:
      return "bidi_stream";
  }
  return "unary";
}

}  // namespace

void ServerCall::RecordStarted() const {
  if (method_def_ == nullptr) return;
  metrics::Counter*& c = method_def_->started;
  std::string_view svc, name;
  if (c == nullptr && SplitMethodPath(path_, &svc, &name)) {
    c = metrics::Server().grpc_started->With(
        {std::string(name), std::string(svc), TypeName(method_def_->kind)});
  }
  if (c != nullptr) c->Inc();
}

void ServerCall::RecordHandled(const base::Status& status) const {
  if (method_def_ == nullptr) return;
  auto code = static_cast<size_t>(status.code());
  if (code >= method_def_->handled.size()) code = 2;  // Unknown
  metrics::Counter*& c = method_def_->handled[code];
  std::string_view svc, name;
  if (c == nullptr && SplitMethodPath(path_, &svc, &name)) {
    c = metrics::Server().grpc_handled->With(
        {CodeName(static_cast<base::StatusCode>(code)), std::string(name),
         std::string(svc), TypeName(method_def_->kind)});
  }
  if (c != nullptr) c->Inc();
}

void ServerCall::RecordReceived(size_t message_bytes) {
  metrics::Server().grpc_received_bytes->Inc(message_bytes);
}

ServerCall::ServerCall(Http2Session* session, int32_t stream_id)
    : session_(session), stream_id_(stream_id) {}

ServerCall::ServerCall(std::string path, Metadata metadata,
                       std::shared_ptr<CallSink> sink)
    : session_(nullptr),
      sink_(std::move(sink)),
      stream_id_(0),
      path_(std::move(path)),
      metadata_(std::move(metadata)) {}

std::optional<std::string_view> ServerCall::Find(std::string_view name) const {
  for (const auto& [k, v] : metadata_) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

void ServerCall::OnMessage(std::function<void(std::string)> cb) {
  on_message_ = std::move(cb);
  std::vector<std::string> early;
  early.swap(early_messages_);
  for (std::string& m : early) {
    if (done() || !on_message_) break;
    auto deliver = on_message_;  // The callback may replace itself.
    deliver(std::move(m));
  }
  if (early_half_close_) {
    early_half_close_ = false;
    DeliverHalfClose();
  }
}

void ServerCall::OnHalfClose(std::function<void()> cb) {
  on_half_close_ = std::move(cb);
  if (early_half_close_ && early_messages_.empty()) {
    early_half_close_ = false;
    DeliverHalfClose();
  }
}

void ServerCall::OnCancel(std::function<void()> cb) {
  on_cancel_ = std::move(cb);
}

void ServerCall::DeliverMessage(std::string msg) {
  if (done()) return;
  if (!on_message_ || !early_messages_.empty()) {
    early_messages_.push_back(std::move(msg));
    return;
  }
  auto deliver = on_message_;  // The callback may replace itself.
  deliver(std::move(msg));
}

void ServerCall::DeliverHalfClose() {
  if (done()) return;
  if (!on_half_close_ || !early_messages_.empty()) {
    early_half_close_ = true;
    return;
  }
  auto cb = on_half_close_;
  cb();
}

void ServerCall::Cancel() {
  Detach();
  // The handler hears of the end only if it did not cause it: a Finish()ed
  // call is not cancelled, except by its deadline (Finish came from us).
  bool notify = !cancelled_ && (!finished_ || expired_);
  if (notify) cancelled_ = true;
  if (notify && !finished_) {
    RecordHandled(base::Status::Cancelled("cancelled"));
  }
  std::function<void()> cb = notify ? std::move(on_cancel_) : nullptr;
  sink_.reset();
  DropCallbacks();
  if (cb) cb();
}

void ServerCall::DropCallbacks() {
  // Running callbacks are copies (DeliverMessage and the write-ready and
  // cancel paths copy or move them out first), so this is safe from inside.
  on_message_ = nullptr;
  on_half_close_ = nullptr;
  on_cancel_ = nullptr;
  on_write_ready_ = nullptr;
  early_messages_.clear();
}

bool ServerCall::Write(std::string_view message) {
  if (done()) return false;
  metrics::Server().grpc_sent_bytes->Inc(message.size());
  if (sink_) {
    sink_->Write(message);
    return true;
  }
  if (session_ == nullptr) return false;
  out_.append(EncodeMessage(message));
  nghttp2_session* s = session_->nghttp2();
  if (!headers_sent_) {
    headers_sent_ = true;
    nghttp2_nv nva[] = {MakeNv(":status", kStatus200),
                        MakeNv("content-type", kContentType)};
    nghttp2_data_provider prd;
    prd.source.ptr = this;
    prd.read_callback = ReadResponse;
    nghttp2_submit_response(s, stream_id_, nva, std::size(nva), &prd);
  } else {
    nghttp2_session_resume_data(s, stream_id_);
  }
  session_->RequestFlush();
  return true;
}

void ServerCall::Finish(const base::Status& status) {
  if (done()) return;
  RecordHandled(status);
  if (sink_) {
    finished_ = true;
    final_status_ = status;
    std::shared_ptr<CallSink> sink = std::move(sink_);
    sink->Finish(status);
    DropCallbacks();
    return;
  }
  if (session_ == nullptr) return;
  finished_ = true;
  final_status_ = status;
  nghttp2_session* s = session_->nghttp2();
  if (!headers_sent_) {
    // Trailers-Only: one HEADERS frame with END_STREAM.
    headers_sent_ = true;
    StatusHeaders sh(status);
    std::vector<nghttp2_nv> nva = {MakeNv(":status", kStatus200),
                                   MakeNv("content-type", kContentType)};
    sh.AppendTo(&nva);
    nghttp2_submit_headers(s, NGHTTP2_FLAG_END_STREAM, stream_id_, nullptr,
                           nva.data(), nva.size(), nullptr);
  } else {
    nghttp2_session_resume_data(s, stream_id_);
  }
  session_->RequestFlush();
}

void ServerCall::Reply(std::string_view response) {
  if (Write(response)) Finish(base::Status());
}

ssize_t ServerCall::ReadResponseForNghttp2(nghttp2_session* s,
                                           int32_t stream_id, uint8_t* buf,
                                           size_t length, uint32_t* flags) {
  size_t avail = out_.size() - out_offset_;
  if (avail > 0) {
    size_t n = std::min(avail, length);
    std::memcpy(buf, out_.data() + out_offset_, n);
    out_offset_ += n;
    if (out_offset_ == out_.size()) {
      out_.clear();
      out_offset_ = 0;
      if (on_write_ready_ && session_ != nullptr) {
        session_->NoteWriteReady(stream_id_);
      }
    }
    return static_cast<ssize_t>(n);
  }
  if (!finished_) return NGHTTP2_ERR_DEFERRED;
  *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
  StatusHeaders sh(final_status_);
  std::vector<nghttp2_nv> nva;
  sh.AppendTo(&nva);
  nghttp2_submit_trailer(s, stream_id, nva.data(), nva.size());
  return 0;
}

}  // namespace server::grpc
