// HTTP/1.1 and HTTP/2 on one port: the sniffing, keep-alive, pipelining,
// chunked responses and bad input, against a real TestServer.

#include "server/http/client_port.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "server/grpc/framing.h"
#include "tests/server/grpc/h2_client.h"
#include "tests/server/grpc/test_server.h"

namespace server::testing {
namespace {

std::string Exchange(uint16_t port, const std::string& request, bool* closed,
                     int timeout_ms = 1500) {
  int fd = ConnectLoopback(port);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::write(fd, request.data(), request.size()),
            static_cast<ssize_t>(request.size()));
  std::string got = ReadUntilClosed(fd, timeout_ms, closed);
  ::close(fd);
  return got;
}

std::string RunCurl(const std::string& args) {
  std::string out;
  FILE* p = ::popen(("curl -s --max-time 5 " + args).c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

class ClientPortTest : public ::testing::Test {
 protected:
  void TearDown() override {
    server_.Stop();
    EXPECT_EQ(server_.loop_close_result(), 0) << "a handle leaked";
  }
  TestServer server_;
};

TEST_F(ClientPortTest, CurlHealthAndVersion) {
  std::string base = "http://127.0.0.1:" + std::to_string(server_.port());
  EXPECT_EQ(RunCurl(base + "/health"), R"({"health":"true"})");
  EXPECT_EQ(RunCurl(base + "/version"),
            R"({"etcdserver":"3.4.23","etcdcluster":"3.4.0"})");
  EXPECT_EQ(RunCurl("-w '%{http_code}' -o /dev/null " + base + "/nope"), "404");
  EXPECT_EQ(RunCurl("-d 'posted body' " + base + "/echo"), "posted body");
  EXPECT_EQ(RunCurl(base + "/chunks"), "{\"result\":1}\n{\"result\":2}\n");
  // A handler that drops its responder unanswered: 500, not a hang.
  EXPECT_EQ(RunCurl("-w '%{http_code}' -o /dev/null " + base + "/drop"), "500");
}

TEST_F(ClientPortTest, AsynchronousAnswerAndExpectContinue) {
  std::string base = "http://127.0.0.1:" + std::to_string(server_.port());
  EXPECT_EQ(RunCurl("-d later " + base + "/async"), "async:later");
  // Pipelined behind an asynchronous answer, in order.
  bool closed = false;
  std::string got =
      Exchange(server_.port(),
               "POST /async HTTP/1.1\r\nContent-Length: 1\r\n\r\nA"
               "GET /health HTTP/1.1\r\nConnection: close\r\n\r\n",
               &closed);
  EXPECT_TRUE(closed);
  EXPECT_LT(got.find("async:A"), got.find("health")) << got;
  // Expect: 100-continue gets its interim response before the body.
  int fd = ConnectLoopback(server_.port());
  std::string head =
      "POST /echo HTTP/1.1\r\nExpect: 100-continue\r\n"
      "Content-Length: 4\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::write(fd, head.data(), head.size()),
            static_cast<ssize_t>(head.size()));
  char buf[64] = {0};
  ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)),
            "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_EQ(::write(fd, "body", 4), 4);
  got = ReadUntilClosed(fd, 2000, &closed);
  ::close(fd);
  EXPECT_NE(got.find("\r\n\r\nbody"), std::string::npos) << got;
}

TEST_F(ClientPortTest, KeepAliveAndPipelining) {
  bool closed = false;
  std::string got =
      Exchange(server_.port(),
               "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
               "POST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
               "GET /version HTTP/1.1\r\nConnection: close\r\n\r\n",
               &closed);
  EXPECT_TRUE(closed) << "Connection: close must close";
  size_t first = got.find("HTTP/1.1 200 OK\r\n");
  size_t second = got.find("HTTP/1.1 200 OK\r\n", first + 1);
  size_t third = got.find("HTTP/1.1 200 OK\r\n", second + 1);
  ASSERT_NE(third, std::string::npos) << got;
  EXPECT_LT(got.find(R"({"health":"true"})"), second);
  EXPECT_NE(got.find("Content-Length: 3\r\n\r\nabc"), std::string::npos);
  EXPECT_NE(got.find("Connection: close"), std::string::npos);
  EXPECT_NE(got.find("etcdcluster"), std::string::npos);
}

TEST_F(ClientPortTest, KeepAliveConnectionStaysOpen) {
  bool closed = false;
  std::string got =
      Exchange(server_.port(), "GET /health HTTP/1.1\r\n\r\n", &closed, 300);
  EXPECT_FALSE(closed);
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << got;
}

TEST_F(ClientPortTest, BadRequestsGetAnErrorAndClose) {
  struct Case {
    const char* name;
    std::string bytes;
    const char* status_line;
  };
  Case cases[] = {
      {"garbage", std::string("\x16\x03\x01\x00\x05hello\r\n\r\n", 14),
       "HTTP/1.1 400 Bad Request"},
      {"chunked body",
       "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
       "HTTP/1.1 501 Not Implemented"},
      // "PRI" then a difference: not the HTTP/2 preface, so HTTP/1.1.
      {"almost preface", "PRI * HTTP/2.1\r\n\r\n", "HTTP/1.1 400 Bad Request"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    bool closed = false;
    std::string got = Exchange(server_.port(), c.bytes, &closed);
    EXPECT_TRUE(closed);
    EXPECT_EQ(got.rfind(c.status_line, 0), 0u) << got;
  }
}

TEST_F(ClientPortTest, PrefaceSentByteByByteIsHttp2) {
  int fd = ConnectLoopback(server_.port());
  ASSERT_GE(fd, 0);
  std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  for (char ch : preface) {
    ASSERT_EQ(::write(fd, &ch, 1), 1);
    ::usleep(1000);
  }
  // An empty SETTINGS frame from the client, then read the server's.
  std::string settings("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9);
  ASSERT_EQ(::write(fd, settings.data(), settings.size()), 9);
  ::shutdown(fd, SHUT_WR);
  bool closed = false;
  std::string got = ReadUntilClosed(fd, 2000, &closed);
  ::close(fd);
  ASSERT_GE(got.size(), 9u);
  EXPECT_EQ(got[3], 0x04) << "server SETTINGS first";
}

TEST_F(ClientPortTest, BothProtocolsOnOnePortConcurrently) {
  auto h2 = H2Client::Connect(server_.port());
  ASSERT_NE(h2, nullptr);
  int32_t id = h2->StartCall("/test.Echo/Later", grpc::EncodeMessage("h2"),
                             true, {{"delay-ms", "100"}});
  std::string base = "http://127.0.0.1:" + std::to_string(server_.port());
  EXPECT_EQ(RunCurl(base + "/health"), R"({"health":"true"})");
  ASSERT_TRUE(h2->RunUntil([&] { return h2->CallDone(id); }));
  EXPECT_EQ(h2->stream(id).GrpcStatus(), 0);
}

}  // namespace
}  // namespace server::testing
