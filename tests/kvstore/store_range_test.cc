// Range, Put and DeleteRange against etcd-v3-api.md 4.2-4.5.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kvstore/errors.h"
#include "tests/kvstore/store_test_util.h"

namespace kvstore::testing {
namespace {

using etcdserverpb::RangeRequest;
const std::string kNul("\0", 1);

std::vector<std::string> Keys(const etcdserverpb::RangeResponse& r) {
  std::vector<std::string> keys;
  for (const auto& kv : r.kvs()) keys.push_back(kv.key());
  return keys;
}

class RangeTest : public StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    ASSERT_TRUE(Put("a", "1").ok());              // 2
    ASSERT_TRUE(Put("b", "2").ok());              // 3
    ASSERT_TRUE(Put("c", "3").ok());              // 4
    ASSERT_TRUE(Put("a", "11").ok());             // 5
    ASSERT_TRUE(Apply(DelReq("b")).status.ok());  // 6
    ASSERT_TRUE(Put("b", "222").ok());            // 7
    ASSERT_TRUE(Put("foo", "f").ok());            // 8
    ASSERT_TRUE(Put("foo/x", "fx").ok());         // 9
    ASSERT_TRUE(Put("fop", "p").ok());            // 10
    ASSERT_EQ(store_->CurrentRevision(), 10);
  }
};

TEST_F(RangeTest, Table) {
  auto req = [](std::string k, std::string end = "", int64_t rev = 0) {
    return RangeOf(k, end, rev);
  };
  auto with = [](RangeRequest r, auto f) {
    f(r);
    return r;
  };
  struct Case {
    const char* name;
    RangeRequest req;
    std::vector<std::string> keys;
    int64_t count;
    bool more;
  };
  const std::vector<std::string> all = {"a", "b", "c", "foo", "foo/x", "fop"};
  const Case cases[] = {
      {"single key", req("a"), {"a"}, 1, false},
      {"missing key", req("zz"), {}, 0, false},
      {"range", req("a", "c"), {"a", "b"}, 2, false},
      {"prefix", req("foo", "fop"), {"foo", "foo/x"}, 2, false},
      {"from key", req("c", kNul), {"c", "foo", "foo/x", "fop"}, 4, false},
      {"whole keyspace", req(kNul, kNul), all, 6, false},
      {"end before key", req("c", "a"), {}, 0, false},
      {"limit",
       with(req(kNul, kNul), [](auto& r) { r.set_limit(2); }),
       {"a", "b"},
       6,
       true},
      {"limit equal to count",
       with(req(kNul, kNul), [](auto& r) { r.set_limit(6); }), all, 6, false},
      {"at revision 4", req(kNul, kNul, 4), {"a", "b", "c"}, 3, false},
      {"at revision 6: b deleted", req(kNul, kNul, 6), {"a", "c"}, 2, false},
      {"at revision 1: empty", req(kNul, kNul, 1), {}, 0, false},
      {"sort key descend",
       with(req(kNul, kNul),
            [](auto& r) { r.set_sort_order(RangeRequest::DESCEND); }),
       {"fop", "foo/x", "foo", "c", "b", "a"},
       6,
       false},
      {"sort create, order NONE means ascend",
       with(req(kNul, kNul),
            [](auto& r) { r.set_sort_target(RangeRequest::CREATE); }),
       {"a", "c", "b", "foo", "foo/x", "fop"},
       6,
       false},
      {"sort mod descend with limit",
       with(req(kNul, kNul),
            [](auto& r) {
              r.set_sort_target(RangeRequest::MOD);
              r.set_sort_order(RangeRequest::DESCEND);
              r.set_limit(2);
            }),
       {"fop", "foo/x"},
       6,
       true},
      {"sort version descend, ties in key order",
       with(req(kNul, kNul),
            [](auto& r) {
              r.set_sort_target(RangeRequest::VERSION);
              r.set_sort_order(RangeRequest::DESCEND);
            }),
       {"a", "b", "c", "foo", "foo/x", "fop"},
       6,
       false},
      {"sort value descend",
       with(req(kNul, kNul),
            [](auto& r) {
              r.set_sort_target(RangeRequest::VALUE);
              r.set_sort_order(RangeRequest::DESCEND);
            }),
       {"fop", "foo/x", "foo", "c", "b", "a"},
       6,
       false},
      {"min mod revision",
       with(req(kNul, kNul), [](auto& r) { r.set_min_mod_revision(8); }),
       {"foo", "foo/x", "fop"},
       6,
       false},
      {"max mod revision",
       with(req(kNul, kNul), [](auto& r) { r.set_max_mod_revision(5); }),
       {"a", "c"},
       6,
       false},
      {"min create revision",
       with(req(kNul, kNul), [](auto& r) { r.set_min_create_revision(7); }),
       {"b", "foo", "foo/x", "fop"},
       6,
       false},
      {"max create revision with limit",
       with(req(kNul, kNul),
            [](auto& r) {
              r.set_max_create_revision(7);
              r.set_limit(2);
            }),
       {"a", "b"},
       6,
       true},
      {"count only",
       with(req(kNul, kNul), [](auto& r) { r.set_count_only(true); }),
       {},
       6,
       false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto resp = Get(c.req);
    EXPECT_EQ(Keys(resp), c.keys);
    EXPECT_EQ(resp.count(), c.count);
    EXPECT_EQ(resp.more(), c.more);
    EXPECT_EQ(resp.header().revision(), 10);
  }
}

TEST_F(RangeTest, KeyValueFields) {
  auto resp = Get(RangeOf("a"));
  ASSERT_EQ(resp.kvs_size(), 1);
  const auto& kv = resp.kvs(0);
  EXPECT_EQ(kv.create_revision(), 2);
  EXPECT_EQ(kv.mod_revision(), 5);
  EXPECT_EQ(kv.version(), 2);
  EXPECT_EQ(kv.value(), "11");
  EXPECT_EQ(kv.lease(), 0);
  // A new generation after a delete: version 1, new create_revision.
  resp = Get(RangeOf("b"));
  ASSERT_EQ(resp.kvs_size(), 1);
  EXPECT_EQ(resp.kvs(0).create_revision(), 7);
  EXPECT_EQ(resp.kvs(0).version(), 1);
  // History: a at revision 4.
  resp = Get(RangeOf("a", "", 4));
  ASSERT_EQ(resp.kvs_size(), 1);
  EXPECT_EQ(resp.kvs(0).value(), "1");
  EXPECT_EQ(resp.kvs(0).version(), 1);
  EXPECT_EQ(resp.header().revision(), 10);
}

TEST_F(RangeTest, KeysOnly) {
  auto r = RangeOf("a", "c");
  r.set_keys_only(true);
  auto resp = Get(r);
  ASSERT_EQ(resp.kvs_size(), 2);
  EXPECT_EQ(resp.kvs(0).value(), "");
  EXPECT_EQ(resp.kvs(0).mod_revision(), 5);
}

TEST_F(RangeTest, Errors) {
  EXPECT_EQ(store_->Range(RangeOf("")).status(), ErrEmptyKey());
  EXPECT_EQ(store_->Range(RangeOf("a", "", 11)).status(), ErrFutureRev());
  ASSERT_TRUE(Apply(CompactReq(5)).status.ok());
  EXPECT_EQ(store_->Range(RangeOf("a", "", 4)).status(), ErrCompacted());
  auto at5 = Get(RangeOf(kNul, kNul, 5));  // at the compaction point: fine
  EXPECT_EQ(Keys(at5), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(at5.kvs(0).value(), "11");
}

TEST(ErrorsTest, EtcdMessagesAndCodes) {
  using C = base::StatusCode;
  struct Case {
    base::Status got;
    C code;
    const char* message;
  } cases[] = {
      {ErrEmptyKey(), C::kInvalidArgument, "etcdserver: key is not provided"},
      {ErrKeyNotFound(), C::kInvalidArgument, "etcdserver: key not found"},
      {ErrValueProvided(), C::kInvalidArgument,
       "etcdserver: value is provided"},
      {ErrLeaseProvided(), C::kInvalidArgument,
       "etcdserver: lease is provided"},
      {ErrTooManyOps(), C::kInvalidArgument,
       "etcdserver: too many operations in txn request"},
      {ErrDuplicateKey(), C::kInvalidArgument,
       "etcdserver: duplicate key given in txn request"},
      {ErrCompacted(), C::kOutOfRange,
       "etcdserver: mvcc: required revision has been compacted"},
      {ErrFutureRev(), C::kOutOfRange,
       "etcdserver: mvcc: required revision is a future revision"},
      {ErrLeaseNotFound(), C::kNotFound,
       "etcdserver: requested lease not found"},
      {ErrLeaseExist(), C::kFailedPrecondition,
       "etcdserver: lease already exists"},
      {ErrLeaseTTLTooLarge(), C::kOutOfRange,
       "etcdserver: too large lease TTL"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    EXPECT_EQ(c.got.code(), c.code);
    EXPECT_EQ(c.got.message(), c.message);
  }
}

class PutTest : public StoreFixture {};

TEST_F(PutTest, RevisionsAndPrevKv) {
  auto r = PutReq("k", "v1");
  r.mutable_put()->set_prev_kv(true);
  ApplyResult res = Apply(r);
  ASSERT_TRUE(res.status.ok());
  EXPECT_EQ(res.response.put().header().revision(), 2);
  EXPECT_FALSE(res.response.put().has_prev_kv());  // key did not exist
  r.mutable_put()->set_value("v2");
  res = Apply(r);
  EXPECT_EQ(res.response.put().header().revision(), 3);
  ASSERT_TRUE(res.response.put().has_prev_kv());
  EXPECT_EQ(res.response.put().prev_kv().value(), "v1");
  EXPECT_EQ(res.response.put().prev_kv().mod_revision(), 2);
}

TEST_F(PutTest, IgnoreValueAndLease) {
  ASSERT_TRUE(Apply(GrantReq(7, 60)).status.ok());
  ASSERT_TRUE(Put("k", "v", 7).ok());
  cairnpb::InternalRequest r;
  r.mutable_put()->set_key("k");
  r.mutable_put()->set_ignore_value(true);
  r.mutable_put()->set_ignore_lease(true);
  ASSERT_TRUE(Apply(r).status.ok());
  auto kv = Get(RangeOf("k")).kvs(0);
  EXPECT_EQ(kv.value(), "v");
  EXPECT_EQ(kv.lease(), 7);
  EXPECT_EQ(kv.version(), 2);
  // A plain put detaches the lease.
  ASSERT_TRUE(Put("k", "w").ok());
  EXPECT_EQ(Get(RangeOf("k")).kvs(0).lease(), 0);
}

TEST_F(PutTest, Errors) {
  struct Case {
    const char* name;
    etcdserverpb::PutRequest put;
    base::Status want;
  };
  auto put = [](std::string k, std::string v, auto f) {
    etcdserverpb::PutRequest p;
    p.set_key(k);
    p.set_value(v);
    f(p);
    return p;
  };
  auto none = [](auto&) {};
  ASSERT_TRUE(Put("exists", "v").ok());
  const Case cases[] = {
      {"empty key", put("", "v", none), ErrEmptyKey()},
      {"ignore_value with a value",
       put("exists", "v", [](auto& p) { p.set_ignore_value(true); }),
       ErrValueProvided()},
      {"ignore_lease with a lease",
       put("exists", "",
           [](auto& p) {
             p.set_ignore_lease(true);
             p.set_lease(5);
           }),
       ErrLeaseProvided()},
      {"ignore_value on a missing key",
       put("missing", "", [](auto& p) { p.set_ignore_value(true); }),
       ErrKeyNotFound()},
      {"ignore_lease on a missing key",
       put("missing", "", [](auto& p) { p.set_ignore_lease(true); }),
       ErrKeyNotFound()},
      {"unknown lease", put("k", "v", [](auto& p) { p.set_lease(99); }),
       ErrLeaseNotFound()},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    cairnpb::InternalRequest r;
    *r.mutable_put() = c.put;
    uint64_t before = store_->ConsistentIndex();
    ApplyResult res = Apply(r);
    EXPECT_TRUE(res.applied);
    EXPECT_EQ(res.status, c.want);
    EXPECT_EQ(store_->CurrentRevision(), 2);           // nothing written
    EXPECT_EQ(store_->ConsistentIndex(), before + 1);  // entry consumed
  }
}

class DeleteTest : public StoreFixture {};

TEST_F(DeleteTest, Table) {
  struct Case {
    const char* name;
    std::string key, end;
    int64_t deleted;
    std::vector<std::string> left;
  } cases[] = {
      {"single", "b", "", 1, {"a", "c", "foo", "foo/x", "fop"}},
      {"missing", "zz", "", 0, {"a", "b", "c", "foo", "foo/x", "fop"}},
      {"range", "a", "c", 2, {"c", "foo", "foo/x", "fop"}},
      {"prefix", "foo", "fop", 2, {"a", "b", "c", "fop"}},
      {"from key", "c", kNul, 4, {"a", "b"}},
      {"all", kNul, kNul, 6, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Fresh();
    for (const char* k : {"a", "b", "c", "foo", "foo/x", "fop"}) {
      ASSERT_TRUE(Put(k, std::string("v") + k).ok());
    }
    ApplyResult res = Apply(DelReq(c.key, c.end, true));
    ASSERT_TRUE(res.status.ok());
    const auto& d = res.response.delete_range();
    EXPECT_EQ(d.deleted(), c.deleted);
    ASSERT_EQ(d.prev_kvs_size(), c.deleted);
    for (const auto& kv : d.prev_kvs()) EXPECT_EQ(kv.value(), "v" + kv.key());
    // One revision for the whole delete; none when nothing matched.
    EXPECT_EQ(store_->CurrentRevision(), c.deleted > 0 ? 8 : 7);
    EXPECT_EQ(d.header().revision(), store_->CurrentRevision());
    EXPECT_EQ(Keys(Get(RangeOf(kNul, kNul))), c.left);
  }
}

TEST_F(DeleteTest, EmptyKey) {
  EXPECT_EQ(Apply(DelReq("")).status, ErrEmptyKey());
}

}  // namespace
}  // namespace kvstore::testing
