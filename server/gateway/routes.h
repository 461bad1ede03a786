#pragma once

// The JSON gateway's path table: which gRPC method each POST /v3/... path
// calls, as etcd 3.4 binds them (the google.api.http annotations of its
// rpc.proto, v3lock.proto and v3election.proto, compiled into
// *.pb.gw.go). /v3beta/... is the same table under another prefix.

#include <string_view>

namespace server::gateway {

struct Route {
  std::string_view http_path;    // "/v3/kv/range"
  std::string_view grpc_method;  // "/etcdserverpb.KV/Range"
};

// The gRPC method bound to `http_path` (already rewritten from /v3beta/ to
// /v3/), or nullptr.
const Route* FindRoute(std::string_view http_path);

// Every route, for tests and for checking the table against the compiled
// descriptors at start-up.
const Route* AllRoutes(size_t* count);

}  // namespace server::gateway
