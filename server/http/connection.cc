#include "server/http/connection.h"

#include <cstdio>
#include <string>

#include "base/log.h"
#include "server/http/cors.h"

namespace server::http {

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Request Entity Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

// --- HttpRouter -------------------------------------------------------------

void HttpRouter::Handle(std::string path, HttpHandler handler) {
  exact_[std::move(path)] = std::move(handler);
}

void HttpRouter::HandlePrefix(std::string prefix, HttpHandler handler) {
  prefix_[std::move(prefix)] = std::move(handler);
}

const HttpHandler* HttpRouter::Find(std::string_view path) const {
  auto it = exact_.find(path);
  if (it != exact_.end()) return &it->second;
  const HttpHandler* best = nullptr;
  size_t best_len = 0;
  for (const auto& [prefix, handler] : prefix_) {
    if (path.substr(0, prefix.size()) == prefix && prefix.size() >= best_len) {
      best = &handler;
      best_len = prefix.size();
    }
  }
  return best;
}

// --- HttpResponder ----------------------------------------------------------

size_t HttpResponder::pending_bytes() const {
  return conn_ == nullptr ? 0 : conn_->stream_->queued_bytes();
}

HttpResponder::~HttpResponder() {
  if (conn_ != nullptr && !done_) conn_->ResponderDropped(this);
}

void HttpResponder::Send(int status, std::string_view content_type,
                         std::string_view body, const Headers& extra) {
  if (conn_ == nullptr || started_) return;
  started_ = true;
  done_ = true;
  Http1Connection* conn = conn_;
  // Head and body in one write: one segment for a small answer.
  std::string out = conn->Head(status, content_type, extra, false, body.size());
  if (!conn->head_request_) out.append(body);
  conn->stream_->Write(std::move(out));
  conn->ResponseDone();
}

void HttpResponder::StartChunked(int status, std::string_view content_type,
                                 const Headers& extra) {
  if (conn_ == nullptr || started_) return;
  started_ = true;
  chunked_ = true;
  conn_->stream_->Write(conn_->Head(status, content_type, extra, true, 0));
}

void HttpResponder::WriteChunk(std::string_view data) {
  if (conn_ == nullptr || !chunked_ || done_ || data.empty()) return;
  char size[32];
  std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
  std::string out = size;
  out.append(data);
  out += "\r\n";
  conn_->stream_->Write(std::move(out));
}

void HttpResponder::EndChunked(const Headers& trailers) {
  if (conn_ == nullptr || !chunked_ || done_) return;
  done_ = true;
  std::string end = "0\r\n";
  for (const auto& [k, v] : trailers) end += k + ": " + v + "\r\n";
  end += "\r\n";
  conn_->stream_->Write(std::move(end));
  conn_->ResponseDone();
}

// --- Http1Connection --------------------------------------------------------

Http1Connection::Http1Connection(
    std::unique_ptr<net::ByteStream> stream, const HttpRouter* router,
    ParserLimits limits, std::function<void(Http1Connection*)> on_closed)
    : stream_(std::move(stream)),
      router_(router),
      parser_(limits),
      on_closed_(std::move(on_closed)) {}

Http1Connection::~Http1Connection() {
  if (current_ != nullptr) {
    current_->conn_ = nullptr;
    current_->DropCallbacks();
  }
}

void Http1Connection::ResponderDropped(HttpResponder* r) {
  if (r != current_) return;
  if (!r->started_) {
    CAIRN_LOG(kWarn, "http", "%s: handler dropped a request unanswered",
              stream_->peer_address().c_str());
    keep_alive_ = false;
    r->Send(500, "text/plain; charset=utf-8",
            "500 Internal Server Error: no response\n");
    return;
  }
  // A chunked response cut short: only closing tells the client.
  ResponseDone();
  stream_->Close();
}

void Http1Connection::Start(std::string_view initial) {
  stream_->Start(this);
  if (!initial.empty()) OnRead(initial);
}

void Http1Connection::GracefulShutdown() {
  shutting_down_ = true;
  if (!current_) stream_->Shutdown();
}

void Http1Connection::OnRead(std::string_view data) {
  if (closed_ || stream_->closing()) return;
  parser_.Push(data);
  ProcessRequests();
}

void Http1Connection::OnEof() {
  eof_ = true;
  if (!current_) stream_->Shutdown();
}

void Http1Connection::OnWriteDrained() {
  if (current_ == nullptr || !current_->on_drained_) return;
  auto cb = current_->on_drained_;  // May replace itself or end the response.
  cb();
}

void Http1Connection::OnClosed(const base::Status& reason) {
  closed_ = true;
  if (!reason.ok()) {
    CAIRN_LOG(kDebug, "http", "%s: connection closed: %s",
              stream_->peer_address().c_str(), reason.ToString().c_str());
  }
  std::function<void()> on_close;
  if (current_ != nullptr) {
    current_->conn_ = nullptr;
    on_close = std::move(current_->on_close_);
    current_->DropCallbacks();
  }
  current_ = nullptr;
  if (on_close) on_close();
  auto cb = on_closed_;
  if (cb) cb(this);  // Last: may destroy this.
}

void Http1Connection::ProcessRequests() {
  if (processing_)
    return;  // A handler answered synchronously: the outer
             // loop below continues.
  processing_ = true;
  ProcessLoop();
  processing_ = false;
}

void Http1Connection::ProcessLoop() {
  while (!current_ && !closed_ && !stream_->closing()) {
    if (shutting_down_) {
      stream_->Shutdown();
      return;
    }
    HttpRequest req;
    bool complete = false;
    base::Status st = parser_.Next(&req, &complete);
    if (!st.ok()) {
      FailRequest(st);
      return;
    }
    if (!complete) {
      if (parser_.TakeContinue()) {
        stream_->Write("HTTP/1.1 100 Continue\r\n\r\n");
      }
      if (eof_) {
        stream_->Shutdown();
      } else {
        stream_->ResumeReading();
      }
      return;
    }
    keep_alive_ = req.KeepAlive();
    head_request_ = req.method == "HEAD";
    auto responder = std::make_shared<HttpResponder>(this);
    current_ = responder.get();
    // Pipelined requests wait in the kernel until this one is answered.
    stream_->PauseReading();
    const HttpHandler* handler = router_->Find(req.path);
    if (req.method == "OPTIONS") {
      // etcd's access controller: a CORS preflight on any path.
      responder->Send(200, "", "", Cors());
    } else if (handler == nullptr) {
      responder->Send(404, "text/plain; charset=utf-8", "404 page not found\n",
                      Cors({{"X-Content-Type-Options", "nosniff"}}));
    } else {
      (*handler)(req, responder);
    }
  }
}

std::string Http1Connection::Head(int status, std::string_view content_type,
                                  const HttpResponder::Headers& extra,
                                  bool chunked, size_t content_length) const {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " ";
  head += ReasonPhrase(status);
  head += "\r\n";
  if (!content_type.empty()) {
    head += "Content-Type: ";
    head += content_type;
    head += "\r\n";
  }
  for (const auto& [k, v] : extra) head += k + ": " + v + "\r\n";
  if (chunked) {
    head += "Transfer-Encoding: chunked\r\n";
  } else {
    head += "Content-Length: " + std::to_string(content_length) + "\r\n";
  }
  if (!keep_alive_ || shutting_down_) head += "Connection: close\r\n";
  head += "\r\n";
  return head;
}

void Http1Connection::ResponseDone() {
  if (current_ != nullptr) {
    current_->conn_ = nullptr;
    current_->DropCallbacks();
  }
  current_ = nullptr;
  if (!keep_alive_ || shutting_down_) {
    stream_->Shutdown();
    return;
  }
  stream_->ResumeReading();
  ProcessRequests();
}

void Http1Connection::FailRequest(const base::Status& error) {
  int status = HttpStatusForParseError(error);
  keep_alive_ = false;
  auto r = std::make_shared<HttpResponder>(this);
  current_ = r.get();
  r->Send(status, "text/plain; charset=utf-8",
          std::to_string(status) + " " + std::string(ReasonPhrase(status)) +
              ": " + error.message() + "\n");
}

}  // namespace server::http
