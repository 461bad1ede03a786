#pragma once

// HTTP/1.1 on a client-port connection: a handler registry (HttpRouter), the
// responder a handler answers through (HttpResponder), and the connection
// (Http1Connection) that parses requests and serialises responses.
//
// Requests on one connection are answered in order, one at a time: the next
// request is parsed only after the current response ended (pipelined bytes
// wait in the parser). Keep-alive is HTTP/1.1's default.
//
// Registering and answering (loop thread):
//
//   http::HttpRouter router;
//   router.Handle("/health", [](const http::HttpRequest& req,
//                               http::ResponderPtr r) {
//     r->Send(200, "application/json", R"({"health":"true"})");
//   });
//   router.HandlePrefix("/v3/", gateway_handler);   // answers later
//
//   // Streaming (the gateway's Watch):
//   r->StartChunked(200, "application/json");
//   r->WriteChunk("{...}\n");  ...  r->EndChunked();
//
// A handler may keep the ResponderPtr and answer later from any loop
// callback; once the connection is gone, the responder's calls do nothing
// (closed() says so). The handler's references are the only ones: if the
// last goes away unanswered, the client gets a 500.

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/http/request.h"
#include "server/net/byte_stream.h"

namespace server::http {

class Http1Connection;

class HttpResponder {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  explicit HttpResponder(Http1Connection* conn) : conn_(conn) {}
  // Dropping the last reference without answering answers 500 (or, for a
  // chunked response already started, closes the connection), so a
  // forgetful handler cannot wedge the connection.
  ~HttpResponder();
  HttpResponder(const HttpResponder&) = delete;
  HttpResponder& operator=(const HttpResponder&) = delete;

  // A complete response with Content-Length. No-op once responded.
  void Send(int status, std::string_view content_type, std::string_view body,
            const Headers& extra = {});
  // Starts a chunked response; WriteChunk() any number of times (empty
  // chunks are skipped), then EndChunked(). No-op once responded.
  void StartChunked(int status, std::string_view content_type,
                    const Headers& extra = {});
  void WriteChunk(std::string_view data);
  // Ends the chunked body; `trailers` (announced in a "Trailer" header by
  // StartChunked's caller) follow the last chunk.
  void EndChunked(const Headers& trailers = {});

  // Streaming producers (the gateway's Watch) learn of the connection's end
  // and of a drained write queue through these. Both run on the loop, never
  // from inside a responder call, and are dropped once the response ended.
  // `on_close`: the connection closed before the response ended.
  void OnClose(std::function<void()> on_close) {
    on_close_ = std::move(on_close);
  }
  // `on_drained`: the bytes queued so far were all taken by the kernel
  // (pending_bytes() fell to 0).
  void OnDrained(std::function<void()> on_drained) {
    on_drained_ = std::move(on_drained);
  }

  // Bytes written but not yet taken by the kernel: a streaming producer
  // (the gateway's Watch) should slow down while this is large. 0 once
  // closed.
  size_t pending_bytes() const;
  // The connection closed (the client went away or the server stopped).
  bool closed() const { return conn_ == nullptr; }
  // Send() or EndChunked() was called.
  bool done() const { return done_; }

 private:
  friend class Http1Connection;
  void DropCallbacks() {
    on_close_ = nullptr;
    on_drained_ = nullptr;
  }

  Http1Connection* conn_;
  std::function<void()> on_close_;
  std::function<void()> on_drained_;
  bool started_ = false;
  bool chunked_ = false;
  bool done_ = false;
};

using ResponderPtr = std::shared_ptr<HttpResponder>;
using HttpHandler =
    std::function<void(const HttpRequest& request, ResponderPtr responder)>;

// Exact paths first, then the longest matching prefix; otherwise 404 with
// Go's "404 page not found\n".
class HttpRouter {
 public:
  void Handle(std::string path, HttpHandler handler);
  void HandlePrefix(std::string prefix, HttpHandler handler);
  // The handler for `path`, or nullptr.
  const HttpHandler* Find(std::string_view path) const;

 private:
  std::map<std::string, HttpHandler, std::less<>> exact_;
  std::map<std::string, HttpHandler, std::less<>> prefix_;
};

// The reason phrase for an HTTP status ("OK", "Not Found"...).
std::string_view ReasonPhrase(int status);

class Http1Connection final : public net::ByteStream::Delegate {
 public:
  // `router` must outlive the connection. `on_closed` runs once from a
  // fresh loop callback when the connection closed.
  Http1Connection(std::unique_ptr<net::ByteStream> stream,
                  const HttpRouter* router, ParserLimits limits,
                  std::function<void(Http1Connection*)> on_closed);
  ~Http1Connection() override;
  Http1Connection(const Http1Connection&) = delete;
  Http1Connection& operator=(const Http1Connection&) = delete;

  // Starts reading; `initial` are bytes the port already read.
  void Start(std::string_view initial);
  // Closes after the response in progress (now, when idle).
  void GracefulShutdown();
  void Close() { stream_->Close(); }

  // net::ByteStream::Delegate.
  void OnRead(std::string_view data) override;
  void OnEof() override;
  void OnWriteDrained() override;
  void OnClosed(const base::Status& reason) override;

 private:
  friend class HttpResponder;
  void ProcessRequests();
  void ProcessLoop();
  // The status line and headers of a response.
  std::string Head(int status, std::string_view content_type,
                   const HttpResponder::Headers& extra, bool chunked,
                   size_t content_length) const;
  void ResponseDone();
  void ResponderDropped(HttpResponder* r);
  void FailRequest(const base::Status& error);

  std::unique_ptr<net::ByteStream> stream_;
  const HttpRouter* router_;
  RequestParser parser_;
  std::function<void(Http1Connection*)> on_closed_;
  // The response in progress, if any. Not owned: handlers own responders,
  // and a responder clears this (ResponseDone) when it ends or is dropped.
  HttpResponder* current_ = nullptr;
  bool keep_alive_ = true;     // Of the request in progress.
  bool head_request_ = false;  // HEAD: headers only.
  bool eof_ = false;
  bool shutting_down_ = false;
  bool closed_ = false;
  bool processing_ = false;  // Inside ProcessRequests.
};

}  // namespace server::http
