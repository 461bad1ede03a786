// LocalCall without sockets: each call shape through a MethodRegistry,
// answers and errors (status code and message) arriving at the sink,
// cancellation, and write-ready.

#include "server/grpc/local_call.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace server::grpc {
namespace {

// Records what the call handed it.
class RecordingSink final : public CallSink {
 public:
  void Write(std::string_view message) override {
    EXPECT_FALSE(status.has_value()) << "Write after Finish";
    messages.emplace_back(message);
  }
  void Finish(const base::Status& s) override {
    EXPECT_FALSE(status.has_value()) << "Finish twice";
    status = s;
  }
  size_t pending_bytes() const override { return pending; }

  std::vector<std::string> messages;
  std::optional<base::Status> status;
  size_t pending = 0;
};

struct Fixture {
  MethodRegistry registry;
  std::shared_ptr<RecordingSink> sink = std::make_shared<RecordingSink>();
  int cancels = 0;
  int write_ready = 0;
  std::string seen_metadata;

  Fixture() {
    // Unary: echoes the request with a prefix, or fails on "fail".
    registry.AddUnary("/test.Svc/Echo", [this](CallPtr call, std::string req) {
      auto md = call->Find("x-tag");
      seen_metadata = md ? std::string(*md) : "";
      if (req == "fail") {
        return call->Finish(base::Status::InvalidArgument("bad: fail"));
      }
      call->Reply("echo:" + req);
    });
    // Server streaming: the request is a count of messages, then OK.
    registry.AddServerStreaming(
        "/test.Svc/Count", [](CallPtr call, std::string req) {
          int n = std::stoi(req);
          for (int i = 0; i < n; ++i) call->Write(std::to_string(i));
          call->Finish(n > 2 ? base::Status::OutOfRange("too many")
                             : base::Status());
        });
    // Client streaming: concatenates the messages, answers on half-close.
    registry.AddClientStreaming("/test.Svc/Join", [](CallPtr call) {
      auto acc = std::make_shared<std::string>();
      call->OnMessage([acc](std::string m) { *acc += m; });
      call->OnHalfClose([call, acc] { call->Reply(*acc); });
    });
    // Bidi: echoes each message; "stop" ends the call with an error.
    registry.AddBidiStreaming("/test.Svc/Chat", [this](CallPtr call) {
      call->OnMessage([call](std::string m) {
        if (m == "stop") {
          return call->Finish(base::Status::Unavailable("stopped by peer"));
        }
        EXPECT_EQ(call->pending_bytes(), 0u);
        call->Write("re:" + m);
      });
      call->OnWriteReady([this] { ++write_ready; });
      call->OnCancel([this] { ++cancels; });
    });
  }
};

TEST(LocalCallTest, UnaryReplyAndMetadata) {
  Fixture f;
  auto local =
      LocalCall::Start(f.registry, "/test.Svc/Echo", {{"x-tag", "7"}}, f.sink);
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  EXPECT_EQ(local->kind(), CallKind::kUnary);
  EXPECT_TRUE(f.sink->messages.empty()) << "unary runs on its message";
  local->Send("hi");
  local->Send("ignored");
  local->HalfClose();
  EXPECT_EQ(f.sink->messages, std::vector<std::string>{"echo:hi"});
  ASSERT_TRUE(f.sink->status.has_value());
  EXPECT_TRUE(f.sink->status->ok());
  EXPECT_EQ(f.seen_metadata, "7");
  EXPECT_TRUE(local->call()->done());
}

TEST(LocalCallTest, UnaryErrorKeepsCodeAndMessage) {
  Fixture f;
  auto local = LocalCall::Start(f.registry, "/test.Svc/Echo", {}, f.sink);
  ASSERT_TRUE(local.ok());
  local->Send("fail");
  EXPECT_TRUE(f.sink->messages.empty());
  ASSERT_TRUE(f.sink->status.has_value());
  EXPECT_EQ(f.sink->status->code(), base::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.sink->status->message(), "bad: fail");
}

TEST(LocalCallTest, UnaryWithoutMessageGetsEmptyRequest) {
  Fixture f;
  auto local = LocalCall::Start(f.registry, "/test.Svc/Echo", {}, f.sink);
  ASSERT_TRUE(local.ok());
  local->HalfClose();
  EXPECT_EQ(f.sink->messages, std::vector<std::string>{"echo:"});
}

TEST(LocalCallTest, UnknownMethodIsUnimplemented) {
  Fixture f;
  auto local = LocalCall::Start(f.registry, "/test.Svc/Nope", {}, f.sink);
  ASSERT_FALSE(local.ok());
  EXPECT_EQ(local.status().code(), base::StatusCode::kUnimplemented);
  EXPECT_EQ(local.status().message(),
            "unknown method Nope for service test.Svc");
  EXPECT_FALSE(f.sink->status.has_value());
}

TEST(LocalCallTest, ServerStreamingWritesThenStatus) {
  Fixture f;
  auto ok = LocalCall::Start(f.registry, "/test.Svc/Count", {}, f.sink);
  ASSERT_TRUE(ok.ok());
  ok->Send("2");
  EXPECT_EQ(f.sink->messages, (std::vector<std::string>{"0", "1"}));
  ASSERT_TRUE(f.sink->status.has_value());
  EXPECT_TRUE(f.sink->status->ok());

  auto sink = std::make_shared<RecordingSink>();
  auto failing = LocalCall::Start(f.registry, "/test.Svc/Count", {}, sink);
  ASSERT_TRUE(failing.ok());
  failing->Send("3");
  EXPECT_EQ(sink->messages.size(), 3u);
  ASSERT_TRUE(sink->status.has_value());
  EXPECT_EQ(sink->status->code(), base::StatusCode::kOutOfRange);
  EXPECT_EQ(sink->status->message(), "too many");
}

TEST(LocalCallTest, ClientStreamingAnswersOnHalfClose) {
  Fixture f;
  auto local = LocalCall::Start(f.registry, "/test.Svc/Join", {}, f.sink);
  ASSERT_TRUE(local.ok());
  local->Send("a");
  local->Send("b");
  EXPECT_FALSE(f.sink->status.has_value());
  local->HalfClose();
  EXPECT_EQ(f.sink->messages, std::vector<std::string>{"ab"});
  ASSERT_TRUE(f.sink->status.has_value());
  EXPECT_TRUE(f.sink->status->ok());
}

TEST(LocalCallTest, BidiEchoesWriteReadyAndCancel) {
  Fixture f;
  auto local = LocalCall::Start(f.registry, "/test.Svc/Chat", {}, f.sink);
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->kind(), CallKind::kBidi);
  local->Send("x");
  local->Send("y");
  // A bidi call outlives the client's half-close.
  local->HalfClose();
  EXPECT_FALSE(local->call()->done());
  EXPECT_EQ(f.sink->messages, (std::vector<std::string>{"re:x", "re:y"}));
  f.sink->pending = 10;
  EXPECT_EQ(local->call()->pending_bytes(), 10u);
  f.sink->pending = 0;
  local->WriteReady();
  EXPECT_EQ(f.write_ready, 1);
  local->Cancel();
  EXPECT_EQ(f.cancels, 1);
  EXPECT_TRUE(local->call()->cancelled());
  // Nothing reaches the sink after the cancel, and the cancel runs once.
  EXPECT_FALSE(local->call()->Write("late"));
  local->Send("z");
  local->Cancel();
  local->WriteReady();
  EXPECT_EQ(f.cancels, 1);
  EXPECT_EQ(f.write_ready, 1);
  EXPECT_EQ(f.sink->messages.size(), 2u);
  EXPECT_FALSE(f.sink->status.has_value()) << "a cancelled call never finishes";
}

TEST(LocalCallTest, BidiErrorEndsCallWithoutCancel) {
  Fixture f;
  auto local = LocalCall::Start(f.registry, "/test.Svc/Chat", {}, f.sink);
  ASSERT_TRUE(local.ok());
  local->Send("stop");
  ASSERT_TRUE(f.sink->status.has_value());
  EXPECT_EQ(f.sink->status->code(), base::StatusCode::kUnavailable);
  EXPECT_EQ(f.sink->status->message(), "stopped by peer");
  local->Cancel();  // The HTTP client goes away afterwards.
  EXPECT_EQ(f.cancels, 0);
  local->Send("more");
  EXPECT_TRUE(f.sink->messages.empty());
}

}  // namespace
}  // namespace server::grpc
