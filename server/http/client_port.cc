#include "server/http/client_port.h"

#include <string_view>
#include <utility>
#include <vector>

#include "base/check.h"
#include "base/log.h"

namespace server::http {

namespace {
constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
}  // namespace

// One accepted connection: sniffing, then exactly one protocol.
class ClientPort::Conn final : public net::ByteStream::Delegate {
 public:
  Conn(ClientPort* port, std::unique_ptr<net::ByteStream> stream)
      : port_(port), stream_(std::move(stream)) {}

  void Start() { stream_->Start(this); }

  void Shutdown() {
    if (h2_) {
      h2_->GracefulShutdown();
    } else if (h1_) {
      h1_->GracefulShutdown();
    } else if (stream_) {
      stream_->Close();  // Still sniffing: nothing in flight.
    }
  }
  void Close() {
    if (h2_) {
      h2_->Close();
    } else if (h1_) {
      h1_->Close();
    } else if (stream_) {
      stream_->Close();
    }
  }

  // Sniffing.
  void OnRead(std::string_view data) override {
    sniffed_.append(data);
    size_t n = std::min(sniffed_.size(), kH2Preface.size());
    if (sniffed_.compare(0, n, kH2Preface.substr(0, n)) != 0) {
      StartHttp1();
    } else if (sniffed_.size() >= kH2Preface.size()) {
      StartHttp2();
    }
  }
  void OnEof() override { stream_->Close(); }
  void OnClosed(const base::Status&) override { port_->OnConnClosed(this); }

 private:
  void StartHttp2() {
    std::string initial = std::move(sniffed_);
    h2_ = std::make_unique<grpc::Http2Session>(
        port_->loop_, std::move(stream_), port_->methods_, port_->options_.grpc,
        [this](grpc::Http2Session*) { port_->OnConnClosed(this); });
    h2_->Start(initial);
    if (port_->shutting_down_) h2_->GracefulShutdown();
  }
  void StartHttp1() {
    std::string initial = std::move(sniffed_);
    h1_ = std::make_unique<Http1Connection>(
        std::move(stream_), port_->routes_, port_->options_.http,
        [this](Http1Connection*) { port_->OnConnClosed(this); });
    h1_->Start(initial);
    if (port_->shutting_down_) h1_->GracefulShutdown();
  }

  ClientPort* port_;
  std::unique_ptr<net::ByteStream> stream_;  // Until a protocol takes it.
  std::string sniffed_;
  std::unique_ptr<grpc::Http2Session> h2_;
  std::unique_ptr<Http1Connection> h1_;
};

ClientPort::ClientPort(uv_loop_t* loop, const grpc::MethodRegistry* methods,
                       const HttpRouter* routes, ClientPortOptions options)
    : loop_(loop), methods_(methods), routes_(routes), options_(options) {}

ClientPort::~ClientPort() = default;

base::Status ClientPort::Listen(const std::string& host, uint16_t port) {
  CAIRN_CHECK(listener_ == nullptr, "Listen called twice");
  CAIRN_ASSIGN_OR_RETURN(
      listener_,
      net::TcpListener::Listen(loop_, host, port,
                               [this](std::unique_ptr<net::TcpStream> s) {
                                 OnAccept(std::move(s));
                               }));
  return base::Status();
}

void ClientPort::OnAccept(std::unique_ptr<net::ByteStream> stream) {
  if (shutting_down_) return;  // The stream's destructor closes it.
  auto conn = std::make_unique<Conn>(this, std::move(stream));
  Conn* raw = conn.get();
  conns_.emplace(raw, std::move(conn));
  raw->Start();
}

void ClientPort::OnConnClosed(Conn* conn) {
  conns_.erase(conn);  // Destroys the connection; we run from a close_cb.
  MaybeShutdownDone();
}

void ClientPort::Shutdown(uint64_t grace_ms, std::function<void()> done) {
  CAIRN_CHECK(!shutting_down_, "Shutdown called twice");
  shutting_down_ = true;
  shutdown_done_ = std::move(done);
  if (listener_) {
    listener_->Close([this] {
      listener_closed_ = true;
      MaybeShutdownDone();
    });
  } else {
    listener_closed_ = true;
  }
  if (!conns_.empty()) {
    int rc = uv_timer_init(loop_, grace_timer_.get());
    CAIRN_CHECK(rc == 0, "uv_timer_init: %s", uv_err_name(rc));
    grace_timer_.MarkInitialized();
    timer_ = TimerState::kRunning;
    grace_timer_->data = this;
    uv_timer_start(grace_timer_.get(), &ClientPort::OnGraceTimer, grace_ms, 0);
    // Copy: a connection may close (and leave conns_) synchronously.
    std::vector<Conn*> conns;
    for (auto& [raw, c] : conns_) conns.push_back(raw);
    for (Conn* c : conns) c->Shutdown();
  }
  MaybeShutdownDone();
}

void ClientPort::OnGraceTimer(uv_timer_t* t) {
  auto* self = static_cast<ClientPort*>(t->data);
  CAIRN_LOG(kInfo, "http", "closing %zu client connections after grace period",
            self->conns_.size());
  for (auto& [raw, c] : self->conns_) c->Close();
}

void ClientPort::MaybeShutdownDone() {
  if (!shutting_down_ || !conns_.empty() || !listener_closed_) return;
  if (timer_ == TimerState::kRunning) {
    timer_ = TimerState::kClosing;
    grace_timer_.Close([this] {
      timer_ = TimerState::kNone;
      MaybeShutdownDone();
    });
    return;
  }
  if (timer_ == TimerState::kClosing) return;  // Its callback calls us.
  auto done = std::move(shutdown_done_);
  shutdown_done_ = nullptr;
  if (done) done();
}

}  // namespace server::http
