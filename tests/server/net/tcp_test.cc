// server/net against real loopback sockets. The loop runs on the test
// thread; blocking clients run on a helper thread. Every test ends with
// uv_loop_close() == 0: no handle leaked.

#include "server/net/tcp.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "server/net/handle.h"
#include "server/net/uv_status.h"

namespace server::net {
namespace {

int Connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

class LoopTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }
  void TearDown() override {
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle leaked";
  }
  uv_loop_t loop_{};
};

// Echoes what it reads; closes when the peer sends EOF.
class Echo : public ByteStream::Delegate {
 public:
  explicit Echo(std::unique_ptr<TcpStream> s) : stream(std::move(s)) {
    stream->Start(this);
  }
  void OnRead(std::string_view data) override {
    received += data;
    stream->Write(std::string(data));
  }
  void OnEof() override { stream->Shutdown(); }
  void OnClosed(const base::Status& reason) override {
    closed = true;
    close_reason = reason;
    stream.reset();  // Allowed from OnClosed.
  }
  std::unique_ptr<TcpStream> stream;
  std::string received;
  bool closed = false;
  base::Status close_reason;
};

TEST_F(LoopTest, ListenAcceptEchoAndClose) {
  std::unique_ptr<Echo> echo;
  std::unique_ptr<TcpListener> listener;
  auto l = TcpListener::Listen(
      &loop_, "127.0.0.1", 0, [&](std::unique_ptr<TcpStream> s) {
        EXPECT_NE(s->peer_address().find("127.0.0.1:"), std::string::npos);
        echo = std::make_unique<Echo>(std::move(s));
        listener->Close();
      });
  ASSERT_TRUE(l.ok()) << l.status();
  listener = std::move(l).value();
  ASSERT_NE(listener->port(), 0);
  uint16_t port = listener->port();
  std::string got;
  std::thread client([&] {
    int fd = Connect(port);
    ASSERT_GE(fd, 0);
    std::string msg(300000, 'e');
    ASSERT_EQ(::write(fd, msg.data(), msg.size()),
              static_cast<ssize_t>(msg.size()));
    ::shutdown(fd, SHUT_WR);
    got = ReadAll(fd);
    ::close(fd);
  });
  uv_run(&loop_, UV_RUN_DEFAULT);
  client.join();
  EXPECT_EQ(got.size(), 300000u);
  ASSERT_NE(echo, nullptr);
  EXPECT_TRUE(echo->closed);
  EXPECT_TRUE(echo->close_reason.ok()) << echo->close_reason;
  EXPECT_EQ(echo->received.size(), 300000u);
}

TEST_F(LoopTest, AddressInUseNamesTheBind) {
  auto a = TcpListener::Listen(&loop_, "127.0.0.1", 0, nullptr);
  ASSERT_TRUE(a.ok());
  uint16_t port = (*a)->port();
  auto b = TcpListener::Listen(&loop_, "127.0.0.1", port, nullptr);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), base::StatusCode::kUnavailable);
  EXPECT_EQ(b.status().message(),
            "bind 127.0.0.1:" + std::to_string(port) + ": EADDRINUSE");
  auto c = TcpListener::Listen(&loop_, "not-an-ip", 80, nullptr);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), base::StatusCode::kInvalidArgument);
  (*a)->Close();
}

TEST_F(LoopTest, PeerResetClosesWithError) {
  struct Sink : ByteStream::Delegate {
    void OnRead(std::string_view) override {}
    void OnEof() override {}
    void OnClosed(const base::Status& r) override {
      reason = r;
      closed = true;
      stream.reset();
    }
    std::unique_ptr<TcpStream> stream;
    base::Status reason;
    bool closed = false;
  } sink;
  std::unique_ptr<TcpListener> listener;
  auto l = TcpListener::Listen(&loop_, "127.0.0.1", 0,
                               [&](std::unique_ptr<TcpStream> s) {
                                 sink.stream = std::move(s);
                                 sink.stream->Start(&sink);
                                 listener->Close();
                               });
  ASSERT_TRUE(l.ok());
  listener = std::move(l).value();
  uint16_t port = listener->port();
  std::thread client([&] {
    int fd = Connect(port);
    linger lg{1, 0};  // close() sends RST.
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    ::usleep(50 * 1000);
    ::close(fd);
  });
  // Keep writing until the reset is noticed.
  uv_timer_t* raw = nullptr;
  UvHandle<uv_timer_t> timer;
  ASSERT_EQ(uv_timer_init(&loop_, timer.get()), 0);
  timer.MarkInitialized();
  timer->data = &sink;
  raw = timer.get();
  uv_timer_start(
      raw,
      [](uv_timer_t* t) {
        auto* s = static_cast<Sink*>(t->data);
        if (s->closed) {
          uv_timer_stop(t);
          return;
        }
        if (s->stream) s->stream->Write(std::string(65536, 'w'));
      },
      5, 5);
  while (!sink.closed) uv_run(&loop_, UV_RUN_ONCE);
  client.join();
  timer.Close();
  EXPECT_FALSE(sink.reason.ok());
  EXPECT_EQ(sink.reason.code(), base::StatusCode::kUnavailable);
  EXPECT_NE(sink.reason.message().find("127.0.0.1:"), std::string::npos)
      << sink.reason;
}

TEST_F(LoopTest, HandleLifetime) {
  // Never initialized: freed at once, no loop involvement.
  { UvHandle<uv_timer_t> unused; }
  // Close with a callback: runs from the close callback.
  bool closed = false;
  auto t1 = std::make_unique<UvHandle<uv_timer_t>>();
  ASSERT_EQ(uv_timer_init(&loop_, t1->get()), 0);
  t1->MarkInitialized();
  t1->Close([&] { closed = true; });
  EXPECT_TRUE(t1->closing());
  EXPECT_FALSE(closed);
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_TRUE(closed);
  // Destroyed while live, and destroyed while closing: neither touches the
  // freed wrapper; the loop frees both handles.
  bool never = false;
  {
    UvHandle<uv_timer_t> live;
    ASSERT_EQ(uv_timer_init(&loop_, live.get()), 0);
    live.MarkInitialized();
    uv_timer_start(
        live.get(), [](uv_timer_t*) {}, 100000, 0);
    UvHandle<uv_timer_t> closing;
    ASSERT_EQ(uv_timer_init(&loop_, closing.get()), 0);
    closing.MarkInitialized();
    closing.Close([&] { never = true; });
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_FALSE(never);
}

TEST(UvStatusTest, NamesOperationAndError) {
  EXPECT_EQ(UvStatus(UV_EADDRINUSE, "bind 127.0.0.1:2380").ToString(),
            "UNAVAILABLE: bind 127.0.0.1:2380: EADDRINUSE");
  EXPECT_EQ(UvStatus(UV_ECANCELED, "write").code(),
            base::StatusCode::kCancelled);
  EXPECT_EQ(UvStatus(UV_EINVAL, "bind").code(),
            base::StatusCode::kInvalidArgument);
  EXPECT_EQ(UvStatus(UV_EACCES, "bind").code(),
            base::StatusCode::kPermissionDenied);
}

TEST(AddressTest, ParseAndFormat) {
  sockaddr_storage a{};
  ASSERT_TRUE(ParseAddress("127.0.0.1", 2379, &a).ok());
  EXPECT_EQ(FormatAddress(reinterpret_cast<sockaddr*>(&a)), "127.0.0.1:2379");
  ASSERT_TRUE(ParseAddress("[::1]", 2380, &a).ok());
  EXPECT_EQ(FormatAddress(reinterpret_cast<sockaddr*>(&a)), "[::1]:2380");
  EXPECT_EQ(ParseAddress("localhost", 1, &a).code(),
            base::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace server::net
