#pragma once

// The JSON gateway on the client port's HTTP/1.1 side, as etcd 3.4 serves
// it with grpc-gateway: POST /v3/<service>/<method> (and the same under
// /v3beta/) with a JSON request message as body calls the gRPC method in
// process and answers its response message as JSON.
//
//   POST /v3/kv/put {"key":"Zm9v","value":"YmFy"}
//     -> 200 {"header":{"cluster_id":"...","revision":"2",...}}
//   POST /v3/kv/range {}
//     -> 400 {"error":"etcdserver: key is not provided",
//             "message":"etcdserver: key is not provided","code":3}
//   POST /v3/watch {"create_request":{"key":"Zm9v"}}
//     -> 200, chunked: {"result":{...,"created":true}}\n{"result":{...}}\n...
//
// How a request flows:
//
//   path ──routes.h──> "/etcdserverpb.KV/Range" ──protobuf descriptor──>
//   RangeRequest / RangeResponse types
//   body ──JsonValueReader + protobuf JSON parser──> request bytes
//   ──grpc::LocalCall──> the registered handler (the same one gRPC clients
//   reach) ──Write/Finish──> GatewaySink ──protobuf JSON printer──> HTTP
//
// The mapping is generic: any method in the route table works once some
// service registers it on the MethodRegistry; until then it answers
// UNIMPLEMENTED (501) as a gRPC server would. The JSON mapping is
// protobuf's own (proto3 JSON, proto field names as grpc-gateway's
// OrigName, zero values omitted, 64-bit integers as strings, bytes as
// base64, unknown input fields ignored).
//
// Streams: the responses of Watch, LeaseKeepAlive, Snapshot and Observe
// are chunked, one {"result":<message>} per line; a client-streaming body
// may hold several JSON values, each one request message, after which the
// request side is half-closed (a Watch stays open until the HTTP client
// disconnects, which cancels the call; a KeepAlive ends). An error ends a
// stream with {"error":{"grpc_code":..,"http_code":..,"message":..,
// "http_status":..}}.
//
// Thread safety: loop thread only.

#include "server/grpc/registry.h"
#include "server/http/connection.h"

namespace server::gateway {

// Serves /v3/ and /v3beta/ on `router` by calling `methods`; both must
// outlive the connections using the router.
void RegisterGateway(const grpc::MethodRegistry* methods,
                     http::HttpRouter* router);

// The HTTP status grpc-gateway (as built into etcd 3.4) maps a gRPC status
// code to.
int HttpStatusFromCode(base::StatusCode code);

}  // namespace server::gateway
