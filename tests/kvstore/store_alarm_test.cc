// Alarms (etcd-v3-api.md 4.10): raising, listing and clearing, the writes a
// raised NOSPACE or CORRUPT refuses, survival across restart and restore;
// database sizes and defragmentation.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "kvstore/errors.h"
#include "tests/kvstore/store_test_util.h"

namespace kvstore::testing {
namespace {

cairnpb::InternalRequest AlarmReq(etcdserverpb::AlarmRequest::AlarmAction a,
                                  uint64_t member, etcdserverpb::AlarmType t) {
  cairnpb::InternalRequest r;
  r.mutable_alarm()->set_action(a);
  r.mutable_alarm()->set_memberid(member);
  r.mutable_alarm()->set_alarm(t);
  return r;
}

// "type/member" of each alarm, in order.
std::vector<std::string> Names(
    const google::protobuf::RepeatedPtrField<etcdserverpb::AlarmMember>& in) {
  std::vector<std::string> out;
  for (const auto& m : in) {
    out.push_back(etcdserverpb::AlarmType_Name(m.alarm()) + "/" +
                  std::to_string(m.memberid()));
  }
  return out;
}
std::vector<std::string> Names(
    const std::vector<etcdserverpb::AlarmMember>& v) {
  google::protobuf::RepeatedPtrField<etcdserverpb::AlarmMember> f(v.begin(),
                                                                  v.end());
  return Names(f);
}

class AlarmTest : public StoreFixture {
 protected:
  std::vector<std::string> Do(etcdserverpb::AlarmRequest::AlarmAction a,
                              uint64_t member, etcdserverpb::AlarmType t) {
    ApplyResult res = Apply(AlarmReq(a, member, t));
    EXPECT_TRUE(res.status.ok()) << res.status;
    return Names(res.response.alarm().alarms());
  }
};

using etcdserverpb::CORRUPT;
using etcdserverpb::NONE;
using etcdserverpb::NOSPACE;
using A = etcdserverpb::AlarmRequest;

TEST_F(AlarmTest, ActivateGetDeactivate) {
  EXPECT_TRUE(Do(A::GET, 0, NONE).empty());
  EXPECT_EQ(Do(A::ACTIVATE, 7, NOSPACE), std::vector<std::string>{"NOSPACE/7"});
  // Raising it again answers the existing alarm and adds nothing.
  EXPECT_EQ(Do(A::ACTIVATE, 7, NOSPACE), std::vector<std::string>{"NOSPACE/7"});
  EXPECT_EQ(Do(A::ACTIVATE, 3, NOSPACE), std::vector<std::string>{"NOSPACE/3"});
  EXPECT_EQ(Do(A::ACTIVATE, 3, CORRUPT), std::vector<std::string>{"CORRUPT/3"});
  EXPECT_EQ(Do(A::GET, 0, NONE),
            (std::vector<std::string>{"NOSPACE/3", "NOSPACE/7", "CORRUPT/3"}));
  // GET filters by type only, as etcd's (the member ID is ignored).
  EXPECT_EQ(Do(A::GET, 3, NOSPACE),
            (std::vector<std::string>{"NOSPACE/3", "NOSPACE/7"}));
  EXPECT_EQ(Do(A::DEACTIVATE, 3, NOSPACE),
            std::vector<std::string>{"NOSPACE/3"});
  // Clearing an alarm that is not raised answers nothing.
  EXPECT_TRUE(Do(A::DEACTIVATE, 3, NOSPACE).empty());
  EXPECT_EQ(Names(store_->Alarms()),
            (std::vector<std::string>{"NOSPACE/7", "CORRUPT/3"}));
}

TEST_F(AlarmTest, NoSpaceRefusesWritesThatGrow) {
  ASSERT_TRUE(Put("a", "1").ok());
  Do(A::ACTIVATE, 1, NOSPACE);
  cairnpb::InternalRequest txn_put;
  txn_put.mutable_txn()->add_failure()->mutable_request_put()->set_key("b");
  cairnpb::InternalRequest txn_del;
  txn_del.mutable_txn()->add_success()->mutable_request_delete_range()->set_key(
      "a");
  struct Case {
    const char* name;
    cairnpb::InternalRequest req;
    base::Status want;
  } cases[] = {
      {"put", PutReq("b", "2"), ErrNoSpace()},
      {"txn with a put", txn_put, ErrNoSpace()},
      {"lease grant", GrantReq(5, 10), ErrNoSpace()},
      {"txn without puts", txn_del, base::Status()},
      {"delete", DelReq("zz"), base::Status()},
      {"compaction", CompactReq(1), base::Status()},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Apply(c.req).status, c.want);
  }
  EXPECT_EQ(Get(RangeOf("b")).count(), 0);  // Nothing of the refused writes.
  Do(A::DEACTIVATE, 1, NOSPACE);
  EXPECT_TRUE(Put("b", "2").ok());
}

TEST_F(AlarmTest, CorruptRefusesEveryWrite) {
  ASSERT_TRUE(Put("a", "1").ok());
  Do(A::ACTIVATE, 1, CORRUPT);
  for (const cairnpb::InternalRequest& r :
       {PutReq("b", "2"), DelReq("a"), CompactReq(1), GrantReq(5, 10),
        RevokeReq(5)}) {
    EXPECT_EQ(Apply(r).status, ErrCorrupt()) << r.ShortDebugString();
  }
  EXPECT_EQ(Get(RangeOf("a")).count(), 1);  // Reads still work.
}

TEST_F(AlarmTest, AlarmsSurviveRestartAndTravelInSnapshots) {
  Do(A::ACTIVATE, 9, NOSPACE);
  Reopen();
  EXPECT_EQ(Names(store_->Alarms()), std::vector<std::string>{"NOSPACE/9"});
  EXPECT_EQ(Apply(PutReq("a", "1")).status, ErrNoSpace());
  ASSERT_TRUE(store_->Snapshot(dir_.File("snap")).ok());
  Do(A::DEACTIVATE, 9, NOSPACE);
  EXPECT_TRUE(store_->Alarms().empty());
  ASSERT_TRUE(store_->Restore(dir_.File("snap")).ok());
  EXPECT_EQ(Names(store_->Alarms()), std::vector<std::string>{"NOSPACE/9"});
}

TEST_F(AlarmTest, DefragmentGivesSpaceBack) {
  const std::string value(4000, 'v');
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(Put("k" + std::to_string(i), value).ok());
  }
  int64_t full = store_->CachedDbSize();
  EXPECT_GT(full, 200 * 4000);
  EXPECT_EQ(store_->CachedDbSize(), store_->DbSize().value());
  ASSERT_TRUE(Apply(DelReq("k", "l")).status.ok());
  ASSERT_TRUE(Apply(CompactReq(store_->CurrentRevision())).status.ok());
  // Compaction frees pages but the file keeps them.
  EXPECT_GE(store_->CachedDbSize(), full);
  EXPECT_LT(store_->CachedDbSizeInUse(), full / 4);
  ASSERT_TRUE(store_->Defragment().ok());
  EXPECT_LT(store_->CachedDbSize(), full / 4);
  EXPECT_EQ(store_->CachedDbSize(), store_->CachedDbSizeInUse());
  // The store works on, and what it holds is intact.
  ASSERT_TRUE(Put("after", "1").ok());
  Reopen();
  EXPECT_EQ(Get(RangeOf("after")).count(), 1);
  EXPECT_EQ(Get(RangeOf("k", "l")).count(), 0);
}

TEST_F(AlarmTest, DefragmentWaitsForTheOpenBatch) {
  ASSERT_TRUE(store_->BeginBatch().ok());
  ASSERT_TRUE(store_->Apply(++index_, PutReq("a", "1")).ok());
  base::Status defrag;
  std::thread t([&] { defrag = store_->Defragment(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(store_->CommitBatch().ok());
  t.join();
  EXPECT_TRUE(defrag.ok()) << defrag;
  EXPECT_EQ(Get(RangeOf("a")).count(), 1);
}

}  // namespace
}  // namespace kvstore::testing
