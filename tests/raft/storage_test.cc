// Tests of MemoryStorage (raft/storage.h), after etcd's storage_test.go.

#include "raft/storage.h"

#include <gtest/gtest.h>

#include "raft/config.h"
#include "raft/errors.h"
#include "tests/raft/core_test_util.h"

namespace raft {
namespace {

using raftpb::Entry;
using test::Ents;

// A storage holding ents (ents[0] becomes the dummy entry, as after a
// snapshot at its index).
void Fill(MemoryStorage* s, const std::vector<Entry>& ents) {
  raftpb::Snapshot snap;
  snap.metadata.index = ents[0].index;
  snap.metadata.term = ents[0].term;
  ASSERT_TRUE(s->ApplySnapshot(snap).ok());
  std::vector<Entry> rest(ents.begin() + 1, ents.end());
  ASSERT_TRUE(s->Append(rest).ok());
}

std::vector<Entry> All(const MemoryStorage& s) {
  std::vector<Entry> out;
  uint64_t first = *s.FirstIndex();
  uint64_t last = *s.LastIndex();
  if (first <= last) {
    EXPECT_TRUE(s.Entries(first, last + 1, kNoLimit, &out).ok());
  }
  return out;
}

TEST(MemoryStorageTest, Fresh) {
  MemoryStorage s;
  EXPECT_EQ(*s.FirstIndex(), 1u);
  EXPECT_EQ(*s.LastIndex(), 0u);
  EXPECT_EQ(*s.Term(0), 0u);
  EXPECT_EQ(s.Term(1).status(), ErrUnavailable());
  base::Result<PersistentState> st = s.InitialState();
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(raftpb::IsEmptyHardState(st->hard_state));
  raftpb::ConfState cs;
  cs.voters = {1, 2};
  s.SetInitialConfState(cs);
  EXPECT_EQ(s.InitialState()->conf_state, cs);
  raftpb::HardState hs{3, 2, 0};
  s.SetHardState(hs);
  EXPECT_EQ(s.InitialState()->hard_state, hs);
}

TEST(MemoryStorageTest, Term) {
  struct Case {
    uint64_t i;
    base::Status werr;
    uint64_t wterm;
  };
  const Case cases[] = {
      {2, ErrCompacted(), 0},   {3, {}, 3}, {4, {}, 4}, {5, {}, 5},
      {6, ErrUnavailable(), 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.i);
    MemoryStorage s;
    Fill(&s, Ents({{3, 3}, {4, 4}, {5, 5}}));
    base::Result<uint64_t> t = s.Term(c.i);
    EXPECT_EQ(t.status(), c.werr);
    EXPECT_EQ(t.value_or(0), c.wterm);
  }
}

TEST(MemoryStorageTest, Entries) {
  std::vector<Entry> ents = Ents({{3, 3}, {4, 4}, {5, 5}, {6, 6}});
  uint64_t s4 = test::Size(ents[1]);
  uint64_t s5 = test::Size(ents[2]);
  uint64_t s6 = test::Size(ents[3]);
  struct Case {
    uint64_t lo, hi, max;
    base::Status werr;
    std::vector<Entry> want;
  };
  const Case cases[] = {
      {2, 6, kNoLimit, ErrCompacted(), {}},
      {3, 4, kNoLimit, ErrCompacted(), {}},
      {4, 5, kNoLimit, {}, Ents({{4, 4}})},
      {4, 6, kNoLimit, {}, Ents({{4, 4}, {5, 5}})},
      {4, 7, kNoLimit, {}, Ents({{4, 4}, {5, 5}, {6, 6}})},
      // At least one entry, even over the limit.
      {4, 7, 0, {}, Ents({{4, 4}})},
      {4, 7, s4 + s5, {}, Ents({{4, 4}, {5, 5}})},
      {4, 7, s4 + s5 + s6 / 2, {}, Ents({{4, 4}, {5, 5}})},
      {4, 7, s4 + s5 + s6 - 1, {}, Ents({{4, 4}, {5, 5}})},
      {4, 7, s4 + s5 + s6, {}, Ents({{4, 4}, {5, 5}, {6, 6}})},
      {4, 8, kNoLimit, ErrUnavailable(), {}},
      {5, 5, kNoLimit, {}, {}},
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(i);
    MemoryStorage s;
    Fill(&s, ents);
    std::vector<Entry> got;
    EXPECT_EQ(s.Entries(c.lo, c.hi, c.max, &got), c.werr);
    EXPECT_EQ(got, c.want);
  }
}

TEST(MemoryStorageTest, FirstAndLastIndex) {
  MemoryStorage s;
  Fill(&s, Ents({{3, 3}, {4, 4}, {5, 5}}));
  EXPECT_EQ(*s.FirstIndex(), 4u);
  EXPECT_EQ(*s.LastIndex(), 5u);
  ASSERT_TRUE(s.Append(Ents({{6, 5}})).ok());
  EXPECT_EQ(*s.LastIndex(), 6u);
  ASSERT_TRUE(s.Compact(4).ok());
  EXPECT_EQ(*s.FirstIndex(), 5u);
}

TEST(MemoryStorageTest, Compact) {
  struct Case {
    uint64_t i;
    base::Status werr;
    uint64_t windex, wterm;
    size_t wlen;  // Including the dummy entry.
  };
  const Case cases[] = {
      {2, ErrCompacted(), 3, 3, 3},
      {3, ErrCompacted(), 3, 3, 3},
      {4, {}, 4, 4, 2},
      {5, {}, 5, 5, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.i);
    MemoryStorage s;
    Fill(&s, Ents({{3, 3}, {4, 4}, {5, 5}}));
    EXPECT_EQ(s.Compact(c.i), c.werr);
    EXPECT_EQ(*s.FirstIndex() - 1, c.windex);
    EXPECT_EQ(*s.Term(c.windex), c.wterm);
    EXPECT_EQ(*s.LastIndex() - (*s.FirstIndex() - 1) + 1, c.wlen);
  }
}

TEST(MemoryStorageTest, CompactPastLastIndexAborts) {
  MemoryStorage s;
  Fill(&s, Ents({{3, 3}, {4, 4}}));
  EXPECT_DEATH((void)s.Compact(5), "out of bound");
}

TEST(MemoryStorageTest, CreateSnapshot) {
  raftpb::ConfState cs;
  cs.voters = {1, 2, 3};
  struct Case {
    uint64_t i;
    base::Status werr;
    uint64_t wterm;
  };
  const Case cases[] = {{4, {}, 4}, {5, {}, 5}, {3, ErrSnapOutOfDate(), 0}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.i);
    MemoryStorage s;
    Fill(&s, Ents({{3, 3}, {4, 4}, {5, 5}}));
    base::Result<raftpb::Snapshot> snap = s.CreateSnapshot(c.i, &cs, "data");
    EXPECT_EQ(snap.status(), c.werr);
    if (!snap.ok()) continue;
    EXPECT_EQ(snap->metadata.index, c.i);
    EXPECT_EQ(snap->metadata.term, c.wterm);
    EXPECT_EQ(snap->metadata.conf_state, cs);
    EXPECT_EQ(snap->data, "data");
    EXPECT_EQ(*s.Snapshot(), *snap);
    EXPECT_EQ(s.InitialState()->conf_state, cs);
    // A snapshot does not compact: entries stay readable.
    EXPECT_EQ(*s.FirstIndex(), 4u);
  }
}

TEST(MemoryStorageTest, CreateSnapshotPastLastIndexAborts) {
  MemoryStorage s;
  Fill(&s, Ents({{3, 3}, {4, 4}}));
  EXPECT_DEATH((void)s.CreateSnapshot(5, nullptr, "data"), "out of bound");
}

TEST(MemoryStorageTest, CompactedEntriesAndTermsAreErrors) {
  MemoryStorage s;
  Fill(&s, Ents({{3, 3}, {4, 4}, {5, 5}}));
  ASSERT_TRUE(s.CreateSnapshot(4, nullptr, "data").ok());
  ASSERT_TRUE(s.Compact(4).ok());
  std::vector<Entry> out;
  EXPECT_EQ(s.Entries(4, 6, kNoLimit, &out), ErrCompacted());
  EXPECT_EQ(s.Term(3).status(), ErrCompacted());
  EXPECT_EQ(*s.Term(4), 4u);  // The dummy entry keeps the snapshot's term.
  EXPECT_EQ(s.Entries(6, 7, kNoLimit, &out), ErrUnavailable());
  EXPECT_EQ(s.Compact(4), ErrCompacted());
  EXPECT_EQ(s.CreateSnapshot(4, nullptr, "x").status(), ErrSnapOutOfDate());
  EXPECT_EQ(s.Snapshot()->data, "data");
}

TEST(MemoryStorageTest, Append) {
  struct Case {
    const char* name;
    std::vector<Entry> entries;
    std::vector<Entry> want;  // Everything after the dummy entry 3/3.
  };
  const Case cases[] = {
      {"all compacted", Ents({{1, 1}, {2, 2}}), Ents({{4, 4}, {5, 5}})},
      {"same entries", Ents({{3, 3}, {4, 4}, {5, 5}}), Ents({{4, 4}, {5, 5}})},
      {"overwrite", Ents({{3, 3}, {4, 6}, {5, 6}}), Ents({{4, 6}, {5, 6}})},
      {"extend", Ents({{3, 3}, {4, 4}, {5, 5}, {6, 5}}),
       Ents({{4, 4}, {5, 5}, {6, 5}})},
      {"truncate incoming", Ents({{2, 3}, {3, 3}, {4, 5}}), Ents({{4, 5}})},
      {"truncate existing", Ents({{4, 5}}), Ents({{4, 5}})},
      {"direct append", Ents({{6, 5}}), Ents({{4, 4}, {5, 5}, {6, 5}})},
      {"empty", {}, Ents({{4, 4}, {5, 5}})},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    MemoryStorage s;
    Fill(&s, Ents({{3, 3}, {4, 4}, {5, 5}}));
    EXPECT_TRUE(s.Append(c.entries).ok());
    EXPECT_EQ(All(s), c.want);
  }
}

TEST(MemoryStorageTest, AppendWithGapAborts) {
  MemoryStorage s;
  Fill(&s, Ents({{3, 3}, {4, 4}}));
  EXPECT_DEATH((void)s.Append(Ents({{6, 4}})), "missing log entry");
}

TEST(MemoryStorageTest, ApplySnapshot) {
  raftpb::ConfState cs;
  cs.voters = {1, 2, 3};
  MemoryStorage s;
  raftpb::Snapshot snap;
  snap.data = "data";
  snap.metadata = {cs, 4, 4};
  ASSERT_TRUE(s.ApplySnapshot(snap).ok());
  EXPECT_EQ(*s.FirstIndex(), 5u);
  EXPECT_EQ(*s.LastIndex(), 4u);
  EXPECT_EQ(*s.Term(4), 4u);
  EXPECT_EQ(s.InitialState()->conf_state, cs);
  snap.metadata.index = 3;
  snap.metadata.term = 3;
  EXPECT_EQ(s.ApplySnapshot(snap), ErrSnapOutOfDate());
  snap.metadata.index = 4;
  EXPECT_EQ(s.ApplySnapshot(snap), ErrSnapOutOfDate());
}

}  // namespace
}  // namespace raft
