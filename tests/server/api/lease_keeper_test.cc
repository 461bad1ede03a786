// LeaseKeeper on a real single-member node and store, with a fake lease
// clock: keep-alives renew on the primary, and a keep-alive for a lease
// past its deadline but not revoked yet does not resurrect it (etcd 3.4's
// lessor.Renew): it is answered "requested lease not found" once the
// revoke is applied, and the lease's key is gone by then.

#include "server/api/lease_keeper.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>
#include <filesystem>
#include <optional>

#include "cairnpb/internal.pb.h"
#include "kvstore/errors.h"
#include "server/state_machine/kv_state_machine.h"
#include "tests/server/node/node_test_util.h"

namespace server::api {
namespace {

namespace fs = std::filesystem;

class LeaseKeeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTestDir("cairn-lease-keeper-test");
    fs::create_directories(dir_ / "data");
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    kvstore::Options kv;
    kv.clock = [this] { return now_ms_; };
    auto store = kvstore::Store::Open((dir_ / "kv.db").string(), kv);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(store).value();
    sm_ = std::make_unique<KvStateMachine>(store_.get());
    auto node = Node::Open(
        &loop_, testing::SingleMemberOptions((dir_ / "data").string()),
        sm_.get());
    ASSERT_TRUE(node.ok()) << node.status();
    node_ = std::move(node).value();
    ASSERT_TRUE(node_->Start().ok());
    forwarder_ = std::make_unique<LeaderForwarder>(&loop_, node_.get(),
                                                   /*request_timeout_ms=*/5000);
    ASSERT_TRUE(forwarder_->Start().ok());
    keeper_ = std::make_unique<LeaseKeeper>(
        &loop_, node_.get(), store_.get(), forwarder_.get(),
        /*extend_ms=*/1000, [this] { return now_ms_; });
    ASSERT_TRUE(keeper_->Start().ok());
    ASSERT_TRUE(RunUntil([&] {
      keeper_->PromoteIfDue();
      return keeper_->primary();
    }));
  }

  void TearDown() override {
    bool stopped = false;
    if (node_) node_->Stop([&] { stopped = true; });
    EXPECT_TRUE(RunUntil([&] { return stopped; }));
    if (keeper_) keeper_->Stop();
    if (forwarder_) forwarder_->Stop();
    node_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
    keeper_.reset();
    forwarder_.reset();
    sm_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  bool RunUntil(const std::function<bool()>& done) {
    return testing::RunLoopUntil(&loop_, done);
  }

  base::Status Propose(const cairnpb::InternalRequest& r) {
    std::optional<Outcome> out;
    node_->Propose(r.SerializeAsString(), [&](Outcome o) { out = o; });
    EXPECT_TRUE(RunUntil([&] { return out.has_value(); }));
    return out ? out->status : base::Status::Internal("no outcome");
  }

  base::Result<int64_t> Renew(int64_t id) {
    std::optional<base::Result<int64_t>> out;
    keeper_->Renew(id, [&](base::Result<int64_t> r) {
      // Answered only once the revoke is applied: the lease is gone then.
      if (!r.ok()) revoked_when_answered_ = LeaseTtl(id) == -1;
      out = std::move(r);
    });
    EXPECT_TRUE(RunUntil([&] { return out.has_value(); }));
    return out.value_or(base::Status::Internal("no answer"));
  }

  int64_t LeaseTtl(int64_t id) {
    etcdserverpb::LeaseTimeToLiveRequest r;
    r.set_id(id);
    return store_->LeaseTimeToLive(r, now_ms_).ttl();
  }

  fs::path dir_;
  uv_loop_t loop_;
  int64_t now_ms_ = 1'000'000;
  std::unique_ptr<kvstore::Store> store_;
  std::unique_ptr<KvStateMachine> sm_;
  std::unique_ptr<Node> node_;
  std::unique_ptr<LeaderForwarder> forwarder_;
  std::unique_ptr<LeaseKeeper> keeper_;
  bool revoked_when_answered_ = false;
};

TEST_F(LeaseKeeperTest, ExpiredLeaseIsRevokedNotRenewed) {
  cairnpb::InternalRequest grant;
  grant.mutable_lease_grant()->set_id(7);
  grant.mutable_lease_grant()->set_ttl(10);
  ASSERT_TRUE(Propose(grant).ok());
  cairnpb::InternalRequest put;
  put.mutable_put()->set_key("k");
  put.mutable_put()->set_value("v");
  put.mutable_put()->set_lease(7);
  ASSERT_TRUE(Propose(put).ok());
  // Renewed 5 s after the grant: 10 s from then.
  now_ms_ += 5000;
  base::Result<int64_t> ttl = Renew(7);
  ASSERT_TRUE(ttl.ok()) << ttl.status();
  EXPECT_EQ(*ttl, 10);
  now_ms_ += 9999;
  EXPECT_EQ(LeaseTtl(7), 0);  // 1 ms left, truncated.
  ASSERT_TRUE(Renew(7).ok());
  // Past the deadline, before any scan revoked it: not renewed, revoked,
  // and answered not found once the revoke (and the key's delete) applied.
  now_ms_ += 10000;
  ttl = Renew(7);
  EXPECT_EQ(ttl.status(), kvstore::ErrLeaseNotFound());
  EXPECT_TRUE(revoked_when_answered_);
  EXPECT_EQ(LeaseTtl(7), -1);
  EXPECT_EQ(store_->CurrentRevision(), 3);  // the put, then the delete
  // Unknown leases: not found at once.
  EXPECT_EQ(Renew(8).status(), kvstore::ErrLeaseNotFound());
}

// The leader's side of forwarded requests: what a follower's request stream
// carries in, and the answer it carries back.
TEST_F(LeaseKeeperTest, ServesForwardedRequests) {
  cairnpb::InternalRequest grant;
  grant.mutable_lease_grant()->set_id(9);
  grant.mutable_lease_grant()->set_ttl(30);
  ASSERT_TRUE(Propose(grant).ok());
  auto serve = [&](const std::string& bytes) {
    std::optional<cairnpb::LeaderResponse> out;
    forwarder_->Serve(bytes, [&](std::string answer) {
      cairnpb::LeaderResponse r;
      EXPECT_TRUE(r.ParseFromString(answer));
      out = std::move(r);
    });
    EXPECT_TRUE(RunUntil([&] { return out.has_value(); }));
    return out.value_or(cairnpb::LeaderResponse());
  };
  cairnpb::LeaderRequest ttl;
  ttl.mutable_time_to_live()->set_id(9);
  cairnpb::LeaderResponse r = serve(ttl.SerializeAsString());
  EXPECT_EQ(r.code(), 0) << r.message();
  EXPECT_EQ(r.time_to_live().ttl(), 30);
  EXPECT_EQ(r.time_to_live().grantedttl(), 30);
  // Garbage, and a kind nobody here answers (no Cluster service): refused.
  r = serve("\xff\xff\xff");
  EXPECT_EQ(r.code(), static_cast<int>(base::StatusCode::kInvalidArgument));
  EXPECT_EQ(r.message(), "etcdserver: bad request");
  cairnpb::LeaderRequest promote;
  promote.mutable_promote()->set_id(9);
  r = serve(promote.SerializeAsString());
  EXPECT_EQ(r.message(), "etcdserver: bad request");
  EXPECT_FALSE(r.has_promote());
}

}  // namespace
}  // namespace server::api
