#include "tests/server/grpc/h2_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "server/grpc/framing.h"

namespace server::testing {

namespace {

nghttp2_nv Nv(const std::string& n, const std::string& v) {
  return nghttp2_nv{
      const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(n.data())),
      const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(v.data())),
      n.size(), v.size(), NGHTTP2_NV_FLAG_NONE};
}

bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

int ConnectLoopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

std::string ReadUntilClosed(int fd, int timeout_ms, bool* closed) {
  std::string out;
  *closed = false;
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[16384];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      *closed = true;
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::vector<std::string> H2Client::Stream::Messages() const {
  grpc::MessageReader reader(1u << 31, "");
  std::vector<std::string> out;
  (void)reader.Push(data, &out);
  return out;
}

int H2Client::Stream::GrpcStatus() const {
  auto it = headers.find("grpc-status");
  return it == headers.end() ? -1 : std::stoi(it->second);
}

std::unique_ptr<H2Client> H2Client::Connect(uint16_t port, int32_t window) {
  std::unique_ptr<H2Client> c(new H2Client);
  c->fd_ = ConnectLoopback(port);
  if (c->fd_ < 0) return nullptr;
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_header_callback(
      cbs, [](nghttp2_session*, const nghttp2_frame* f, const uint8_t* n,
              size_t nl, const uint8_t* v, size_t vl, uint8_t, void* u) {
        auto* self = static_cast<H2Client*>(u);
        self->streams_[f->hd.stream_id]
            .headers[std::string(reinterpret_cast<const char*>(n), nl)] =
            std::string(reinterpret_cast<const char*>(v), vl);
        return 0;
      });
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
      cbs, [](nghttp2_session*, uint8_t, int32_t id, const uint8_t* d,
              size_t len, void* u) {
        static_cast<H2Client*>(u)->streams_[id].data.append(
            reinterpret_cast<const char*>(d), len);
        return 0;
      });
  nghttp2_session_callbacks_set_on_frame_recv_callback(
      cbs, [](nghttp2_session*, const nghttp2_frame* f, void* u) {
        auto* self = static_cast<H2Client*>(u);
        if (f->hd.type == NGHTTP2_GOAWAY) self->goaway_ = true;
        if (f->hd.type == NGHTTP2_RST_STREAM) {
          self->streams_[f->hd.stream_id].rst = true;
          self->streams_[f->hd.stream_id].rst_code = f->rst_stream.error_code;
        }
        if (f->hd.type == NGHTTP2_PING &&
            (f->hd.flags & NGHTTP2_FLAG_ACK) != 0) {
          ++self->ping_acks_;
        }
        return 0;
      });
  nghttp2_session_callbacks_set_on_stream_close_callback(
      cbs, [](nghttp2_session*, int32_t id, uint32_t, void* u) {
        static_cast<H2Client*>(u)->streams_[id].closed = true;
        return 0;
      });
  nghttp2_session_client_new(&c->session_, cbs, c.get());
  nghttp2_session_callbacks_del(cbs);
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(window)}};
  nghttp2_submit_settings(c->session_, NGHTTP2_FLAG_NONE, iv, 1);
  nghttp2_session_set_local_window_size(c->session_, NGHTTP2_FLAG_NONE, 0,
                                        window);
  return c;
}

H2Client::~H2Client() {
  if (session_ != nullptr) nghttp2_session_del(session_);
  if (fd_ >= 0) ::close(fd_);
}

ssize_t H2Client::ReadBody(nghttp2_session*, int32_t id, uint8_t* buf,
                           size_t len, uint32_t* flags, nghttp2_data_source*,
                           void* user) {
  auto* self = static_cast<H2Client*>(user);
  Stream& s = self->streams_[id];
  if (!s.to_send.empty()) {
    size_t n = std::min(len, s.to_send.size());
    std::memcpy(buf, s.to_send.data(), n);
    s.to_send.erase(0, n);
    return static_cast<ssize_t>(n);
  }
  if (s.end_after_send) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    return 0;
  }
  return NGHTTP2_ERR_DEFERRED;
}

int32_t H2Client::StartCall(
    const std::string& path, std::string body, bool end,
    std::vector<std::pair<std::string, std::string>> extra,
    const std::string& content_type) {
  std::vector<std::pair<std::string, std::string>> h = {
      {":method", "POST"},
      {":scheme", "http"},
      {":path", path},
      {":authority", "127.0.0.1"},
      {"content-type", content_type},
      {"te", "trailers"}};
  for (auto& e : extra) h.push_back(std::move(e));
  std::vector<nghttp2_nv> nva;
  for (const auto& [k, v] : h) nva.push_back(Nv(k, v));
  nghttp2_data_provider prd;
  prd.source.ptr = nullptr;
  prd.read_callback = &H2Client::ReadBody;
  int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                      &prd, nullptr);
  Stream& s = streams_[id];
  s.to_send = std::move(body);
  s.end_after_send = end;
  return id;
}

void H2Client::Send(int32_t id, std::string body, bool end) {
  Stream& s = streams_[id];
  s.to_send += body;
  s.end_after_send = s.end_after_send || end;
  nghttp2_session_resume_data(session_, id);
}

void H2Client::Reset(int32_t id, uint32_t error_code) {
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, error_code);
}

void H2Client::Ping() {
  nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr);
}

void H2Client::WriteRaw(const std::string& bytes) {
  if (!WriteAll(fd_, bytes.data(), bytes.size())) closed_ = true;
}

void H2Client::SendOnly() {
  for (;;) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n <= 0) return;
    if (!WriteAll(fd_, reinterpret_cast<const char*>(data),
                  static_cast<size_t>(n))) {
      closed_ = true;
      return;
    }
  }
}

bool H2Client::Pump(int timeout_ms) {
  SendOnly();
  if (closed_) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return true;
  char buf[65536];
  ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  ssize_t rc = nghttp2_session_mem_recv(
      session_, reinterpret_cast<uint8_t*>(buf), static_cast<size_t>(n));
  return rc >= 0;
}

bool H2Client::RunUntil(const std::function<bool()>& pred, int timeout_ms) {
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!pred()) {
    if (closed_ || std::chrono::steady_clock::now() >= deadline) return false;
    if (!Pump(20)) return pred();
  }
  // Flush anything the predicate's work queued (e.g. WINDOW_UPDATE).
  return true;
}

}  // namespace server::testing
