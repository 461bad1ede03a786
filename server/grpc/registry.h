#pragma once

// MethodRegistry: "/pkg.Service/Method" -> handler, and the four gRPC call
// shapes. Built before the server starts, read-only afterwards.
//
// Registering (loop thread, before listening):
//
//   grpc::MethodRegistry reg;
//   // Unary: one request in, one response (or an error) out, now or later.
//   reg.AddUnary("/etcdserverpb.KV/Put",
//                [&](grpc::CallPtr call, std::string request) {
//                  node.Propose(request, [call](Result<std::string> r) {
//                    if (!r.ok()) return call->Finish(r.status());
//                    call->Reply(*r);  // after the entry committed
//                  });
//                });
//   // Server streaming: one request in, Write() any number of times, then
//   // Finish(). Same handler type as unary.
//   reg.AddServerStreaming("/etcdserverpb.Maintenance/Snapshot", ...);
//   // Client streaming and bidi: the handler runs when the request headers
//   // arrive, sets callbacks, and Write()s / Finish()es whenever it wants.
//   reg.AddBidiStreaming("/etcdserverpb.Watch/Watch",
//                        [&](grpc::CallPtr call) {
//                          call->OnMessage([call](std::string m) {...});
//                          call->OnCancel([...] { drop watchers; });
//                        });
//
// Handlers run on the loop thread and must not block. A handler may answer
// synchronously (Reply inside the handler) or keep the CallPtr and answer
// later from any loop callback. Messages are the serialized protobuf bytes
// (uncompressed) both ways; the transport never parses them. A request
// that does not parse should end with call->Finish(UnmarshalError(why)),
// grpc-go's INTERNAL "grpc: error unmarshalling request: ...".

#include <array>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "base/result.h"
#include "server/grpc/call.h"
#include "server/metrics/registry.h"

namespace server::grpc {

enum class CallKind { kUnary, kServerStreaming, kClientStreaming, kBidi };

// Unary and server streaming: runs once the single request message arrived.
using UnaryHandler = std::function<void(CallPtr call, std::string request)>;
// Client streaming and bidi: runs when the request headers arrived.
using StreamHandler = std::function<void(CallPtr call)>;
// Runs before every call's handler, once the call's headers are in (etcd's
// unary and stream interceptors); a non-OK status ends the call with it and
// the handler never runs.
using Precheck = std::function<base::Status(const ServerCall& call)>;

struct Method {
  CallKind kind;
  UnaryHandler unary;    // Set for kUnary and kServerStreaming.
  StreamHandler stream;  // Set for kClientStreaming and kBidi.
  // This method's children of grpc_server_started_total and (by status
  // code) grpc_server_handled_total, looked up on first use so that a call
  // records itself without building label strings (ServerCall; loop
  // thread only).
  mutable metrics::Counter* started = nullptr;
  mutable std::array<metrics::Counter*, 17> handled{};
};

class MethodRegistry {
 public:
  // REQUIRES: path is "/<service>/<method>", not registered yet (both are
  // programming errors and abort).
  void AddUnary(std::string path, UnaryHandler handler);
  void AddServerStreaming(std::string path, UnaryHandler handler);
  void AddClientStreaming(std::string path, StreamHandler handler);
  void AddBidiStreaming(std::string path, StreamHandler handler);

  // The method for `path`, or UNIMPLEMENTED with grpc-go's message:
  // "malformed method name: \"x\"", "unknown service pkg.Svc" or
  // "unknown method M for service pkg.Svc".
  base::Result<const Method*> Lookup(std::string_view path) const;

  // Sets the check every call passes first (at most one; may be empty).
  void SetPrecheck(Precheck check) { precheck_ = std::move(check); }
  const Precheck& precheck() const { return precheck_; }

 private:
  void Add(std::string path, Method method);

  std::map<std::string, Method, std::less<>> methods_;
  std::map<std::string, int, std::less<>> services_;  // Service -> count.
  Precheck precheck_;
};

// Splits "/svc/method" into its two parts; false when malformed.
bool SplitMethodPath(std::string_view path, std::string_view* service,
                     std::string_view* method);

}  // namespace server::grpc
