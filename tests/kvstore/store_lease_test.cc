// Leases against etcd-v3-api.md 4.9: grant, revoke (keys deleted in one
// revision), keep-alive, time-to-live, list, expiry by a caller's clock,
// survival across restart.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kvstore/errors.h"
#include "tests/kvstore/store_test_util.h"

namespace kvstore::testing {
namespace {

class LeaseTest : public StoreFixture {};

TEST_F(LeaseTest, Grant) {
  ApplyResult res = Apply(GrantReq(10, 30));
  ASSERT_TRUE(res.status.ok());
  EXPECT_EQ(res.response.lease_grant().id(), 10);
  EXPECT_EQ(res.response.lease_grant().ttl(), 30);
  EXPECT_EQ(res.response.lease_grant().header().revision(), 1);
  EXPECT_EQ(store_->CurrentRevision(), 1);  // grants write no key

  struct Case {
    const char* name;
    int64_t id, ttl;
    base::Status want;
    int64_t want_ttl;
  } cases[] = {
      {"existing ID", 10, 30, ErrLeaseExist(), 0},
      {"TTL too large", 11, 9'000'000'001, ErrLeaseTTLTooLarge(), 0},
      {"TTL at the maximum", 12, 9'000'000'000, base::Status(), 9'000'000'000},
      {"TTL below the minimum is raised", 13, 1, base::Status(), 2},
      {"zero TTL is raised", 14, 0, base::Status(), 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    res = Apply(GrantReq(c.id, c.ttl));
    EXPECT_EQ(res.status, c.want);
    if (c.want.ok()) {
      EXPECT_EQ(res.response.lease_grant().ttl(), c.want_ttl);
    }
  }
}

TEST_F(LeaseTest, ChosenIdsAreDeterministic) {
  ApplyResult a = Apply(GrantReq(0, 10));
  ApplyResult b = Apply(GrantReq(0, 10));
  ASSERT_TRUE(a.status.ok() && b.status.ok());
  const int64_t id_a = a.response.lease_grant().id();
  const int64_t id_b = b.response.lease_grant().id();
  EXPECT_GT(id_a, 0);
  EXPECT_GT(id_b, 0);
  EXPECT_NE(id_a, id_b);
  // Another member applying the same entries picks the same IDs.
  TempDir other;
  auto s = Store::Open(other.File("db"), MakeOptions());
  ASSERT_TRUE(s.ok());
  auto a2 = (*s)->Apply(1, GrantReq(0, 10));
  auto b2 = (*s)->Apply(2, GrantReq(0, 10));
  ASSERT_TRUE(a2.ok() && b2.ok());
  EXPECT_EQ(a2->response.lease_grant().id(), id_a);
  EXPECT_EQ(b2->response.lease_grant().id(), id_b);
}

TEST_F(LeaseTest, RevokeDeletesKeysInOneRevision) {
  ASSERT_TRUE(Apply(GrantReq(7, 60)).status.ok());
  ASSERT_TRUE(Put("x", "1", 7).ok());  // 2
  ASSERT_TRUE(Put("y", "1", 7).ok());  // 3
  ASSERT_TRUE(Put("z", "1").ok());     // 4
  ASSERT_TRUE(Put("w", "1", 7).ok());  // 5
  ASSERT_TRUE(Put("w", "2").ok());     // 6: detached from 7
  std::vector<std::pair<int64_t, std::vector<std::string>>> seen;
  store_->SetEventListener(
      [&](int64_t rev, const std::vector<mvccpb::Event>& evs) {
        std::vector<std::string> keys;
        for (const auto& e : evs) {
          EXPECT_EQ(e.type(), mvccpb::Event::DELETE);
          keys.push_back(e.kv().key());
        }
        seen.emplace_back(rev, keys);
      },
      false);
  ApplyResult res = Apply(RevokeReq(7));
  ASSERT_TRUE(res.status.ok());
  EXPECT_EQ(store_->CurrentRevision(), 7);
  EXPECT_EQ(res.response.lease_revoke().header().revision(), 7);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].first, 7);
  EXPECT_EQ(seen[0].second, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(Get(RangeOf("w")).kvs_size(), 1);
  EXPECT_EQ(Get(RangeOf("z")).kvs_size(), 1);
  EXPECT_EQ(Apply(RevokeReq(7)).status, ErrLeaseNotFound());
  // Revoking a lease without keys does not advance the revision.
  ASSERT_TRUE(Apply(GrantReq(8, 60)).status.ok());
  ASSERT_TRUE(Apply(RevokeReq(8)).status.ok());
  EXPECT_EQ(store_->CurrentRevision(), 7);
}

TEST_F(LeaseTest, TimeToLiveKeepAliveExpiry) {
  ASSERT_TRUE(Apply(GrantReq(1, 10)).status.ok());
  clock_.now_ms += 2000;
  ASSERT_TRUE(Apply(GrantReq(2, 5)).status.ok());
  ASSERT_TRUE(Put("k1", "v", 1).ok());
  ASSERT_TRUE(Put("k2", "v", 1).ok());
  const int64_t t0 = clock_.now_ms;

  etcdserverpb::LeaseTimeToLiveRequest q;
  q.set_id(1);
  q.set_keys(true);
  auto ttl = store_->LeaseTimeToLive(q, t0 + 500);
  EXPECT_EQ(ttl.ttl(), 7);  // 10 s granted at t0-2s; 7.5 s left, truncated
  EXPECT_EQ(ttl.grantedttl(), 10);
  EXPECT_EQ(ttl.keys_size(), 2);
  q.set_id(99);
  ttl = store_->LeaseTimeToLive(q, t0);
  EXPECT_EQ(ttl.ttl(), -1);
  EXPECT_EQ(ttl.grantedttl(), 0);

  auto leases = store_->LeaseLeases();
  ASSERT_EQ(leases.leases_size(), 2);
  EXPECT_EQ(leases.leases(0).id(), 2);  // soonest expiry first, as etcd
  EXPECT_EQ(leases.leases(1).id(), 1);

  EXPECT_TRUE(store_->ExpiredLeases(t0 + 4999, 10).empty());
  EXPECT_EQ(store_->ExpiredLeases(t0 + 5000, 10), (std::vector<int64_t>{2}));
  EXPECT_EQ(store_->ExpiredLeases(t0 + 8000, 10),
            (std::vector<int64_t>{2, 1}));  // soonest first
  EXPECT_EQ(store_->ExpiredLeases(t0 + 8000, 1), (std::vector<int64_t>{2}));
  // Keep-alive restarts the countdown.
  auto renewed = store_->LeaseRenew(1, t0 + 7000);
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(*renewed, 10);
  EXPECT_EQ(store_->ExpiredLeases(t0 + 8000, 10), (std::vector<int64_t>{2}));
  EXPECT_EQ(store_->LeaseRenew(99, t0).status(), ErrLeaseNotFound());
  // Lease 2 is past its deadline: a late keep-alive does not resurrect it
  // (etcd's lessor answers not found once the revoke is done).
  EXPECT_EQ(store_->LeaseRenew(2, t0 + 8000).status(), ErrLeaseExpired());
  EXPECT_EQ(store_->ExpiredLeases(t0 + 8000, 10), (std::vector<int64_t>{2}));
  // A new leader restarts every countdown.
  store_->PromoteLeases(t0 + 100000, 1000);
  EXPECT_TRUE(store_->ExpiredLeases(t0 + 100000 + 5999, 10).empty());
  EXPECT_EQ(store_->ExpiredLeases(t0 + 100000 + 6000, 10),
            (std::vector<int64_t>{2}));
}

TEST_F(LeaseTest, SurvivesRestartAndCheckpoint) {
  ASSERT_TRUE(Apply(GrantReq(1, 100)).status.ok());
  ASSERT_TRUE(Put("k", "v", 1).ok());
  cairnpb::InternalRequest cp;
  auto* c = cp.mutable_lease_checkpoint()->add_checkpoints();
  c->set_id(1);
  c->set_remaining_ttl(40);
  ASSERT_TRUE(Apply(cp).status.ok());
  Reopen();
  etcdserverpb::LeaseTimeToLiveRequest q;
  q.set_id(1);
  q.set_keys(true);
  auto ttl = store_->LeaseTimeToLive(q, clock_.now_ms);
  EXPECT_EQ(ttl.grantedttl(), 100);
  EXPECT_EQ(ttl.ttl(), 40);  // restarted from the checkpoint
  ASSERT_EQ(ttl.keys_size(), 1);
  EXPECT_EQ(ttl.keys(0), "k");
  // The attachment survived too: revoking deletes the key.
  ASSERT_TRUE(Apply(RevokeReq(1)).status.ok());
  EXPECT_EQ(Get(RangeOf("k")).kvs_size(), 0);
}

}  // namespace
}  // namespace kvstore::testing
