// Txn against etcd-v3-api.md 4.6: compares, branches, nesting, one revision
// per txn, duplicate keys, max ops, errors of the branch that runs.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kvstore/errors.h"
#include "tests/kvstore/store_test_util.h"

namespace kvstore::testing {
namespace {

using etcdserverpb::Compare;
using etcdserverpb::RequestOp;
using etcdserverpb::TxnRequest;

Compare Cmp(std::string key, Compare::CompareTarget t, Compare::CompareResult r,
            int64_t n, std::string value = "", std::string end = "") {
  Compare c;
  c.set_key(key);
  c.set_target(t);
  c.set_result(r);
  c.set_range_end(end);
  switch (t) {
    case Compare::VERSION:
      c.set_version(n);
      break;
    case Compare::CREATE:
      c.set_create_revision(n);
      break;
    case Compare::MOD:
      c.set_mod_revision(n);
      break;
    case Compare::VALUE:
      c.set_value(value);
      break;
    case Compare::LEASE:
      c.set_lease(n);
      break;
    default:
      break;
  }
  return c;
}

RequestOp OpPut(std::string k, std::string v) {
  RequestOp op;
  op.mutable_request_put()->set_key(k);
  op.mutable_request_put()->set_value(v);
  return op;
}
RequestOp OpGet(std::string k, std::string end = "") {
  RequestOp op;
  op.mutable_request_range()->set_key(k);
  op.mutable_request_range()->set_range_end(end);
  return op;
}
RequestOp OpDel(std::string k, std::string end = "") {
  RequestOp op;
  op.mutable_request_delete_range()->set_key(k);
  op.mutable_request_delete_range()->set_range_end(end);
  return op;
}
RequestOp OpTxn(TxnRequest t) {
  RequestOp op;
  *op.mutable_request_txn() = std::move(t);
  return op;
}
TxnRequest Txn(std::vector<Compare> cmps, std::vector<RequestOp> success,
               std::vector<RequestOp> failure = {}) {
  TxnRequest t;
  for (auto& c : cmps) *t.add_compare() = c;
  for (auto& o : success) *t.add_success() = o;
  for (auto& o : failure) *t.add_failure() = o;
  return t;
}
cairnpb::InternalRequest TxnReq(TxnRequest t) {
  cairnpb::InternalRequest r;
  *r.mutable_txn() = std::move(t);
  return r;
}

class TxnTest : public StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    ASSERT_TRUE(Apply(GrantReq(5, 100)).status.ok());
    ASSERT_TRUE(Put("a", "1").ok());     // rev 2
    ASSERT_TRUE(Put("a", "2").ok());     // rev 3: version 2, create 2
    ASSERT_TRUE(Put("b", "x", 5).ok());  // rev 4, lease 5
  }
};

TEST_F(TxnTest, Compares) {
  using C = Compare;
  struct Case {
    const char* name;
    Compare cmp;
    bool want;
  } cases[] = {
      {"version equal", Cmp("a", C::VERSION, C::EQUAL, 2), true},
      {"version greater", Cmp("a", C::VERSION, C::GREATER, 1), true},
      {"version less", Cmp("a", C::VERSION, C::LESS, 2), false},
      {"version not equal", Cmp("a", C::VERSION, C::NOT_EQUAL, 2), false},
      {"create equal", Cmp("a", C::CREATE, C::EQUAL, 2), true},
      {"mod equal", Cmp("a", C::MOD, C::EQUAL, 3), true},
      {"mod less", Cmp("a", C::MOD, C::LESS, 3), false},
      {"value equal", Cmp("a", C::VALUE, C::EQUAL, 0, "2"), true},
      {"value greater", Cmp("a", C::VALUE, C::GREATER, 0, "1"), true},
      {"value less", Cmp("a", C::VALUE, C::LESS, 0, "10"), false},
      {"lease equal", Cmp("b", C::LEASE, C::EQUAL, 5), true},
      {"lease of a key without", Cmp("a", C::LEASE, C::EQUAL, 0), true},
      {"missing key: create == 0", Cmp("zz", C::CREATE, C::EQUAL, 0), true},
      {"missing key: version > 0", Cmp("zz", C::VERSION, C::GREATER, 0), false},
      {"missing key: value never holds",
       Cmp("zz", C::VALUE, C::NOT_EQUAL, 0, "x"), false},
      {"range: all versions >= 1", Cmp("a", C::VERSION, C::GREATER, 0, "", "c"),
       true},
      {"range: not all versions == 2",
       Cmp("a", C::VERSION, C::EQUAL, 2, "", "c"), false},
      {"unset operand compares with 0",
       [] {
         Compare c;
         c.set_key("a");
         c.set_target(Compare::MOD);
         c.set_result(Compare::GREATER);
         return c;
       }(),
       true},
      // etcd's compareKV: an unknown target compares as equal, and an
      // unknown result holds whatever the comparison.
      {"unknown target compares equal",
       [] {
         Compare c = Cmp("a", Compare::VERSION, Compare::EQUAL, 0);
         c.set_target(static_cast<Compare::CompareTarget>(9));
         return c;
       }(),
       true},
      {"unknown result holds",
       [] {
         Compare c = Cmp("a", Compare::VERSION, Compare::EQUAL, 99);
         c.set_result(static_cast<Compare::CompareResult>(9));
         return c;
       }(),
       true},
      {"operand of another target is ignored",
       [] {
         Compare c = Cmp("a", Compare::VERSION, Compare::EQUAL, 0);
         c.set_mod_revision(2);  // replaces the version operand: version vs 0
         return c;
       }(),
       false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ApplyResult res = Apply(TxnReq(Txn({c.cmp}, {OpGet("a")}, {})));
    ASSERT_TRUE(res.status.ok()) << res.status;
    EXPECT_EQ(res.response.txn().succeeded(), c.want);
    EXPECT_EQ(res.response.txn().responses_size(), c.want ? 1 : 0);
    EXPECT_EQ(res.response.txn().header().revision(), 4);  // read-only
  }
}

TEST_F(TxnTest, OneRevisionAndReadYourWrites) {
  ApplyResult res =
      Apply(TxnReq(Txn({}, {OpPut("c", "1"), OpGet("c"), OpPut("d", "2"),
                            OpDel("a"), OpGet("a", "e")})));
  ASSERT_TRUE(res.status.ok()) << res.status;
  const auto& t = res.response.txn();
  EXPECT_TRUE(t.succeeded());
  EXPECT_EQ(t.header().revision(), 5);
  EXPECT_EQ(store_->CurrentRevision(), 5);
  ASSERT_EQ(t.responses_size(), 5);
  EXPECT_EQ(t.responses(0).response_put().header().revision(), 5);
  ASSERT_EQ(t.responses(1).response_range().kvs_size(), 1);
  EXPECT_EQ(t.responses(1).response_range().kvs(0).value(), "1");
  EXPECT_EQ(t.responses(1).response_range().kvs(0).mod_revision(), 5);
  EXPECT_EQ(t.responses(3).response_delete_range().deleted(), 1);
  std::vector<std::string> keys;
  for (const auto& kv : t.responses(4).response_range().kvs()) {
    keys.push_back(kv.key());
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"b", "c", "d"}));
  // Every change of the txn has mod_revision 5.
  auto r = Get(RangeOf("c"));
  EXPECT_EQ(r.kvs(0).mod_revision(), 5);
  EXPECT_EQ(Get(RangeOf("d")).kvs(0).mod_revision(), 5);
}

TEST_F(TxnTest, FailureBranchAndNested) {
  TxnRequest inner = Txn({Cmp("b", Compare::VALUE, Compare::EQUAL, 0, "x")},
                         {OpPut("in", "then")}, {OpPut("in", "else")});
  ApplyResult res =
      Apply(TxnReq(Txn({Cmp("a", Compare::VERSION, Compare::EQUAL, 9)},
                       {OpPut("s", "1")}, {OpTxn(inner), OpPut("f", "1")})));
  ASSERT_TRUE(res.status.ok()) << res.status;
  const auto& t = res.response.txn();
  EXPECT_FALSE(t.succeeded());
  ASSERT_EQ(t.responses_size(), 2);
  EXPECT_TRUE(t.responses(0).response_txn().succeeded());
  EXPECT_EQ(Get(RangeOf("in")).kvs(0).value(), "then");
  EXPECT_EQ(Get(RangeOf("s")).kvs_size(), 0);
  EXPECT_EQ(store_->CurrentRevision(), 5);  // nested writes: same revision
  EXPECT_EQ(Get(RangeOf("f")).kvs(0).mod_revision(), 5);
}

TEST_F(TxnTest, Errors) {
  std::vector<RequestOp> many;
  for (int i = 0; i < 4; ++i) many.push_back(OpGet("k" + std::to_string(i)));
  RequestOp empty_op;
  RequestOp put_unknown_lease = OpPut("k", "v");
  put_unknown_lease.mutable_request_put()->set_lease(42);
  RequestOp get_future = OpGet("a");
  get_future.mutable_request_range()->set_revision(99);
  RequestOp put_ignore_missing = OpPut("missing", "");
  put_ignore_missing.mutable_request_put()->set_ignore_value(true);
  struct Case {
    const char* name;
    TxnRequest txn;
    base::Status want;
  } cases[] = {
      {"too many ops", Txn({}, many), ErrTooManyOps()},
      {"too many ops in a nested txn", Txn({}, {OpTxn(Txn({}, {}, many))}),
       ErrTooManyOps()},
      {"empty compare key",
       Txn({Cmp("", Compare::VERSION, Compare::EQUAL, 0)}, {}), ErrEmptyKey()},
      {"empty op key", Txn({}, {OpPut("", "v")}), ErrEmptyKey()},
      {"empty request op", Txn({}, {empty_op}), ErrKeyNotFound()},
      {"duplicate put", Txn({}, {OpPut("k", "1"), OpPut("k", "2")}),
       ErrDuplicateKey()},
      {"put inside a deleted range",
       Txn({}, {OpDel("a", "z"), OpPut("k", "1")}), ErrDuplicateKey()},
      {"put in nested txn and outer",
       Txn({}, {OpPut("k", "1"), OpTxn(Txn({}, {OpPut("k", "2")}))}),
       ErrDuplicateKey()},
      {"nested put inside an outer deleted range",
       Txn({}, {OpDel("k"), OpTxn(Txn({}, {OpPut("k", "2")}))}),
       ErrDuplicateKey()},
      {"unknown lease in the branch that runs", Txn({}, {put_unknown_lease}),
       ErrLeaseNotFound()},
      {"future revision in the branch that runs", Txn({}, {get_future}),
       ErrFutureRev()},
      {"ignore_value on a missing key", Txn({}, {put_ignore_missing}),
       ErrKeyNotFound()},
  };
  max_txn_ops_ = 3;
  Reopen();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ApplyResult res = Apply(TxnReq(c.txn));
    EXPECT_EQ(res.status, c.want);
    EXPECT_EQ(store_->CurrentRevision(), 4);
  }
}

TEST_F(TxnTest, AllowedShapes) {
  // The same key in both branches of one nested txn is fine (one runs).
  ApplyResult res = Apply(TxnReq(
      Txn({}, {OpTxn(Txn({Cmp("a", Compare::VERSION, Compare::EQUAL, 2)},
                         {OpPut("k", "then")}, {OpPut("k", "else")}))})));
  ASSERT_TRUE(res.status.ok()) << res.status;
  EXPECT_EQ(Get(RangeOf("k")).kvs(0).value(), "then");
  // Errors only count in the branch that runs.
  RequestOp bad = OpPut("k2", "v");
  bad.mutable_request_put()->set_lease(42);
  res = Apply(TxnReq(Txn({}, {OpPut("ok", "1")}, {bad})));
  ASSERT_TRUE(res.status.ok()) << res.status;
  // Two overlapping deletes are allowed.
  res = Apply(TxnReq(Txn({}, {OpDel("a", "c"), OpDel("b", "d")})));
  ASSERT_TRUE(res.status.ok()) << res.status;
  EXPECT_EQ(res.response.txn().responses(0).response_delete_range().deleted(),
            2);
  EXPECT_EQ(res.response.txn().responses(1).response_delete_range().deleted(),
            0);
  // An empty txn succeeds with no responses and no new revision.
  int64_t rev = store_->CurrentRevision();
  res = Apply(TxnReq(TxnRequest()));
  ASSERT_TRUE(res.status.ok());
  EXPECT_TRUE(res.response.txn().succeeded());
  EXPECT_EQ(store_->CurrentRevision(), rev);
}

}  // namespace
}  // namespace kvstore::testing
