#pragma once

// LocalCall: a gRPC call made in process, for a transport other than HTTP/2
// (the JSON gateway). It dispatches to the MethodRegistry as Http2Session
// does, so a handler cannot tell the two apart: it gets a CallPtr, reads
// request messages, and answers with Write/Finish, which go to the
// CallSink given here instead of an HTTP/2 stream.
//
//   auto local = grpc::LocalCall::Start(registry, "/etcdserverpb.KV/Range",
//                                       {}, sink);
//   if (!local.ok()) ...;                 // UNIMPLEMENTED, as gRPC answers
//   local->Send(request_bytes);           // unary: the handler runs now
//   local->HalfClose();
//   ...
//   local->Cancel();                      // the HTTP client went away
//
// Thread safety: loop thread only.

#include <memory>
#include <string>

#include "base/result.h"
#include "server/grpc/call.h"
#include "server/grpc/registry.h"

namespace server::grpc {

class LocalCall {
 public:
  // Looks `path` up and, for client-streaming and bidi methods, runs the
  // handler now. Fails with the registry's UNIMPLEMENTED status.
  static base::Result<LocalCall> Start(const MethodRegistry& registry,
                                       std::string path, Metadata metadata,
                                       std::shared_ptr<CallSink> sink);

  CallKind kind() const { return method_->kind; }
  const CallPtr& call() const { return call_; }

  // One request message. Unary and server streaming: the first one runs
  // the handler (later ones are ignored); client and bidi streaming: it is
  // delivered to the call's OnMessage.
  void Send(std::string message);
  // The client will send no more messages (OnHalfClose). A unary call that
  // got no message runs its handler with an empty one, as an empty JSON
  // body means the empty request.
  void HalfClose();
  // The client went away: the call is cancelled (OnCancel runs) unless it
  // has finished.
  void Cancel();
  // The sink sent what it had queued: runs the call's OnWriteReady.
  void WriteReady();

 private:
  LocalCall(const Method* method, CallPtr call)
      : method_(method), call_(std::move(call)) {}

  const Method* method_;
  CallPtr call_;
};

}  // namespace server::grpc
