#pragma once

// Turning libuv's negative errno ints into base::Status at the call site.
//
//   int rc = uv_tcp_bind(tcp, addr, 0);
//   if (rc < 0) return net::UvStatus(rc, "bind 127.0.0.1:2380");
//
// gives "bind 127.0.0.1:2380: EADDRINUSE". The operation string names what
// was attempted and on what, so a log line or a flag error needs no context.

#include <string_view>

#include "base/status.h"

namespace server::net {

// REQUIRES: err < 0 (a libuv error code). The code maps to a gRPC canonical
// code: UV_ECANCELED -> CANCELLED, UV_EINVAL and resolver errors ->
// INVALID_ARGUMENT, UV_EACCES/UV_EPERM -> PERMISSION_DENIED, anything else
// (address in use, connection reset, broken pipe...) -> UNAVAILABLE.
base::Status UvStatus(int err, std::string_view operation);

}  // namespace server::net
