#include "tests/raft/harness/network.h"

#include <gtest/gtest.h>

#include <memory>

namespace raft_test {
namespace {

using raftpb::Message;

// Ping-pong: a message with index n > 0 is answered with index n - 1, as a
// kMsgHeartbeat when n is odd and a kMsgHeartbeatResp when n is even.
class PingPong final : public StateMachine {
 public:
  explicit PingPong(uint64_t id) : id_(id) {}
  base::Status Step(const Message& m) override {
    ++received;
    if (m.index > 0) {
      Message r;
      r.type = (m.index - 1) % 2 == 1 ? raftpb::kMsgHeartbeat
                                      : raftpb::kMsgHeartbeatResp;
      r.from = id_;
      r.to = m.from;
      r.index = m.index - 1;
      out_.push_back(r);
    }
    return {};
  }
  std::vector<Message> ReadMessages() override { return std::move(out_); }
  int received = 0;

 private:
  uint64_t id_;
  std::vector<Message> out_;
};

struct Fixture {
  Network net{42};
  PingPong* p[4] = {};
  Fixture() {
    for (uint64_t id = 1; id <= 3; ++id) {
      auto pp = std::make_unique<PingPong>(id);
      p[id] = pp.get();
      net.AddPeer(id, std::move(pp));
    }
  }
  static Message Ping(uint64_t from, uint64_t to, uint64_t n) {
    Message m;
    m.type = n % 2 == 1 ? raftpb::kMsgHeartbeat : raftpb::kMsgHeartbeatResp;
    m.from = from;
    m.to = to;
    m.index = n;
    return m;
  }
};

TEST(NetworkTest, DeliversUntilQuiet) {
  Fixture f;
  EXPECT_EQ(f.net.Send(Fixture::Ping(1, 2, 5)), 6u);
  EXPECT_EQ(f.p[2]->received, 3);
  EXPECT_EQ(f.p[1]->received, 3);
  EXPECT_EQ(f.p[3]->received, 0);
  ASSERT_EQ(f.net.delivered().size(), 6u);
  EXPECT_EQ(f.net.delivered().back().index, 0u);
  f.net.ClearTrace();
  EXPECT_TRUE(f.net.delivered().empty());
  EXPECT_EQ(f.net.ids(), (std::vector<uint64_t>{1, 2, 3}));
}

TEST(NetworkTest, IsolateCutAndRecover) {
  Fixture f;
  f.net.Isolate(2);
  // The first hop is delivered (Send does not filter its input); the
  // answer from 2 is dropped.
  EXPECT_EQ(f.net.Send(Fixture::Ping(1, 2, 5)), 1u);
  EXPECT_EQ(f.net.dropped(), 1u);
  EXPECT_EQ(f.net.Send(Fixture::Ping(1, 3, 3)), 4u);
  f.net.Recover();
  f.net.Cut(1, 3);
  EXPECT_EQ(f.net.Send(Fixture::Ping(1, 3, 3)), 1u);
  EXPECT_EQ(f.net.Send(Fixture::Ping(1, 2, 3)), 4u);
  f.net.Recover();
  EXPECT_EQ(f.net.Send(Fixture::Ping(1, 3, 3)), 4u);
}

TEST(NetworkTest, TypeFilters) {
  Fixture f;
  // Replies to odd pings are MsgHeartbeatResp only when index-1 is even.
  f.net.Ignore(raftpb::kMsgHeartbeatResp);
  EXPECT_EQ(f.net.Send(Fixture::Ping(1, 2, 5)), 1u);  // 4 is a Resp: dropped.
  f.net.Recover();
  f.net.DropType(2, 1, raftpb::kMsgHeartbeatResp);
  EXPECT_EQ(f.net.Send(Fixture::Ping(1, 2, 5)), 1u);
  // Other types on that link still pass: started by 2, everything 2 sends
  // to 1 is a MsgHeartbeat.
  EXPECT_EQ(f.net.Send(Fixture::Ping(2, 1, 5)), 6u);
  f.net.Recover();
  f.net.SetMsgHook([](const Message& m) { return m.index != 2; });
  EXPECT_EQ(f.net.Send(Fixture::Ping(1, 2, 5)), 3u);
}

TEST(NetworkTest, ProbabilisticDropReplaysWithSeed) {
  auto run = [](uint64_t seed) {
    Network net(seed);
    net.AddPeer(1, std::make_unique<BlackHole>());
    net.Drop(2, 1, 0.5);
    std::vector<Message> msgs(1000);
    for (auto& m : msgs) {
      m.type = raftpb::kMsgApp;
      m.from = 2;
      m.to = 1;
    }
    return net.Filter(msgs).size();
  };
  size_t kept = run(7);
  SCOPED_TRACE("seed 7");
  EXPECT_EQ(run(7), kept);
  EXPECT_GT(kept, 400u);
  EXPECT_LT(kept, 600u);
}

}  // namespace
}  // namespace raft_test
