// Watch history, the event listener, HashKV, compaction's physical effect,
// the apply contract (idempotent replay, batches, sticky failure) and
// snapshots.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "kvstore/errors.h"
#include "tests/kvstore/store_test_util.h"

namespace kvstore::testing {
namespace {

const std::string kNul("\0", 1);

std::string Describe(const mvccpb::Event& e) {
  std::string s = e.type() == mvccpb::Event::PUT ? "PUT " : "DEL ";
  s += e.kv().key() + "@" + std::to_string(e.kv().mod_revision());
  if (e.type() == mvccpb::Event::PUT) s += "=" + e.kv().value();
  if (e.has_prev_kv()) s += " prev=" + e.prev_kv().value();
  return s;
}

std::vector<std::string> Describe(const std::vector<mvccpb::Event>& evs) {
  std::vector<std::string> out;
  for (const auto& e : evs) out.push_back(Describe(e));
  return out;
}

int64_t CountRows(const std::string& db_path, int64_t max_main) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "SELECT count(*) FROM kv WHERE rev_main <= ?1", -1, &q,
                     nullptr);
  sqlite3_bind_int64(q, 1, max_main);
  int64_t n = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
  sqlite3_finalize(q);
  sqlite3_close(db);
  return n;
}

class HistoryTest : public StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    ASSERT_TRUE(Put("a", "1").ok());                   // 2
    ASSERT_TRUE(Put("b", "1").ok());                   // 3
    ASSERT_TRUE(Put("a", "2").ok());                   // 4
    ASSERT_TRUE(Apply(DelReq("a", "c")).status.ok());  // 5: a, b
    ASSERT_TRUE(Put("a", "3").ok());                   // 6
  }
};

TEST_F(HistoryTest, Events) {
  struct Case {
    const char* name;
    KeyRange range;
    int64_t start;
    bool prev_kv;
    size_t max;
    std::vector<std::string> want;
    int64_t next;
  } cases[] = {
      {"one key from the start",
       {"a", ""},
       1,
       false,
       100,
       {"PUT a@2=1", "PUT a@4=2", "DEL a@5", "PUT a@6=3"},
       7},
      {"one key with prev_kv",
       {"a", ""},
       3,
       true,
       100,
       {"PUT a@4=2 prev=1", "DEL a@5 prev=2", "PUT a@6=3"},
       7},
      {"range",
       {"a", kNul},
       3,
       false,
       100,
       {"PUT b@3=1", "PUT a@4=2", "DEL a@5", "DEL b@5", "PUT a@6=3"},
       7},
      {"paging never splits a revision",
       {"a", kNul},
       3,
       false,
       3,
       {"PUT b@3=1", "PUT a@4=2", "DEL a@5", "DEL b@5"},
       6},
      {"from the next revision: nothing yet",
       {"a", kNul},
       7,
       false,
       100,
       {},
       7},
      {"future start", {"a", kNul}, 9, false, 100, {}, 9},
      {"other key", {"zz", ""}, 1, false, 100, {}, 7},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto page = store_->Events(c.range, c.start, c.prev_kv, c.max);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(Describe(page->events), c.want);
    EXPECT_EQ(page->next_revision, c.next);
  }
}

TEST_F(HistoryTest, CompactedStart) {
  ASSERT_TRUE(Apply(CompactReq(4)).status.ok());
  EXPECT_EQ(store_->Events({"a", ""}, 3, false, 10).status(), ErrCompacted());
  auto page = store_->Events({"a", ""}, 4, true, 10);  // equal is fine
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(
      Describe(page->events),
      (std::vector<std::string>{"PUT a@4=2", "DEL a@5 prev=2", "PUT a@6=3"}));
  EXPECT_EQ(store_->CompactRevision(), 4);
}

TEST_F(HistoryTest, CompactionRemovesRowsPhysically) {
  const std::string db = dir_.File("db");
  EXPECT_EQ(CountRows(db, 6), 6);  // 4 puts + 2 tombstones
  EXPECT_EQ(Apply(CompactReq(1)).status, base::Status());  // nothing below
  EXPECT_EQ(Apply(CompactReq(1)).status, ErrCompacted());  // twice
  EXPECT_EQ(Apply(CompactReq(7)).status, ErrFutureRev());
  ASSERT_TRUE(Apply(CompactReq(5)).status.ok());
  // Left: a@6 only (a@2, a@4 superseded; both tombstones at 5 gone).
  EXPECT_EQ(CountRows(db, 6), 1);
  EXPECT_EQ(store_->CurrentRevision(), 6);
  ASSERT_TRUE(Apply(CompactReq(6)).status.ok());  // at the current revision
  Reopen();
  EXPECT_EQ(store_->CurrentRevision(), 6);
  EXPECT_EQ(store_->CompactRevision(), 6);
  EXPECT_EQ(Get(RangeOf("a")).kvs(0).value(), "3");
}

TEST_F(HistoryTest, CurrentRevisionSurvivesCompactingEverything) {
  ASSERT_TRUE(Apply(DelReq("a")).status.ok());  // 7: nothing live
  ASSERT_TRUE(Apply(CompactReq(7)).status.ok());
  EXPECT_EQ(CountRows(dir_.File("db"), 100), 0);
  Reopen();
  EXPECT_EQ(store_->CurrentRevision(), 7);
  ASSERT_TRUE(Put("n", "v").ok());
  EXPECT_EQ(Get(RangeOf("n")).kvs(0).mod_revision(), 8);
}

TEST_F(HistoryTest, ListenerSeesRevisionsInOrderAfterCommit) {
  std::vector<std::string> seen;
  store_->SetEventListener(
      [&](int64_t rev, const std::vector<mvccpb::Event>& evs) {
        seen.push_back("rev " + std::to_string(rev));
        for (const auto& d : Describe(evs)) seen.push_back(d);
      },
      true);
  ASSERT_TRUE(store_->BeginBatch().ok());
  ASSERT_TRUE(store_->Apply(++index_, PutReq("a", "4")).ok());
  ASSERT_TRUE(store_->Apply(++index_, DelReq("a", kNul)).ok());
  ASSERT_TRUE(store_->Apply(++index_, PutReq("c", "1")).ok());
  EXPECT_TRUE(seen.empty());  // nothing before the commit
  ASSERT_TRUE(store_->CommitBatch().ok());
  EXPECT_EQ(seen,
            (std::vector<std::string>{"rev 7", "PUT a@7=4 prev=3", "rev 8",
                                      "DEL a@8 prev=4", "rev 9", "PUT c@9=1"}));
}

TEST_F(HistoryTest, HashKV) {
  auto h = store_->HashKV(0);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->revision, 6);
  EXPECT_EQ(h->compact_revision, -1);  // Never compacted: etcd says -1.
  auto h4 = store_->HashKV(4);
  ASSERT_TRUE(h4.ok());
  EXPECT_NE(h4->hash, h->hash);
  EXPECT_EQ(store_->HashKV(7).status(), ErrFutureRev());
  // Another store given the same entries hashes the same.
  TempDir other;
  auto s = Store::Open(other.File("db"), MakeOptions());
  ASSERT_TRUE(s.ok());
  uint64_t i = 0;
  for (const auto& r : {PutReq("a", "1"), PutReq("b", "1"), PutReq("a", "2"),
                        DelReq("a", "c"), PutReq("a", "3")}) {
    ASSERT_TRUE((*s)->Apply(++i, r).ok());
  }
  EXPECT_EQ((*s)->HashKV(0)->hash, h->hash);
  EXPECT_EQ((*s)->HashKV(4)->hash, h4->hash);
  // And differs once it diverges.
  ASSERT_TRUE((*s)->Apply(++i, PutReq("a", "x")).ok());
  ASSERT_TRUE(Put("a", "y").ok());
  EXPECT_NE((*s)->HashKV(0)->hash, store_->HashKV(0)->hash);
  ASSERT_TRUE(Apply(CompactReq(5)).status.ok());
  EXPECT_EQ(store_->HashKV(4).status(), ErrCompacted());
  EXPECT_EQ(store_->HashKV(0)->compact_revision, 5);
}

class ApplyContractTest : public StoreFixture {};

TEST_F(ApplyContractTest, ReplayIsIdempotent) {
  ASSERT_TRUE(store_->Apply(1, PutReq("a", "1")).ok());
  ASSERT_TRUE(store_->Apply(2, PutReq("a", "2")).ok());
  Reopen();
  EXPECT_EQ(store_->ConsistentIndex(), 2u);
  auto again = store_->Apply(1, PutReq("a", "1"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->applied);
  again = store_->Apply(2, PutReq("a", "2"));
  EXPECT_FALSE(again->applied);
  EXPECT_EQ(store_->CurrentRevision(), 3);
  EXPECT_EQ(Get(RangeOf("a")).kvs(0).version(), 2);
  // Gaps (entries that were not for the store) are fine.
  auto next = store_->Apply(10, PutReq("a", "3"));
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(next->applied);
  EXPECT_EQ(store_->ConsistentIndex(), 10u);
}

TEST_F(ApplyContractTest, UncommittedBatchIsLostAsAWhole) {
  ASSERT_TRUE(store_->Apply(1, PutReq("a", "1")).ok());
  ASSERT_TRUE(store_->BeginBatch().ok());
  ASSERT_TRUE(store_->Apply(2, PutReq("a", "2")).ok());
  ASSERT_TRUE(store_->Apply(3, PutReq("b", "2")).ok());
  EXPECT_EQ(Get(RangeOf("b")).kvs_size(), 1);  // visible inside the batch
  Reopen();  // closing without CommitBatch rolls the batch back
  EXPECT_EQ(store_->ConsistentIndex(), 1u);
  EXPECT_EQ(Get(RangeOf("a")).kvs(0).value(), "1");
  EXPECT_EQ(Get(RangeOf("b")).kvs_size(), 0);
}

TEST_F(ApplyContractTest, IoErrorIsStickyAndNamesTheFile) {
  int commits = 0;
  Options o = MakeOptions();
  o.fault_hook = [&](std::string_view point) {
    if (point == "commit" && ++commits == 2) {
      return base::Status::Internal("injected disk I/O error");
    }
    return base::Status();
  };
  store_.reset();
  auto s = Store::Open(dir_.File("db"), o);
  ASSERT_TRUE(s.ok());
  store_ = std::move(s).value();
  ASSERT_TRUE(store_->Apply(1, PutReq("a", "1")).ok());
  auto failed = store_->Apply(2, PutReq("a", "2"));
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find(dir_.File("db")), std::string::npos);
  EXPECT_NE(failed.status().message().find("injected"), std::string::npos);
  EXPECT_EQ(store_->Apply(3, PutReq("a", "3")).status(), failed.status());
  EXPECT_EQ(store_->Range(RangeOf("a")).status(), failed.status());
  EXPECT_EQ(store_->health(), failed.status());
  Reopen();  // entry 2 was not applied: replay resumes there
  EXPECT_EQ(store_->ConsistentIndex(), 1u);
  EXPECT_EQ(Get(RangeOf("a")).kvs(0).value(), "1");
}

TEST_F(ApplyContractTest, SnapshotAndRestore) {
  ASSERT_TRUE(store_->Apply(1, GrantReq(9, 100)).ok());
  ASSERT_TRUE(store_->Apply(2, PutReq("a", "1", 9)).ok());
  ASSERT_TRUE(store_->Apply(3, PutReq("b", "1")).ok());
  // A batch open during the snapshot is not in it.
  ASSERT_TRUE(store_->BeginBatch().ok());
  ASSERT_TRUE(store_->Apply(4, PutReq("c", "1")).ok());
  const std::string snap = dir_.File("snap");
  ASSERT_TRUE(store_->Snapshot(snap).ok());
  ASSERT_TRUE(store_->CommitBatch().ok());
  EXPECT_FALSE(store_->Snapshot(snap).ok());  // never overwrites
  const uint32_t hash_at_3 = store_->HashKV(3)->hash;

  // Restore into another store.
  TempDir other;
  auto s = Store::Open(other.File("db"), MakeOptions());
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->Apply(1, PutReq("junk", "x")).ok());
  ASSERT_TRUE((*s)->Restore(snap).ok());
  EXPECT_EQ((*s)->ConsistentIndex(), 3u);
  EXPECT_EQ((*s)->CurrentRevision(), 3);
  EXPECT_EQ((*s)->HashKV(0)->hash, hash_at_3);
  EXPECT_EQ((*s)->Range(RangeOf("junk"))->kvs_size(), 0);
  EXPECT_EQ((*s)->Range(RangeOf("c"))->kvs_size(), 0);
  ASSERT_EQ((*s)->LeaseLeases().leases_size(), 1);
  // Replay continues from the snapshot's index; the lease still owns "a".
  ASSERT_TRUE((*s)->Apply(4, PutReq("c", "1")).ok());
  ASSERT_TRUE((*s)->Apply(5, RevokeReq(9))->status.ok());
  EXPECT_EQ((*s)->Range(RangeOf("a"))->kvs_size(), 0);
  // Not a snapshot: refused, the store is unharmed.
  const std::string bogus = dir_.File("bogus");
  FILE* f = fopen(bogus.c_str(), "w");
  fputs("not a database", f);
  fclose(f);
  EXPECT_FALSE((*s)->Restore(bogus).ok());
  EXPECT_EQ((*s)->Range(RangeOf("b"))->kvs_size(), 1);
}

// etcd's compaction floor starts at -1: compacting at 0 on a fresh store
// works once, then 0 is compacted like any other revision.
TEST_F(StoreFixture, CompactZeroOnAFreshStore) {
  EXPECT_EQ(store_->CompactRevision(), -1);
  EXPECT_TRUE(Apply(CompactReq(0)).status.ok());
  EXPECT_EQ(store_->CompactRevision(), 0);
  EXPECT_EQ(Apply(CompactReq(0)).status, ErrCompacted());
  EXPECT_TRUE(Apply(CompactReq(1)).status.ok());
}

}  // namespace
}  // namespace kvstore::testing
