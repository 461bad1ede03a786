// Protocol tests of the gRPC transport against a real TestServer on
// 127.0.0.1, driven by the raw nghttp2 client in h2_client.h.

#include "server/grpc/session.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "server/grpc/framing.h"
#include "tests/server/grpc/h2_client.h"
#include "tests/server/grpc/test_server.h"

namespace server::testing {
namespace {

using grpc::EncodeMessage;

class SessionTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_) {
      server_->Stop();
      EXPECT_EQ(server_->loop_close_result(), 0) << "a handle leaked";
    }
  }
  void StartServer(grpc::SessionOptions options = {}) {
    server_ = std::make_unique<TestServer>(options);
  }
  std::unique_ptr<H2Client> Client() {
    auto c = H2Client::Connect(server_->port());
    EXPECT_NE(c, nullptr);
    return c;
  }
  std::unique_ptr<TestServer> server_;
};

TEST_F(SessionTest, UnaryEcho) {
  StartServer();
  auto c = Client();
  int32_t id = c->StartCall("/test.Echo/Unary", EncodeMessage("hello"), true);
  ASSERT_TRUE(c->RunUntil([&] { return c->CallDone(id); }));
  auto& s = c->stream(id);
  EXPECT_EQ(s.headers[":status"], "200");
  EXPECT_EQ(s.headers["content-type"], "application/grpc");
  EXPECT_EQ(s.GrpcStatus(), 0);
  ASSERT_EQ(s.Messages().size(), 1u);
  EXPECT_EQ(s.Messages()[0], "hello");
}

TEST_F(SessionTest, EmptyMessageAndMessageSplitAcrossFrames) {
  StartServer();
  auto c = Client();
  int32_t empty = c->StartCall("/test.Echo/Unary", EncodeMessage(""), true);
  // A message sent one byte at a time in separate DATA frames.
  std::string framed = EncodeMessage("split-message");
  int32_t split = c->StartCall("/test.Echo/Unary", "", false);
  for (size_t i = 0; i < framed.size(); ++i) {
    c->Send(split, framed.substr(i, 1), i + 1 == framed.size());
    ASSERT_TRUE(c->RunUntil([] { return true; }, 10));
  }
  ASSERT_TRUE(
      c->RunUntil([&] { return c->CallDone(empty) && c->CallDone(split); }));
  EXPECT_EQ(c->stream(empty).GrpcStatus(), 0);
  ASSERT_EQ(c->stream(empty).Messages().size(), 1u);
  EXPECT_EQ(c->stream(empty).Messages()[0], "");
  ASSERT_EQ(c->stream(split).Messages().size(), 1u);
  EXPECT_EQ(c->stream(split).Messages()[0], "split-message");
}

TEST_F(SessionTest, ErrorIsTrailersOnlyWithPercentEncodedMessage) {
  StartServer();
  auto c = Client();
  int32_t id = c->StartCall("/test.Echo/Fail",
                            EncodeMessage("bad key: 100% \xc3\xa9"), true);
  ASSERT_TRUE(c->RunUntil([&] { return c->CallDone(id); }));
  auto& s = c->stream(id);
  EXPECT_EQ(s.headers[":status"], "200");
  EXPECT_EQ(s.GrpcStatus(), 3);
  EXPECT_EQ(s.headers["grpc-message"], "bad key: 100%25 %C3%A9");
  EXPECT_TRUE(s.data.empty());
}

TEST_F(SessionTest, UnknownServiceAndMethodAreUnimplemented) {
  StartServer();
  auto c = Client();
  int32_t svc = c->StartCall("/etcdserverpb.Foo/Bar", EncodeMessage(""), true);
  int32_t method = c->StartCall("/test.Echo/Nope", EncodeMessage(""), true);
  int32_t bad = c->StartCall("nopath", EncodeMessage(""), true);
  ASSERT_TRUE(c->RunUntil([&] {
    return c->CallDone(svc) && c->CallDone(method) && c->CallDone(bad);
  }));
  EXPECT_EQ(c->stream(svc).GrpcStatus(), 12);
  EXPECT_EQ(c->stream(svc).headers["grpc-message"],
            "unknown service etcdserverpb.Foo");
  EXPECT_EQ(c->stream(method).GrpcStatus(), 12);
  EXPECT_EQ(c->stream(method).headers["grpc-message"],
            "unknown method Nope for service test.Echo");
  // nghttp2 itself rejects a :path without a leading '/'.
  EXPECT_TRUE(c->stream(bad).rst || c->stream(bad).GrpcStatus() == 12);
}

TEST_F(SessionTest, NonGrpcContentTypeIsReset) {
  StartServer();
  auto c = Client();
  int32_t id = c->StartCall("/test.Echo/Unary", EncodeMessage("x"), true, {},
                            "application/json");
  ASSERT_TRUE(c->RunUntil([&] { return c->CallDone(id); }));
  EXPECT_TRUE(c->stream(id).rst);
  EXPECT_EQ(c->stream(id).rst_code,
            static_cast<uint32_t>(NGHTTP2_PROTOCOL_ERROR));
}

TEST_F(SessionTest, HugeLengthPrefixIsResourceExhausted) {
  StartServer();
  auto c = Client();
  // Announce 3 GiB; send only the prefix and keep the stream open.
  std::string prefix("\x00\xC0\x00\x00\x00", 5);
  int32_t id = c->StartCall("/test.Echo/Unary", prefix, false);
  ASSERT_TRUE(c->RunUntil([&] { return c->CallDone(id); }));
  auto& s = c->stream(id);
  EXPECT_EQ(s.GrpcStatus(), 8);
  EXPECT_EQ(s.headers["grpc-message"],
            "grpc: received message larger than max (3221225472 vs. 2097152)");
  // The server ended first, so it reset the rest of the request.
  EXPECT_TRUE(s.rst);
  EXPECT_EQ(s.rst_code, static_cast<uint32_t>(NGHTTP2_NO_ERROR));
  // The connection still works.
  int32_t ok = c->StartCall("/test.Echo/Unary", EncodeMessage("after"), true);
  ASSERT_TRUE(c->RunUntil([&] { return c->CallDone(ok); }));
  EXPECT_EQ(c->stream(ok).GrpcStatus(), 0);
}

TEST_F(SessionTest, CompressedMessageIsUnimplemented) {
  StartServer();
  auto c = Client();
  std::string msg = EncodeMessage("zz");
  msg[0] = 1;
  int32_t id =
      c->StartCall("/test.Echo/Unary", msg, true, {{"grpc-encoding", "gzip"}});
  ASSERT_TRUE(c->RunUntil([&] { return c->CallDone(id); }));
  EXPECT_EQ(c->stream(id).GrpcStatus(), 12);
  EXPECT_EQ(c->stream(id).headers["grpc-message"],
            "grpc: Decompressor is not installed for grpc-encoding "
            "\"gzip\"");
}

TEST_F(SessionTest, TruncatedMessageAtEndStreamIsInternal) {
  StartServer();
  auto c = Client();
  std::string msg = EncodeMessage("0123456789");
  int32_t id = c->StartCall("/test.Echo/Unary", msg.substr(0, 8), true);
  int32_t none = c->StartCall("/test.Echo/Unary", "", true);
  ASSERT_TRUE(
      c->RunUntil([&] { return c->CallDone(id) && c->CallDone(none); }));
  EXPECT_EQ(c->stream(id).GrpcStatus(), 13);
  EXPECT_EQ(c->stream(none).GrpcStatus(), 13);
}

TEST_F(SessionTest, TwoMessagesOnUnaryIsInternal) {
  StartServer();
  auto c = Client();
  int32_t id = c->StartCall("/test.Echo/Never",
                            EncodeMessage("a") + EncodeMessage("b"), true);
  ASSERT_TRUE(c->RunUntil([&] { return c->CallDone(id); }));
  EXPECT_EQ(c->stream(id).GrpcStatus(), 13);
}

TEST_F(SessionTest, AsynchronousAnswer) {
  StartServer();
  auto c = Client();
  int32_t id = c->StartCall("/test.Echo/Later", EncodeMessage("later"), true,
                            {{"delay-ms", "100"}});
  ASSERT_TRUE(c->RunUntil([&] { return c->CallDone(id); }));
  EXPECT_EQ(c->stream(id).GrpcStatus(), 0);
  ASSERT_EQ(c->stream(id).Messages().size(), 1u);
  EXPECT_EQ(c->stream(id).Messages()[0], "later");
}

TEST_F(SessionTest, AnswerFromPrepareGoesOutBeforeTheLoopSleeps) {
  StartServer();
  auto c = Client();
  // Warm up: SETTINGS exchanged and acknowledged, then quiet.
  int32_t warm = c->StartCall("/test.Echo/Unary", EncodeMessage("w"), true);
  ASSERT_TRUE(c->RunUntil([&] { return c->CallDone(warm); }));
  c->RunUntil([] { return false; }, 100);
  int32_t id =
      c->StartCall("/test.Echo/BeforeSleep", EncodeMessage("bs"), true);
  // No other traffic wakes the loop: the answer must not wait for it.
  ASSERT_TRUE(c->RunUntil([&] { return c->CallDone(id); }, 3000));
  EXPECT_EQ(c->stream(id).GrpcStatus(), 0);
  ASSERT_EQ(c->stream(id).Messages().size(), 1u);
  EXPECT_EQ(c->stream(id).Messages()[0], "bs");
}

TEST_F(SessionTest, StreamingProducerFollowsFlowControl) {
  StartServer();
  auto c = Client();
  // 40 MiB through a 1 MiB stream window: the producer must be resumed by
  // OnWriteReady many times.
  int32_t id = c->StartCall("/test.Echo/Flood", EncodeMessage("640"), true);
  ASSERT_TRUE(c->RunUntil([&] { return c->CallDone(id); }, 30000));
  EXPECT_EQ(c->stream(id).GrpcStatus(), 0);
  std::vector<std::string> msgs = c->stream(id).Messages();
  ASSERT_EQ(msgs.size(), 640u);
  for (size_t i = 0; i < msgs.size(); ++i) {
    ASSERT_EQ(msgs[i].substr(0, 8), std::to_string(10000000 + i));
  }
}

TEST_F(SessionTest, ClientThatDoesNotReadIsNotReadFrom) {
  StartServer();
  // Windows so large that only our write queue limits what we send.
  auto c = H2Client::Connect(server_->port(), 256 << 20);
  ASSERT_NE(c, nullptr);
  std::vector<int32_t> ids;
  // One request whose answer (24 MiB) is far more than the socket buffers.
  ids.push_back(c->StartCall("/test.Echo/Size",
                             EncodeMessage(std::to_string(24 << 20)), true));
  c->SendOnly();
  for (int i = 0; i < 500 && server_->started.load() < 1; ++i) usleep(10000);
  ASSERT_EQ(server_->started.load(), 1);
  usleep(200 * 1000);  // Let the server fill the socket and its queue.
  // More requests while the client still reads nothing: not read yet.
  for (int i = 0; i < 3; ++i) {
    ids.push_back(
        c->StartCall("/test.Echo/Unary", EncodeMessage("late"), true));
  }
  c->SendOnly();
  usleep(300 * 1000);
  EXPECT_EQ(server_->started.load(), 1)
      << "requests read from a stalled client";
  // Once the client reads, everything completes.
  ASSERT_TRUE(c->RunUntil(
      [&] {
        for (int32_t id : ids) {
          if (!c->CallDone(id)) return false;
        }
        return true;
      },
      20000));
  EXPECT_EQ(server_->started.load(), 4);
  for (int32_t id : ids) EXPECT_EQ(c->stream(id).GrpcStatus(), 0);
}

TEST_F(SessionTest, RstStreamCancelsTheCall) {
  StartServer();
  auto c = Client();
  int32_t id = c->StartCall("/test.Echo/Never", EncodeMessage("x"), true);
  ASSERT_TRUE(c->RunUntil([&] { return server_->started.load() == 1; }));
  c->Reset(id);
  ASSERT_TRUE(c->RunUntil([&] { return server_->cancelled.load() == 1; }));
  // An async answer to a cancelled call is dropped quietly.
  int32_t later = c->StartCall("/test.Echo/Later", EncodeMessage("y"), true,
                               {{"delay-ms", "50"}});
  c->Reset(later);
  int32_t after = c->StartCall("/test.Echo/Unary", EncodeMessage("z"), true);
  ASSERT_TRUE(c->RunUntil([&] { return c->CallDone(after); }));
  EXPECT_EQ(c->stream(after).GrpcStatus(), 0);
  usleep(100 * 1000);
  ASSERT_TRUE(c->RunUntil([] { return true; }));
  EXPECT_EQ(c->stream(later).GrpcStatus(), -1);
}

TEST_F(SessionTest, DeadlineExceeded) {
  StartServer();
  auto c = Client();
  int32_t id = c->StartCall("/test.Echo/Never", EncodeMessage("x"), true,
                            {{"grpc-timeout", "100000u"}});
  int32_t bad = c->StartCall("/test.Echo/Never", EncodeMessage("x"), true,
                             {{"grpc-timeout", "12X"}});
  ASSERT_TRUE(c->RunUntil([&] { return c->CallDone(id) && c->CallDone(bad); }));
  EXPECT_EQ(c->stream(id).GrpcStatus(), 4);
  EXPECT_EQ(c->stream(id).headers["grpc-message"], "context deadline exceeded");
  EXPECT_EQ(server_->cancelled.load(), 1);
  EXPECT_EQ(c->stream(bad).GrpcStatus(), 13);
}

TEST_F(SessionTest, ManyConcurrentStreams) {
  StartServer();
  auto c = Client();
  std::vector<int32_t> ids;
  for (int i = 0; i < 200; ++i) {
    ids.push_back(c->StartCall(i % 2 ? "/test.Echo/Unary" : "/test.Echo/Later",
                               EncodeMessage("m" + std::to_string(i)), true,
                               {{"delay-ms", std::to_string(i % 7)}}));
  }
  ASSERT_TRUE(c->RunUntil(
      [&] {
        for (int32_t id : ids) {
          if (!c->CallDone(id)) return false;
        }
        return true;
      },
      10000));
  for (size_t i = 0; i < ids.size(); ++i) {
    auto& s = c->stream(ids[i]);
    EXPECT_EQ(s.GrpcStatus(), 0);
    ASSERT_EQ(s.Messages().size(), 1u);
    EXPECT_EQ(s.Messages()[0], "m" + std::to_string(i));
  }
}

TEST_F(SessionTest, LargeMessagesBothWays) {
  grpc::SessionOptions opts;
  opts.max_recv_message_bytes = 8 << 20;
  StartServer(opts);
  auto c = Client();
  std::string big(6 << 20, 'q');
  for (size_t i = 0; i < big.size(); i += 1000)
    big[i] = static_cast<char>(i % 251);
  int32_t echo = c->StartCall("/test.Echo/Unary", EncodeMessage(big), true);
  int32_t size = c->StartCall("/test.Echo/Size",
                              EncodeMessage(std::to_string(5 << 20)), true);
  ASSERT_TRUE(c->RunUntil(
      [&] { return c->CallDone(echo) && c->CallDone(size); }, 20000));
  ASSERT_EQ(c->stream(echo).Messages().size(), 1u);
  EXPECT_TRUE(c->stream(echo).Messages()[0] == big);
  ASSERT_EQ(c->stream(size).Messages().size(), 1u);
  EXPECT_EQ(c->stream(size).Messages()[0].size(), size_t{5 << 20});
}

TEST_F(SessionTest, ServerClientAndBidiStreaming) {
  StartServer();
  auto c = Client();
  int32_t ss =
      c->StartCall("/test.Echo/ServerStream", EncodeMessage("5"), true);
  int32_t cs = c->StartCall("/test.Echo/ClientStream",
                            EncodeMessage("a") + EncodeMessage("b"), false);
  int32_t bidi = c->StartCall("/test.Echo/Bidi", EncodeMessage("ping1"), false);
  ASSERT_TRUE(
      c->RunUntil([&] { return c->stream(bidi).Messages().size() == 1; }));
  c->Send(bidi, EncodeMessage("ping2"), false);
  ASSERT_TRUE(
      c->RunUntil([&] { return c->stream(bidi).Messages().size() == 2; }));
  c->Send(cs, EncodeMessage("c"), true);
  c->Send(bidi, "", true);
  ASSERT_TRUE(c->RunUntil(
      [&] { return c->CallDone(ss) && c->CallDone(cs) && c->CallDone(bidi); }));
  std::vector<std::string> want = {"m0", "m1", "m2", "m3", "m4"};
  EXPECT_EQ(c->stream(ss).Messages(), want);
  EXPECT_EQ(c->stream(ss).GrpcStatus(), 0);
  ASSERT_EQ(c->stream(cs).Messages().size(), 1u);
  EXPECT_EQ(c->stream(cs).Messages()[0], "abc");
  EXPECT_EQ(c->stream(bidi).Messages(),
            (std::vector<std::string>{"ping1", "ping2"}));
  EXPECT_EQ(c->stream(bidi).GrpcStatus(), 0);
}

TEST_F(SessionTest, BidiCancelledByRst) {
  StartServer();
  auto c = Client();
  int32_t bidi = c->StartCall("/test.Echo/Bidi", EncodeMessage("x"), false);
  ASSERT_TRUE(
      c->RunUntil([&] { return c->stream(bidi).Messages().size() == 1; }));
  c->Reset(bidi);
  ASSERT_TRUE(c->RunUntil([&] { return server_->cancelled.load() == 1; }));
}

TEST_F(SessionTest, PingIsAcked) {
  StartServer();
  auto c = Client();
  c->Ping();
  c->Ping();
  ASSERT_TRUE(c->RunUntil([&] { return c->ping_acks() == 2; }));
}

TEST_F(SessionTest, GarbageClosesOnlyThatConnection) {
  StartServer();
  auto good = Client();
  // A client that sends the preface and then garbage frames.
  int fd = ConnectLoopback(server_->port());
  ASSERT_GE(fd, 0);
  std::string bad = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  bad += std::string("\xff\xff\xff\x09\x00\x00\x00\x00\x01garbage!", 18);
  ASSERT_EQ(::write(fd, bad.data(), bad.size()),
            static_cast<ssize_t>(bad.size()));
  bool closed = false;
  std::string got = ReadUntilClosed(fd, 3000, &closed);
  ::close(fd);
  EXPECT_TRUE(closed);
  // The server's SETTINGS come first, then (usually) a GOAWAY.
  ASSERT_GE(got.size(), 9u);
  EXPECT_EQ(got[3], 0x04) << "first frame must be SETTINGS";

  // A truncated frame, then the client hangs up.
  int fd2 = ConnectLoopback(server_->port());
  std::string trunc = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  trunc += std::string("\x00\x00\x10\x01\x04\x00\x00\x00\x01\x82", 10);
  ASSERT_EQ(::write(fd2, trunc.data(), trunc.size()),
            static_cast<ssize_t>(trunc.size()));
  ::shutdown(fd2, SHUT_WR);
  ReadUntilClosed(fd2, 3000, &closed);
  ::close(fd2);
  EXPECT_TRUE(closed);

  // A client stalled in the middle of a frame does not hold up others.
  int stalled = ConnectLoopback(server_->port());
  std::string half = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  half += std::string("\x00\x00\x05\x01", 4);
  ASSERT_EQ(::write(stalled, half.data(), half.size()),
            static_cast<ssize_t>(half.size()));

  int32_t id = good->StartCall("/test.Echo/Unary", EncodeMessage("ok"), true);
  ASSERT_TRUE(good->RunUntil([&] { return good->CallDone(id); }));
  EXPECT_EQ(good->stream(id).GrpcStatus(), 0);
  ::close(stalled);
}

TEST_F(SessionTest, GracefulShutdownSendsGoawayAndFinishesCalls) {
  StartServer();
  auto c = Client();
  int32_t id = c->StartCall("/test.Echo/Later", EncodeMessage("last"), true,
                            {{"delay-ms", "300"}});
  ASSERT_TRUE(c->RunUntil([&] { return server_->started.load() == 1; }));
  server_->StopAsync(5000);
  ASSERT_TRUE(c->RunUntil([&] { return c->goaway(); }));
  ASSERT_TRUE(c->RunUntil([&] { return c->CallDone(id); }));
  EXPECT_EQ(c->stream(id).GrpcStatus(), 0);
  ASSERT_EQ(c->stream(id).Messages().size(), 1u);
  EXPECT_EQ(c->stream(id).Messages()[0], "last");
  // Then the server closes the connection.
  c->RunUntil([] { return false; }, 3000);
  EXPECT_TRUE(c->closed());
}

TEST_F(SessionTest, ShutdownGraceExpiryCancelsOpenCalls) {
  StartServer();
  auto c = Client();
  c->StartCall("/test.Echo/Never", EncodeMessage("x"), true);
  ASSERT_TRUE(c->RunUntil([&] { return server_->started.load() == 1; }));
  server_->Stop(100);
  EXPECT_EQ(server_->cancelled.load(), 1);
}

}  // namespace
}  // namespace server::testing
