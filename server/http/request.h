#pragma once

// HTTP/1.1 requests: the parsed form and an incremental parser.
//
// The parser accepts what curl, Go's net/http and the JSON gateway clients
// send: a request line "METHOD target HTTP/1.x", header lines, an empty line
// and a body of Content-Length bytes. Chunked request bodies are refused
// (501): no client in scope sends them. Limits keep a bad client from making
// us buffer without bound.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace server::http {

struct HttpRequest {
  std::string method;     // "GET", "POST"...
  std::string target;     // As sent: "/v3/kv/range?x=1".
  std::string path;       // target without the query: "/v3/kv/range".
  std::string query;      // After '?', without it; "" when absent.
  int minor_version = 1;  // HTTP/1.<minor_version>.
  // Header names lowercased, values trimmed, in arrival order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // First value of header `name` (lowercase), or nullopt.
  std::optional<std::string_view> Header(std::string_view name) const;
  // Whether the connection stays open after the response (HTTP/1.1 unless
  // "Connection: close"; HTTP/1.0 only with "Connection: keep-alive").
  bool KeepAlive() const;
};

struct ParserLimits {
  size_t max_header_bytes = 64 * 1024;
  size_t max_body_bytes = 4 * 1024 * 1024;
};

// The HTTP status for a parse error, carried in its Status code:
// INVALID_ARGUMENT -> 400, RESOURCE_EXHAUSTED -> 413 or 431,
// UNIMPLEMENTED -> 501. HttpStatusForParseError picks it.
int HttpStatusForParseError(const base::Status& error);

class RequestParser {
 public:
  explicit RequestParser(ParserLimits limits = {}) : limits_(limits) {}

  // Appends bytes. Never fails by itself; Next() reports errors.
  void Push(std::string_view data) { buf_.append(data); }

  // Parses the next complete request from the buffered bytes into `out`.
  // Returns OK with *complete=false when more bytes are needed. An error is
  // final: the connection answers it and closes.
  base::Status Next(HttpRequest* out, bool* complete);

  size_t buffered() const { return buf_.size(); }

  // True once per request whose headers asked "Expect: 100-continue" and
  // whose body has not fully arrived: the connection should now send
  // "HTTP/1.1 100 Continue" (curl waits a second for it before a large
  // POST body).
  bool TakeContinue() {
    bool due = continue_due_;
    continue_due_ = false;
    return due;
  }

 private:
  ParserLimits limits_;
  std::string buf_;
  bool continue_due_ = false;
  bool continue_sent_ = false;  // For the request being received.
};

}  // namespace server::http
