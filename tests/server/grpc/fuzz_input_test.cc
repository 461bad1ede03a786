// Randomized bad input: valid HTTP/2 + gRPC client byte streams, mutated
// (bytes flipped, cut short, chunks repeated or dropped), sent on fresh
// connections. The server must neither crash (run this under ASan) nor stop
// serving: a well-behaved client is answered afterwards, and shutdown
// leaves no handle behind.
//
// The seed is printed; rerun with CAIRN_TEST_SEED=<seed>.

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "server/grpc/framing.h"
#include "tests/server/grpc/h2_client.h"
#include "tests/server/grpc/test_server.h"

namespace server::testing {
namespace {

// `n` and `v` must outlive the nghttp2 call (literals or named strings).
nghttp2_nv Nv(const char* n, std::string_view v) {
  return nghttp2_nv{
      const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(n)),
      const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(v.data())),
      std::strlen(n), v.size(), NGHTTP2_NV_FLAG_NONE};
}

// What an nghttp2 client would write for a few calls of every shape.
std::string ValidClientBytes() {
  struct Body {
    std::string data;
  };
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session* s = nullptr;
  nghttp2_session_client_new(&s, cbs, nullptr);
  nghttp2_session_callbacks_del(cbs);
  nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, nullptr, 0);
  const char* paths[] = {"/test.Echo/Unary",        "/test.Echo/Bidi",
                         "/test.Echo/ServerStream", "/test.Echo/Fail",
                         "/test.Echo/ClientStream", "/no.Such/Method"};
  std::vector<Body> bodies;
  bodies.reserve(std::size(paths));
  for (const char* path : paths) {
    bodies.push_back({grpc::EncodeMessage("3") +
                      grpc::EncodeMessage(std::string(300, 'p'))});
    std::string p = path;
    std::string timeout = "5S";
    nghttp2_nv nva[] = {Nv(":method", "POST"),
                        Nv(":scheme", "http"),
                        Nv(":path", p),
                        Nv(":authority", "x"),
                        Nv("content-type", "application/grpc"),
                        Nv("te", "trailers"),
                        Nv("grpc-timeout", timeout)};
    nghttp2_data_provider prd;
    prd.source.ptr = &bodies.back();
    prd.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t len,
                           uint32_t* flags, nghttp2_data_source* src,
                           void*) -> ssize_t {
      auto* b = static_cast<Body*>(src->ptr);
      size_t n = std::min(len, b->data.size());
      std::memcpy(buf, b->data.data(), n);
      b->data.erase(0, n);
      if (b->data.empty()) *flags |= NGHTTP2_DATA_FLAG_EOF;
      return static_cast<ssize_t>(n);
    };
    nghttp2_submit_request(s, nullptr, nva, std::size(nva), &prd, nullptr);
  }
  nghttp2_submit_ping(s, NGHTTP2_FLAG_NONE, nullptr);
  std::string out = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  const uint8_t* data = nullptr;
  ssize_t n;
  while ((n = nghttp2_session_mem_send(s, &data)) > 0) {
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  nghttp2_session_del(s);
  return out;
}

// `start`: bytes before it are kept most of the time (the HTTP/2 preface).
std::string Mutate(const std::string& in, std::mt19937& rng, size_t keep = 24) {
  std::string s = in;
  auto pick = [&](size_t lo, size_t hi) {
    return std::uniform_int_distribution<size_t>(lo, hi)(rng);
  };
  size_t kind = pick(0, 3);
  // Keep the preface intact most of the time so the HTTP/2 code is reached.
  size_t start = pick(0, 9) == 0 ? 0 : keep;
  switch (kind) {
    case 0:  // Flip a few bytes.
      for (size_t i = pick(1, 8); i > 0; --i) {
        s[pick(start, s.size() - 1)] = static_cast<char>(pick(0, 255));
      }
      break;
    case 1:  // Cut short.
      s.resize(pick(start, s.size() - 1));
      break;
    case 2: {  // Repeat a chunk.
      size_t a = pick(start, s.size() - 1);
      size_t len = pick(1, 64);
      s.insert(pick(start, s.size()), s.substr(a, len));
      break;
    }
    default: {  // Drop a chunk.
      size_t a = pick(start, s.size() - 1);
      s.erase(a, pick(1, 64));
      break;
    }
  }
  return s;
}

uint32_t Seed() {
  uint32_t seed = std::random_device{}();
  if (const char* env = std::getenv("CAIRN_TEST_SEED")) {
    seed = static_cast<uint32_t>(std::stoul(env));
  }
  std::printf("FuzzInputTest seed %u (CAIRN_TEST_SEED replays)\n", seed);
  return seed;
}

// Sends `rounds` mutations of `valid`, one connection each, then checks that
// a good HTTP/2 client is still served and shutdown leaks nothing.
void Campaign(const std::string& valid, size_t keep, int rounds) {
  uint32_t seed = Seed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (CAIRN_TEST_SEED)");
  std::mt19937 rng(seed);
  TestServer server;
  for (int round = 0; round < rounds; ++round) {
    std::string bytes = Mutate(valid, rng, keep);
    int fd = ConnectLoopback(server.port());
    ASSERT_GE(fd, 0) << "round " << round;
    // The server may close early; ignore EPIPE/ECONNRESET.
    (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);
    bool closed = false;
    ReadUntilClosed(fd, 2000, &closed);
    ::close(fd);
    ASSERT_TRUE(closed) << "round " << round << ": server kept it open; sent "
                        << ::testing::PrintToString(bytes);
  }
  auto c = H2Client::Connect(server.port());
  ASSERT_NE(c, nullptr);
  int32_t id =
      c->StartCall("/test.Echo/Unary", grpc::EncodeMessage("ok"), true);
  ASSERT_TRUE(c->RunUntil([&] { return c->CallDone(id); }));
  EXPECT_EQ(c->stream(id).GrpcStatus(), 0);
  c.reset();
  server.Stop();
  EXPECT_EQ(server.loop_close_result(), 0);
}

TEST(FuzzInputTest, MutatedHttp2StreamsNeverBreakTheServer) {
  Campaign(ValidClientBytes(), 24, 1000);
}

TEST(FuzzInputTest, MutatedHttp1RequestsNeverBreakTheServer) {
  std::string valid =
      "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
      "POST /async HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue"
      "\r\n\r\nhi"
      "GET /chunks HTTP/1.1\r\n\r\n"
      "GET /version HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  Campaign(valid, 0, 500);
}

}  // namespace
}  // namespace server::testing
