#include "server/grpc/local_call.h"

#include <utility>

namespace server::grpc {

base::Result<LocalCall> LocalCall::Start(const MethodRegistry& registry,
                                         std::string path, Metadata metadata,
                                         std::shared_ptr<CallSink> sink) {
  CAIRN_ASSIGN_OR_RETURN(const Method* method, registry.Lookup(path));
  auto call = std::make_shared<ServerCall>(std::move(path), std::move(metadata),
                                           std::move(sink));
  call->method_def_ = method;
  call->RecordStarted();
  LocalCall local(method, call);
  if (method->kind == CallKind::kClientStreaming ||
      method->kind == CallKind::kBidi) {
    call->handler_started_ = true;
    method->stream(call);
  }
  return local;
}

void LocalCall::Send(std::string message) {
  if (call_->done()) return;
  ServerCall::RecordReceived(message.size());
  if (method_->kind == CallKind::kClientStreaming ||
      method_->kind == CallKind::kBidi) {
    call_->DeliverMessage(std::move(message));
    return;
  }
  if (call_->handler_started_) return;
  call_->handler_started_ = true;
  call_->remote_closed_ = true;
  method_->unary(call_, std::move(message));
}

void LocalCall::HalfClose() {
  if (call_->done()) return;
  if (method_->kind == CallKind::kClientStreaming ||
      method_->kind == CallKind::kBidi) {
    call_->remote_closed_ = true;
    call_->DeliverHalfClose();
    return;
  }
  if (!call_->handler_started_) Send(std::string());
}

void LocalCall::Cancel() {
  if (call_->done()) return;
  call_->Cancel();
}

void LocalCall::WriteReady() {
  if (call_->done() || !call_->on_write_ready_) return;
  auto cb = call_->on_write_ready_;  // The callback may replace itself.
  cb();
}

}  // namespace server::grpc
