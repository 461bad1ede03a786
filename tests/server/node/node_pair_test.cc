// Two Nodes of one cluster on one loop, their messages carried by the test
// (which may drop some): a follower's proposals and linearizable reads go
// through the leader, and a read whose MsgReadIndex was lost is retried
// rather than holding every later read back until it times out.

#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <optional>

#include "server/node/node.h"
#include "tests/server/node/counter_state_machine.h"
#include "tests/server/node/node_test_util.h"

namespace server {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kIds[2] = {0x1111, 0x2222};

class NodePairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTestDir("cairn-node-pair-test");
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    for (int i = 0; i < 2; ++i) {
      sm_[i] = std::make_unique<testing::CounterStateMachine>(
          (dir_ / ("counter" + std::to_string(i))).string());
      NodeOptions o;
      o.member_id = kIds[i];
      o.cluster_id = 0xc1;
      o.initial_voters = {kIds[0], kIds[1]};
      o.data_dir = (dir_ / ("data" + std::to_string(i))).string();
      o.tick_ms = 10;
      o.election_ticks = 10;
      o.request_timeout_ms = 3000;
      o.send = [this](std::vector<raftpb::Message> msgs) {
        for (raftpb::Message& m : msgs) {
          if (drop_ && drop_(m)) continue;
          in_flight_.push_back(std::move(m));
        }
      };
      o.on_fatal = [this](const base::Status& s) { fatal_ = s; };
      auto node = Node::Open(&loop_, std::move(o), sm_[i].get());
      ASSERT_TRUE(node.ok()) << node.status();
      node_[i] = std::move(node).value();
    }
    for (auto& n : node_) ASSERT_TRUE(n->Start().ok());
    ASSERT_TRUE(RunUntil([&] {
      return node_[0]->leader() != 0 &&
             node_[0]->leader() == node_[1]->leader();
    }));
    leader_ = node_[0]->is_leader() ? 0 : 1;
    // The leader has committed an entry of its term: reads are served.
    ASSERT_TRUE(RunUntil([&] {
      return node_[0]->applied_index() >= 1 && node_[1]->applied_index() >= 1;
    }));
  }

  void TearDown() override {
    for (auto& n : node_) {
      if (!n) continue;
      bool stopped = false;
      n->Stop([&] { stopped = true; });
      EXPECT_TRUE(RunUntil([&] { return stopped; }));
    }
    for (auto& n : node_) n.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
    EXPECT_TRUE(fatal_.ok()) << fatal_;
    fs::remove_all(dir_);
  }

  // Runs the loop, delivering messages between turns.
  bool RunUntil(const std::function<bool()>& done,
                std::chrono::seconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      uv_run(&loop_, UV_RUN_NOWAIT);
      std::deque<raftpb::Message> batch;
      batch.swap(in_flight_);
      for (raftpb::Message& m : batch) {
        Node* to = m.to == kIds[0] ? node_[0].get() : node_[1].get();
        if (to != nullptr) (void)to->Step(std::move(m));
      }
      if (batch.empty()) uv_run(&loop_, UV_RUN_ONCE);
    }
    return true;
  }

  Node& follower() { return *node_[1 - leader_]; }

  fs::path dir_;
  uv_loop_t loop_;
  std::unique_ptr<testing::CounterStateMachine> sm_[2];
  std::unique_ptr<Node> node_[2];
  int leader_ = 0;
  std::deque<raftpb::Message> in_flight_;
  std::function<bool(const raftpb::Message&)> drop_;
  base::Status fatal_;
};

TEST_F(NodePairTest, FollowerProposalsAndReadsGoThroughTheLeader) {
  int answered = 0;
  for (int i = 0; i < 50; ++i) {
    follower().Propose("2", [&](Outcome o) {
      EXPECT_TRUE(o.status.ok()) << o.status;
      ++answered;
    });
  }
  ASSERT_TRUE(RunUntil([&] { return answered == 50; }));
  // Answered once applied on the follower itself.
  EXPECT_EQ(sm_[1 - leader_]->sum(), 100);
  std::optional<Outcome> read;
  follower().Read("sum", true, [&](Outcome o) { read = std::move(o); });
  ASSERT_TRUE(RunUntil([&] { return read.has_value(); }));
  ASSERT_TRUE(read->status.ok()) << read->status;
  EXPECT_EQ(read->response, "100");
}

TEST_F(NodePairTest, ReadRoundWhoseRequestWasLostIsRetried) {
  int dropped = 0;
  drop_ = [&](const raftpb::Message& m) {
    if (m.type != raftpb::kMsgReadIndex || dropped > 0) return false;
    ++dropped;
    return true;
  };
  std::optional<Outcome> first, second;
  follower().Read("sum", true, [&](Outcome o) { first = std::move(o); });
  ASSERT_TRUE(RunUntil([&] { return dropped == 1; }));
  follower().Read("sum", true, [&](Outcome o) { second = std::move(o); });
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      RunUntil([&] { return first.has_value() && second.has_value(); }));
  // Both are answered, after about one election timeout (100 ms here), not
  // failed at the request timeout (3 s).
  EXPECT_TRUE(first->status.ok()) << first->status;
  EXPECT_TRUE(second->status.ok()) << second->status;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace server
