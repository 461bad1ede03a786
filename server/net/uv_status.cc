#include "server/net/uv_status.h"

#include <uv.h>

#include <string>

#include "base/check.h"

namespace server::net {

base::Status UvStatus(int err, std::string_view operation) {
  CAIRN_CHECK(err < 0, "UvStatus(%d) needs a libuv error", err);
  std::string message(operation);
  message += ": ";
  message += uv_err_name(err);
  base::StatusCode code = base::StatusCode::kUnavailable;
  switch (err) {
    case UV_ECANCELED:
      code = base::StatusCode::kCancelled;
      break;
    case UV_EINVAL:
    case UV_EAI_NONAME:
    case UV_EAI_FAMILY:
    case UV_EAI_SERVICE:
    case UV_EAFNOSUPPORT:
      code = base::StatusCode::kInvalidArgument;
      break;
    case UV_EACCES:
    case UV_EPERM:
      code = base::StatusCode::kPermissionDenied;
      break;
    default:
      break;
  }
  return {code, std::move(message)};
}

}  // namespace server::net
