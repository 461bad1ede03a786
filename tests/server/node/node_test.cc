#include "server/node/node.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>

#include "tests/server/node/counter_state_machine.h"
#include "tests/server/node/node_test_util.h"

namespace server {
namespace {

namespace fs = std::filesystem;

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTestDir("cairn-node-test");
    ASSERT_EQ(uv_loop_init(&loop_), 0);
  }
  void TearDown() override {
    StopNode();
    // Every handle the node opened is closed: the loop closes cleanly.
    EXPECT_EQ(uv_loop_close(&loop_), 0);
    fs::remove_all(dir_);
  }

  NodeOptions Options() {
    NodeOptions o = testing::SingleMemberOptions((dir_ / "data").string());
    o.snapshot_count = snapshot_count_;
    o.catch_up_entries = 5;
    o.snapshots_to_keep = 2;
    o.wal_segment_bytes = 64 * 1024;
    o.on_fatal = [this](const base::Status& s) { fatal_ = s; };
    return o;
  }

  void StartNode() {
    sm_ = std::make_unique<testing::CounterStateMachine>(
        (dir_ / "counter").string());
    auto node = Node::Open(&loop_, Options(), sm_.get());
    ASSERT_TRUE(node.ok()) << node.status();
    node_ = std::move(node).value();
    ASSERT_TRUE(node_->Start().ok());
    ASSERT_TRUE(RunUntil([&] { return node_->is_leader(); }));
  }

  void StopNode() {
    if (!node_) return;
    bool stopped = false;
    node_->Stop([&] { stopped = true; });
    EXPECT_TRUE(RunUntil([&] { return stopped; }));
    node_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);  // Let close callbacks run.
  }

  bool RunUntil(const std::function<bool()>& done,
                std::chrono::seconds timeout = std::chrono::seconds(10)) {
    return testing::RunLoopUntil(&loop_, done, timeout);
  }

  Outcome ProposeAndWait(const std::string& value) {
    std::optional<Outcome> out;
    node_->Propose(value, [&](Outcome o) { out = std::move(o); });
    EXPECT_TRUE(RunUntil([&] { return out.has_value(); }));
    return out.value_or(Outcome{0, base::Status::Internal("no outcome"), {}});
  }

  Outcome ReadAndWait(bool linearizable) {
    std::optional<Outcome> out;
    node_->Read("sum", linearizable, [&](Outcome o) { out = std::move(o); });
    EXPECT_TRUE(RunUntil([&] { return out.has_value(); }));
    return out.value_or(Outcome{0, base::Status::Internal("no outcome"), {}});
  }

  size_t CountFiles(const std::string& sub, const std::string& ext) {
    size_t n = 0;
    for (const auto& e :
         fs::directory_iterator(dir_ / "data" / "member" / sub)) {
      if (e.path().extension() == ext) ++n;
    }
    return n;
  }

  fs::path dir_;
  uv_loop_t loop_;
  uint64_t snapshot_count_ = 100000;
  std::unique_ptr<testing::CounterStateMachine> sm_;
  std::unique_ptr<Node> node_;
  base::Status fatal_;
};

TEST_F(NodeTest, ProposeApplyAndRead) {
  StartNode();
  Outcome a = ProposeAndWait("5");
  ASSERT_TRUE(a.status.ok()) << a.status;
  EXPECT_EQ(a.response, "5");
  Outcome b = ProposeAndWait("7");
  EXPECT_EQ(b.response, "12");
  EXPECT_GT(b.index, a.index);
  // A request the state machine refuses is its own outcome, not a failure.
  Outcome bad = ProposeAndWait("seven");
  EXPECT_EQ(bad.status.code(), base::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadAndWait(true).response, "12");
  EXPECT_EQ(ReadAndWait(false).response, "12");
  EXPECT_TRUE(fatal_.ok());
}

TEST_F(NodeTest, ManyConcurrentProposalsAllAnswered) {
  StartNode();
  int answered = 0;
  for (int i = 1; i <= 200; ++i) {
    node_->Propose("1", [&](Outcome o) {
      EXPECT_TRUE(o.status.ok()) << o.status;
      ++answered;
    });
  }
  ASSERT_TRUE(RunUntil([&] { return answered == 200; }));
  EXPECT_EQ(sm_->sum(), 200);
  EXPECT_EQ(ReadAndWait(true).response, "200");
}

TEST_F(NodeTest, RestartResumesLogAndState) {
  StartNode();
  ASSERT_TRUE(ProposeAndWait("40").status.ok());
  ASSERT_TRUE(ProposeAndWait("2").status.ok());
  uint64_t term = node_->term();
  uint64_t commit = node_->commit_index();
  StopNode();

  StartNode();
  EXPECT_GE(node_->term(), term);
  EXPECT_GE(node_->commit_index(), commit);
  EXPECT_EQ(ReadAndWait(true).response, "42");
  // Entries already in the state machine were not applied twice.
  EXPECT_EQ(sm_->applied_entries(), 0);
  EXPECT_EQ(ProposeAndWait("1").response, "43");
}

TEST_F(NodeTest, SnapshotsReleaseWalAndRestoreLostState) {
  snapshot_count_ = 20;
  StartNode();
  for (int i = 0; i < 120; ++i) {
    ASSERT_TRUE(ProposeAndWait("1").status.ok());
  }
  ASSERT_TRUE(RunUntil([&] { return node_->snapshot_index() >= 100; }));
  // Count once stopped: a later snapshot may be between writing its file
  // and releasing the old ones while the node runs.
  StopNode();
  EXPECT_LE(CountFiles("snap", ".snap"), 2u);
  EXPECT_GE(CountFiles("snap", ".snap"), 1u);

  // The state machine's own file is lost: it is rebuilt from the newest
  // snapshot, then the WAL tail is replayed on top.
  fs::remove(dir_ / "counter");
  StartNode();
  EXPECT_EQ(ReadAndWait(true).response, "120");
  EXPECT_EQ(ProposeAndWait("1").response, "121");
}

// The snapshot's copy runs on its own thread: while it is held there,
// proposals are still made durable, applied and answered; and it writes the
// state as pinned, not as the applies left it.
TEST_F(NodeTest, SnapshotWriteBlocksNeitherWalNorApply) {
  snapshot_count_ = 5;
  StartNode();
  std::mutex mu;
  std::condition_variable cv;
  bool writing = false, release = false;
  sm_->before_snapshot_write = [&] {
    std::unique_lock<std::mutex> l(mu);
    writing = true;
    cv.notify_all();
    cv.wait(l, [&] { return release; });
    return base::Status::OK();
  };
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(ProposeAndWait("1").status.ok());
  ASSERT_TRUE(RunUntil([&] {
    std::lock_guard<std::mutex> l(mu);
    return writing;
  }));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(ProposeAndWait("1").status.ok());
  EXPECT_EQ(ReadAndWait(true).response, "25");
  EXPECT_EQ(node_->snapshot_index(), 0u);  // still being written
  {
    std::lock_guard<std::mutex> l(mu);
    release = true;
  }
  cv.notify_all();
  ASSERT_TRUE(RunUntil([&] { return node_->snapshot_index() > 0; }));
  // Pinned after the fifth proposal, before the other twenty.
  EXPECT_LT(node_->snapshot_index(), node_->commit_index() - 15);
  sm_->before_snapshot_write = nullptr;
  StopNode();
  // Rebuilt from the snapshot plus the WAL after it: 25 only if the file
  // holds the pinned state (a copy of the later state would count 20
  // entries twice).
  fs::remove(dir_ / "counter");
  StartNode();
  EXPECT_EQ(ReadAndWait(true).response, "25");
  EXPECT_TRUE(fatal_.ok()) << fatal_;
}

// A snapshot that cannot be written (a full disk, say) stops the member
// with an error that says so, as a failed WAL write does.
TEST_F(NodeTest, FailedSnapshotWriteIsFatalAndSaysWhy) {
  snapshot_count_ = 5;
  StartNode();
  sm_->before_snapshot_write = [] {
    return base::Status::ResourceExhausted("no space left on device (test)");
  };
  // The snapshot is due once 5 entries (the leader's empty one among them)
  // are applied; the member may fail before the last proposal is answered.
  for (int i = 0; i < 5 && fatal_.ok(); ++i) ProposeAndWait("1");
  ASSERT_TRUE(RunUntil([&] { return !fatal_.ok(); }));
  EXPECT_NE(fatal_.message().find("snapshot"), std::string::npos) << fatal_;
  EXPECT_NE(fatal_.message().find("no space left on device (test)"),
            std::string::npos)
      << fatal_;
  EXPECT_EQ(node_->snapshot_index(), 0u);
}

TEST_F(NodeTest, RefusesAnotherMembersDataDir) {
  StartNode();
  StopNode();
  NodeOptions o = Options();
  o.member_id = 42;
  testing::CounterStateMachine sm((dir_ / "counter").string());
  auto node = Node::Open(&loop_, o, &sm);
  ASSERT_FALSE(node.ok());
  EXPECT_EQ(node.status().code(), base::StatusCode::kFailedPrecondition);
  EXPECT_NE(node.status().message().find("belongs to member 8e9e05c52164694d"),
            std::string::npos)
      << node.status();
}

TEST_F(NodeTest, StopFailsWaitingRequestsAndRefusesNewOnes) {
  StartNode();
  std::optional<Outcome> late;
  bool stopped = false;
  node_->Stop([&] { stopped = true; });
  node_->Propose("1", [&](Outcome o) { late = std::move(o); });
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->status, ErrStopped());
  ASSERT_TRUE(RunUntil([&] { return stopped; }));
  node_.reset();
  uv_run(&loop_, UV_RUN_DEFAULT);
}

}  // namespace
}  // namespace server
