#pragma once

// The CORS headers etcd (default --cors "*") adds to every HTTP/1.1
// response on the client port: /health, /version, /metrics, the JSON
// gateway, and unknown paths. etcd's access controller answers OPTIONS on
// any path itself (200, these headers, no body) before routing; the
// connection does the same (connection.cc), so handlers never see OPTIONS.

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

// etcd's (Go http.Error's) answer to a method a path does not serve:
// 405, plain text, nosniff, and `Allow` when the handler names one.
inline void SendMethodNotAllowed(const ResponderPtr& resp,
                                 std::string_view allow = {}) {
  HttpResponder::Headers extra;
  if (!allow.empty()) extra.emplace_back("Allow", std::string(allow));
  extra.emplace_back("X-Content-Type-Options", "nosniff");
  resp->Send(405, "text/plain; charset=utf-8", "Method Not Allowed\n",
             Cors(std::move(extra)));
}

}  // namespace server::http
