#include "tests/server/grpc/test_server.h"

#include <cstdlib>
#include <future>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/check.h"
#include "server/http/client_port.h"
#include "server/net/handle.h"

namespace server::testing {

namespace {

uint64_t ParseDecimal(const std::string& s) {
  return std::strtoull(s.c_str(), nullptr, 10);
}

}  // namespace

struct TestServer::State {
  uv_loop_t loop{};
  net::UvHandle<uv_async_t> stop_async;
  std::atomic<uint64_t> grace_ms{2000};
  grpc::MethodRegistry methods;
  http::HttpRouter routes;
  std::unique_ptr<http::ClientPort> port;
  // A Later call waiting for its timer.
  struct Pending {
    grpc::CallPtr call;
    std::string req;
    State* st;
    net::UvHandle<uv_timer_t> timer;
  };
  // Pending Later calls; closed at shutdown.
  std::set<Pending*> pending;
  // Calls answered from a uv_prepare_t, the way the node driver answers
  // clients from its "beforeSleep".
  net::UvHandle<uv_prepare_t> before_sleep;
  std::vector<std::pair<grpc::CallPtr, std::string>> answer_before_sleep;
  std::vector<std::pair<http::ResponderPtr, std::string>>
      answer_http_before_sleep;
  std::promise<uint16_t> ready;
};

TestServer::TestServer(grpc::SessionOptions options)
    : state_(std::make_unique<State>()) {
  std::future<uint16_t> ready = state_->ready.get_future();
  thread_ = std::thread([this, options] { Run(options); });
  port_ = ready.get();
}

TestServer::~TestServer() { Stop(); }

void TestServer::StopAsync(uint64_t grace_ms) {
  if (stop_sent_) return;  // The async handle closes after the first one.
  stop_sent_ = true;
  state_->grace_ms = grace_ms;
  uv_async_send(state_->stop_async.get());
}

void TestServer::Stop(uint64_t grace_ms) {
  if (stopped_) return;
  stopped_ = true;
  StopAsync(grace_ms);
  thread_.join();
}

void TestServer::Run(grpc::SessionOptions options) {
  State* st = state_.get();
  CAIRN_CHECK(uv_loop_init(&st->loop) == 0);
  uv_loop_t* loop = &st->loop;

  auto& m = st->methods;
  m.AddUnary("/test.Echo/Unary", [this](grpc::CallPtr call, std::string req) {
    ++started;
    call->Reply(req);
  });
  m.AddUnary("/test.Echo/Later", [this, st, loop](grpc::CallPtr call,
                                                  std::string req) {
    ++started;
    uint64_t delay = 50;
    if (auto d = call->Find("delay-ms")) delay = ParseDecimal(std::string(*d));
    auto* p = new State::Pending{call, std::move(req), st, {}};
    CAIRN_CHECK(uv_timer_init(loop, p->timer.get()) == 0);
    p->timer.MarkInitialized();
    p->timer->data = p;
    st->pending.insert(p);
    uv_timer_start(
        p->timer.get(),
        [](uv_timer_t* t) {
          auto* done = static_cast<State::Pending*>(t->data);
          done->call->Reply(done->req);  // No-op if the call was cancelled.
          done->st->pending.erase(done);
          delete done;  // Closes the timer; freed in its close_cb.
        },
        delay, 0);
  });
  m.AddUnary("/test.Echo/BeforeSleep", [this, st](grpc::CallPtr call,
                                                  std::string req) {
    ++started;
    st->answer_before_sleep.emplace_back(std::move(call), std::move(req));
  });
  m.AddServerStreaming(
      "/test.Echo/Flood", [this](grpc::CallPtr call, std::string req) {
        ++started;
        // Writes <req> messages of 64 KiB, at most ~256 KiB ahead of
        // flow control, continuing from OnWriteReady.
        auto left = std::make_shared<uint64_t>(ParseDecimal(req));
        auto next = std::make_shared<uint64_t>(0);
        grpc::ServerCall* raw = call.get();
        auto produce = [raw, left, next] {
          while (*left > 0 && raw->pending_bytes() < 256 * 1024) {
            std::string msg(64 * 1024, static_cast<char>('a' + *next % 26));
            msg.replace(0, 8, std::to_string(10000000 + *next));
            raw->Write(msg);
            --*left;
            ++*next;
          }
          if (*left == 0) raw->Finish(base::Status());
        };
        call->OnWriteReady(produce);
        produce();
      });
  m.AddUnary("/test.Echo/Never", [this](grpc::CallPtr call, std::string) {
    ++started;
    call->OnCancel([this] { ++cancelled; });
  });
  m.AddUnary("/test.Echo/Fail", [this](grpc::CallPtr call, std::string req) {
    ++started;
    call->Finish(base::Status::InvalidArgument(req));
  });
  m.AddUnary("/test.Echo/Size", [this](grpc::CallPtr call, std::string req) {
    ++started;
    std::string out(ParseDecimal(req), 'x');
    for (size_t i = 0; i < out.size(); i += 4096)
      out[i] = static_cast<char>('a' + (i / 4096) % 26);
    call->Reply(out);
  });
  // An empty RangeResponse, so etcdctl (grpc-go) can complete a call.
  m.AddUnary("/etcdserverpb.KV/Range", [this](grpc::CallPtr call, std::string) {
    ++started;
    call->Reply("");
  });
  m.AddServerStreaming("/test.Echo/ServerStream",
                       [this](grpc::CallPtr call, std::string req) {
                         ++started;
                         uint64_t n = ParseDecimal(req);
                         for (uint64_t i = 0; i < n; ++i) {
                           call->Write("m" + std::to_string(i));
                         }
                         call->Finish(base::Status());
                       });
  m.AddClientStreaming("/test.Echo/ClientStream", [this](grpc::CallPtr call) {
    ++started;
    auto acc = std::make_shared<std::string>();
    call->OnMessage([acc](std::string msg) { *acc += msg; });
    // The callback owns a CallPtr: a cycle the call breaks by clearing its
    // callbacks when it ends.
    grpc::ServerCall* raw = call.get();
    call->OnHalfClose([raw, acc] { raw->Reply(*acc); });
    call->OnCancel([this] { ++cancelled; });
  });
  m.AddBidiStreaming("/test.Echo/Bidi", [this](grpc::CallPtr call) {
    ++started;
    grpc::ServerCall* raw = call.get();
    call->OnMessage([raw](std::string msg) { raw->Write(msg); });
    call->OnHalfClose([raw] { raw->Finish(base::Status()); });
    call->OnCancel([this] { ++cancelled; });
  });

  st->routes.Handle("/health",
                    [](const http::HttpRequest&, http::ResponderPtr r) {
                      r->Send(200, "application/json", R"({"health":"true"})");
                    });
  st->routes.Handle(
      "/version", [](const http::HttpRequest&, http::ResponderPtr r) {
        r->Send(200, "application/json",
                R"({"etcdserver":"3.4.23","etcdcluster":"3.4.0"})");
      });
  st->routes.Handle("/echo",
                    [](const http::HttpRequest& req, http::ResponderPtr r) {
                      r->Send(200, "text/plain", req.body);
                    });
  st->routes.Handle(
      "/async", [st](const http::HttpRequest& req, http::ResponderPtr r) {
        st->answer_http_before_sleep.emplace_back(std::move(r), req.body);
      });
  st->routes.Handle("/drop",
                    [](const http::HttpRequest&, http::ResponderPtr) {});
  st->routes.Handle("/chunks",
                    [](const http::HttpRequest&, http::ResponderPtr r) {
                      r->StartChunked(200, "application/json");
                      r->WriteChunk("{\"result\":1}\n");
                      r->WriteChunk("{\"result\":2}\n");
                      r->EndChunked();
                    });

  http::ClientPortOptions opts;
  opts.grpc = options;
  st->port =
      std::make_unique<http::ClientPort>(loop, &st->methods, &st->routes, opts);
  base::Status status = st->port->Listen("127.0.0.1", 0);
  CAIRN_CHECK(status.ok(), "%s", status.ToString().c_str());

  CAIRN_CHECK(uv_async_init(loop, st->stop_async.get(), [](uv_async_t* a) {
                auto* s = static_cast<State*>(a->data);
                s->port->Shutdown(s->grace_ms, [s] {
                  s->stop_async.Close();
                  s->before_sleep.Close();
                  s->answer_before_sleep.clear();
                  s->answer_http_before_sleep.clear();
                  for (auto* p : s->pending) delete p;
                  s->pending.clear();
                });
              }) == 0);
  st->stop_async.MarkInitialized();
  st->stop_async->data = st;

  CAIRN_CHECK(uv_prepare_init(loop, st->before_sleep.get()) == 0);
  st->before_sleep.MarkInitialized();
  st->before_sleep->data = st;
  uv_prepare_start(st->before_sleep.get(), [](uv_prepare_t* p) {
    auto* s = static_cast<State*>(p->data);
    // Swap first: answering may run handlers that queue more (pipelining).
    std::vector<std::pair<grpc::CallPtr, std::string>> calls;
    calls.swap(s->answer_before_sleep);
    for (auto& [call, req] : calls) call->Reply(req);
    std::vector<std::pair<http::ResponderPtr, std::string>> responders;
    responders.swap(s->answer_http_before_sleep);
    for (auto& [r, body] : responders) {
      r->Send(200, "text/plain", "async:" + body);
    }
  });

  st->ready.set_value(st->port->port());
  uv_run(loop, UV_RUN_DEFAULT);
  st->port.reset();
  loop_close_result_ = uv_loop_close(loop);
}

}  // namespace server::testing
