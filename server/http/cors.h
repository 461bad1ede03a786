#pragma once

// The CORS headers etcd (default --cors "*") adds to every HTTP/1.1
// response on the client port: /health, /version, /metrics and the JSON
// gateway.

#include "server/http/connection.h"

namespace server::http {

// `extra` with etcd's three Access-Control-Allow-* headers in front.
inline HttpResponder::Headers Cors(HttpResponder::Headers extra = {}) {
  extra.insert(extra.begin(), {{"Access-Control-Allow-Origin", "*"},
                               {"Access-Control-Allow-Methods",
                                "POST, GET, OPTIONS, PUT, DELETE"},
                               {"Access-Control-Allow-Headers",
                                "accept, content-type, authorization"}});
  return extra;
}

}  // namespace server::http
