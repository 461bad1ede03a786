// Tests of RaftLog (raft/log.h), after etcd's log_test.go.

#include "raft/log.h"

#include <gtest/gtest.h>

#include <memory>

#include "raft/config.h"
#include "raft/errors.h"
#include "tests/raft/core_test_util.h"

namespace raft {
namespace {

using raftpb::Entry;
using test::Ent;
using test::Ents;
using test::IndexTerms;

class RaftLogTest : public ::testing::Test {
 protected:
  std::unique_ptr<RaftLog> NewLog(MemoryStorage* s,
                                  uint64_t max_applying = kNoLimit) {
    return std::make_unique<RaftLog>(s, &logger_, max_applying);
  }
  DiscardLogger logger_;
};

std::vector<Entry> Slice(const RaftLog& l, uint64_t lo, uint64_t hi,
                         uint64_t max, base::Status* s) {
  std::vector<Entry> out;
  *s = l.Slice(lo, hi, max, &out);
  return out;
}

TEST_F(RaftLogTest, FindConflict) {
  const std::vector<Entry> previous = Ents({{1, 1}, {2, 2}, {3, 3}});
  struct Case {
    std::vector<Entry> ents;
    uint64_t want;
  };
  const Case cases[] = {
      // No conflict, empty.
      {{}, 0},
      // No conflict.
      {Ents({{1, 1}, {2, 2}, {3, 3}}), 0},
      {Ents({{2, 2}, {3, 3}}), 0},
      {Ents({{3, 3}}), 0},
      // No conflict, but new entries.
      {Ents({{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 4}}), 4},
      {Ents({{2, 2}, {3, 3}, {4, 4}, {5, 4}}), 4},
      {Ents({{3, 3}, {4, 4}, {5, 4}}), 4},
      {Ents({{4, 4}, {5, 4}}), 4},
      // Conflicts with existing entries.
      {Ents({{1, 4}, {2, 4}}), 1},
      {Ents({{2, 1}, {3, 4}, {4, 4}}), 2},
      {Ents({{3, 1}, {4, 2}, {5, 4}, {6, 4}}), 3},
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    SCOPED_TRACE(i);
    MemoryStorage s;
    auto l = NewLog(&s);
    l->Append(previous);
    EXPECT_EQ(l->FindConflict(cases[i].ents), cases[i].want);
  }
}

TEST_F(RaftLogTest, FindConflictByTerm) {
  struct Case {
    const char* name;
    uint64_t snap_index, snap_term;  // 0: no snapshot.
    std::vector<Entry> ents;
    uint64_t index, term;
    uint64_t windex, wterm;
  };
  const Case cases[] = {
      {"no snapshot: term 6 > all", 0, 0, IndexTerms(1, {2, 2, 5, 5, 5}), 5, 6,
       5, 5},
      {"no snapshot: exact", 0, 0, IndexTerms(1, {2, 2, 5, 5, 5}), 5, 5, 5, 5},
      {"no snapshot: skip term 5", 0, 0, IndexTerms(1, {2, 2, 5, 5, 5}), 5, 4,
       2, 2},
      {"no snapshot: term 2", 0, 0, IndexTerms(1, {2, 2, 5, 5, 5}), 5, 2, 2, 2},
      {"no snapshot: nothing matches", 0, 0, IndexTerms(1, {2, 2, 5, 5, 5}), 5,
       1, 0, 0},
      {"no snapshot: first index", 0, 0, IndexTerms(1, {2, 2, 5, 5, 5}), 1, 2,
       1, 2},
      {"no snapshot: index 0", 0, 0, IndexTerms(1, {2, 2, 5, 5, 5}), 0, 0, 0,
       0},
      {"no snapshot: past the end", 0, 0, IndexTerms(1, {2, 2, 5, 5, 5}), 6, 2,
       6, 0},
      {"snapshot: within log", 10, 3, IndexTerms(11, {3, 4, 4, 5}), 14, 4, 13,
       4},
      {"snapshot: down to term 3", 10, 3, IndexTerms(11, {3, 4, 4, 5}), 14, 3,
       11, 3},
      {"snapshot: snapshot entry matches", 10, 3, IndexTerms(11, {4, 4, 5}), 13,
       3, 10, 3},
      {"snapshot: compacted, unknown", 10, 3, IndexTerms(11, {3, 4, 4, 5}), 14,
       2, 9, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    MemoryStorage s;
    if (c.snap_index != 0) {
      raftpb::Snapshot snap;
      snap.metadata.index = c.snap_index;
      snap.metadata.term = c.snap_term;
      ASSERT_TRUE(s.ApplySnapshot(snap).ok());
    }
    ASSERT_TRUE(s.Append(c.ents).ok());
    auto l = NewLog(&s);
    auto [index, term] = l->FindConflictByTerm(c.index, c.term);
    EXPECT_EQ(index, c.windex);
    EXPECT_EQ(term, c.wterm);
  }
}

TEST_F(RaftLogTest, IsUpToDate) {
  MemoryStorage s;
  auto l = NewLog(&s);
  l->Append(Ents({{1, 1}, {2, 2}, {3, 3}}));
  struct Case {
    uint64_t lasti, term;
    bool want;
  };
  const Case cases[] = {
      // Greater term: up to date whatever the index.
      {2, 4, true},
      {3, 4, true},
      {4, 4, true},
      // Smaller term: never.
      {2, 2, false},
      {3, 2, false},
      {4, 2, false},
      // Equal term: the longer log wins.
      {2, 3, false},
      {3, 3, true},
      {4, 3, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::to_string(c.lasti) + "/" + std::to_string(c.term));
    EXPECT_EQ(l->IsUpToDate(c.lasti, c.term), c.want);
  }
}

TEST_F(RaftLogTest, Append) {
  const std::vector<Entry> previous = Ents({{1, 1}, {2, 2}});
  struct Case {
    std::vector<Entry> ents;
    uint64_t windex;
    std::vector<Entry> wents;
    uint64_t wunstable;
  };
  const Case cases[] = {
      {{}, 2, Ents({{1, 1}, {2, 2}}), 3},
      {Ents({{3, 2}}), 3, Ents({{1, 1}, {2, 2}, {3, 2}}), 3},
      // Conflicts with index 1.
      {Ents({{1, 2}}), 1, Ents({{1, 2}}), 1},
      // Conflicts with index 2.
      {Ents({{2, 3}, {3, 3}}), 3, Ents({{1, 1}, {2, 3}, {3, 3}}), 2},
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    SCOPED_TRACE(i);
    MemoryStorage s;
    ASSERT_TRUE(s.Append(previous).ok());
    auto l = NewLog(&s);
    EXPECT_EQ(l->Append(cases[i].ents), cases[i].windex);
    EXPECT_EQ(l->AllEntries(), cases[i].wents);
    EXPECT_EQ(l->unstable().offset(), cases[i].wunstable);
  }
}

TEST_F(RaftLogTest, MaybeAppend) {
  const std::vector<Entry> previous = Ents({{1, 1}, {2, 2}, {3, 3}});
  const uint64_t lastindex = 3, lastterm = 3, commit = 1;
  struct Case {
    const char* name;
    uint64_t log_term, index, committed;
    std::vector<Entry> ents;
    std::optional<uint64_t> wlasti;
    uint64_t wcommit;
  };
  const Case cases[] = {
      {"term mismatch", lastterm - 1, lastindex, lastindex,
       Ents({{lastindex + 1, 4}}), std::nullopt, commit},
      {"index out of bound", lastterm, lastindex + 1, lastindex,
       Ents({{lastindex + 2, 4}}), std::nullopt, commit},
      {"match last entry",
       lastterm,
       lastindex,
       lastindex,
       {},
       lastindex,
       lastindex},
      {"commit not beyond last new entry",
       lastterm,
       lastindex,
       lastindex + 1,
       {},
       lastindex,
       lastindex},
      {"commit to the message's commit",
       lastterm,
       lastindex,
       lastindex - 1,
       {},
       lastindex,
       lastindex - 1},
      {"commit never decreases", lastterm, lastindex, 0, {}, lastindex, commit},
      {"commit never decreases at 0", 0, 0, lastindex, {}, 0, commit},
      {"append one", lastterm, lastindex, lastindex, Ents({{lastindex + 1, 4}}),
       lastindex + 1, lastindex},
      {"append one, commit it", lastterm, lastindex, lastindex + 1,
       Ents({{lastindex + 1, 4}}), lastindex + 1, lastindex + 1},
      {"append one, commit capped", lastterm, lastindex, lastindex + 2,
       Ents({{lastindex + 1, 4}}), lastindex + 1, lastindex + 1},
      {"append two", lastterm, lastindex, lastindex + 2,
       Ents({{lastindex + 1, 4}, {lastindex + 2, 4}}), lastindex + 2,
       lastindex + 2},
      {"match in the middle", lastterm - 1, lastindex - 1, lastindex,
       Ents({{lastindex, 4}}), lastindex, lastindex},
      {"match further back", lastterm - 2, lastindex - 2, lastindex,
       Ents({{lastindex - 1, 4}}), lastindex - 1, lastindex - 1},
      {"replace two", lastterm - 2, lastindex - 2, lastindex,
       Ents({{lastindex - 1, 4}, {lastindex, 4}}), lastindex, lastindex},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    MemoryStorage s;
    auto l = NewLog(&s);
    l->Append(previous);
    l->CommitTo(commit);
    std::optional<uint64_t> got =
        l->MaybeAppend(c.index, c.log_term, c.committed, c.ents);
    EXPECT_EQ(got, c.wlasti);
    EXPECT_EQ(l->committed(), c.wcommit);
    if (got && !c.ents.empty()) {
      std::vector<Entry> tail;
      ASSERT_TRUE(l->Slice(l->LastIndex() - c.ents.size() + 1,
                           l->LastIndex() + 1, kNoLimit, &tail)
                      .ok());
      EXPECT_EQ(tail, c.ents);
    }
  }
}

TEST_F(RaftLogTest, MaybeAppendConflictWithCommittedAborts) {
  MemoryStorage s;
  auto l = NewLog(&s);
  l->Append(Ents({{1, 1}, {2, 2}, {3, 3}}));
  l->CommitTo(1);
  EXPECT_DEATH(l->MaybeAppend(0, 0, 3, Ents({{1, 4}})),
               "conflict with committed entry");
}

TEST_F(RaftLogTest, CommitTo) {
  struct Case {
    uint64_t commit, want;
  };
  const Case cases[] = {{3, 3}, {1, 2}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.commit);
    MemoryStorage s;
    auto l = NewLog(&s);
    l->Append(Ents({{1, 1}, {2, 2}, {3, 3}}));
    l->CommitTo(2);
    l->CommitTo(c.commit);
    EXPECT_EQ(l->committed(), c.want);
  }
  MemoryStorage s;
  auto l = NewLog(&s);
  l->Append(Ents({{1, 1}}));
  EXPECT_DEATH(l->CommitTo(4), "out of range");
}

TEST_F(RaftLogTest, MaybeCommitOnlyWithMatchingTerm) {
  MemoryStorage s;
  auto l = NewLog(&s);
  l->Append(Ents({{1, 1}, {2, 2}, {3, 3}}));
  EXPECT_FALSE(l->MaybeCommit(2, 3));  // Entry 2 has term 2.
  EXPECT_FALSE(l->MaybeCommit(3, 0));  // Term 0 never matches.
  EXPECT_TRUE(l->MaybeCommit(2, 2));
  EXPECT_EQ(l->committed(), 2u);
  EXPECT_FALSE(l->MaybeCommit(1, 1));  // Never backwards.
  EXPECT_TRUE(l->MaybeCommit(3, 3));
  EXPECT_EQ(l->committed(), 3u);
}

TEST_F(RaftLogTest, StableTo) {
  struct Case {
    uint64_t stablei, stablet, wunstable;
  };
  const Case cases[] = {
      {1, 1, 2},
      {2, 2, 3},
      {2, 1, 1},  // Bad term.
      {3, 1, 1},  // Bad index.
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.stablei);
    MemoryStorage s;
    auto l = NewLog(&s);
    l->Append(Ents({{1, 1}, {2, 2}}));
    l->StableTo(c.stablei, c.stablet);
    EXPECT_EQ(l->unstable().offset(), c.wunstable);
  }
}

TEST_F(RaftLogTest, StableToWithSnapshot) {
  const uint64_t snapi = 5, snapt = 2;
  struct Case {
    uint64_t stablei, stablet;
    std::vector<Entry> newEnts;
    uint64_t wunstable;
  };
  const Case cases[] = {
      {snapi + 1, snapt, {}, snapi + 1},
      {snapi, snapt + 1, {}, snapi + 1},
      {snapi - 1, snapt, {}, snapi + 1},
      {snapi + 1, snapt, Ents({{snapi + 1, snapt}}), snapi + 2},
      {snapi, snapt, Ents({{snapi + 1, snapt}}), snapi + 1},
      {snapi - 1, snapt, Ents({{snapi + 1, snapt}}), snapi + 1},
      {snapi + 1, snapt + 1, Ents({{snapi + 1, snapt}}), snapi + 1},
      {snapi, snapt + 1, Ents({{snapi + 1, snapt}}), snapi + 1},
      {snapi - 1, snapt + 1, Ents({{snapi + 1, snapt}}), snapi + 1},
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    SCOPED_TRACE(i);
    MemoryStorage s;
    raftpb::Snapshot snap;
    snap.metadata.index = snapi;
    snap.metadata.term = snapt;
    ASSERT_TRUE(s.ApplySnapshot(snap).ok());
    auto l = NewLog(&s);
    l->Append(cases[i].newEnts);
    l->StableTo(cases[i].stablei, cases[i].stablet);
    EXPECT_EQ(l->unstable().offset(), cases[i].wunstable);
  }
}

TEST_F(RaftLogTest, Term) {
  const uint64_t offset = 100, num = 100;
  MemoryStorage s;
  raftpb::Snapshot snap;
  snap.metadata.index = offset;
  snap.metadata.term = 1;
  ASSERT_TRUE(s.ApplySnapshot(snap).ok());
  auto l = NewLog(&s);
  for (uint64_t i = 1; i < num; ++i) l->Append(Ents({{offset + i, i}}));
  struct Case {
    uint64_t index;
    base::Status werr;
    uint64_t wterm;
  };
  const Case cases[] = {
      {offset - 1, ErrCompacted(), 0},     {offset, {}, 1},
      {offset + num / 2, {}, num / 2},     {offset + num - 1, {}, num - 1},
      {offset + num, ErrUnavailable(), 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.index);
    base::Result<uint64_t> t = l->Term(c.index);
    EXPECT_EQ(t.status(), c.werr);
    EXPECT_EQ(t.value_or(0), c.wterm);
    EXPECT_EQ(l->ZeroTermOnOutOfBounds(c.index), c.wterm);
  }
}

TEST_F(RaftLogTest, Restore) {
  const uint64_t index = 1000, term = 1000;
  MemoryStorage s;
  raftpb::Snapshot snap;
  snap.metadata.index = index;
  snap.metadata.term = term;
  ASSERT_TRUE(s.ApplySnapshot(snap).ok());
  auto l = NewLog(&s);
  EXPECT_TRUE(l->AllEntries().empty());
  EXPECT_EQ(l->FirstIndex(), index + 1);
  EXPECT_EQ(l->committed(), index);
  EXPECT_EQ(l->applied(), index);
  EXPECT_EQ(l->unstable().offset(), index + 1);
  EXPECT_EQ(*l->Term(index), term);

  raftpb::Snapshot newer;
  newer.metadata.index = 2000;
  newer.metadata.term = 1500;
  l->Restore(newer);
  EXPECT_EQ(l->committed(), 2000u);
  EXPECT_EQ(l->FirstIndex(), 2001u);
  EXPECT_EQ(l->LastIndex(), 2000u);
  EXPECT_EQ(*l->Snapshot(), newer);
  EXPECT_TRUE(l->HasNextUnstableSnapshot());
}

TEST_F(RaftLogTest, Slice) {
  const uint64_t offset = 100, num = 100, last = offset + num,
                 half = offset + num / 2;
  MemoryStorage s;
  raftpb::Snapshot snap;
  snap.metadata.index = offset;
  snap.metadata.term = 0;
  ASSERT_TRUE(s.ApplySnapshot(snap).ok());
  for (uint64_t i = 1; i < num / 2; ++i) {
    ASSERT_TRUE(s.Append(Ents({{offset + i, offset + i}})).ok());
  }
  auto l = NewLog(&s);
  for (uint64_t i = num / 2; i < num; ++i) {
    l->Append(Ents({{offset + i, offset + i}}));
  }
  auto E = [](uint64_t i) { return Ent(i, i); };
  const uint64_t es = test::Size(E(half));  // All entries have this size.
  struct Case {
    uint64_t lo, hi, lim;
    base::Status werr;
    std::vector<Entry> want;
  };
  const Case cases[] = {
      // Compacted.
      {offset - 1, offset + 1, kNoLimit, ErrCompacted(), {}},
      {offset, offset + 1, kNoLimit, ErrCompacted(), {}},
      // Across the stable/unstable boundary.
      {half - 1, half + 1, kNoLimit, {}, {E(half - 1), E(half)}},
      {half, half + 1, kNoLimit, {}, {E(half)}},
      {last - 1, last, kNoLimit, {}, {E(last - 1)}},
      // With limits.
      {half - 1, half + 1, 0, {}, {E(half - 1)}},
      {half - 1, half + 1, es + 1, {}, {E(half - 1)}},
      {half - 2, half + 1, es + 1, {}, {E(half - 2)}},
      {half - 1, half + 1, es * 2, {}, {E(half - 1), E(half)}},
      {half - 1, half + 2, es * 3, {}, {E(half - 1), E(half), E(half + 1)}},
      {half, half + 2, es, {}, {E(half)}},
      {half, half + 2, es * 2, {}, {E(half), E(half + 1)}},
      {half - 3, half + 1, es * 2 + es / 2, {}, {E(half - 3), E(half - 2)}},
      {half - 1, half + 3, es * 3 - 1, {}, {E(half - 1), E(half)}},
      // Empty range.
      {half, half, kNoLimit, {}, {}},
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(i);
    base::Status st;
    EXPECT_EQ(Slice(*l, c.lo, c.hi, c.lim, &st), c.want);
    EXPECT_EQ(st, c.werr);
  }
  base::Status st;
  EXPECT_DEATH(Slice(*l, last, last + 1, kNoLimit, &st), "out of bound");
  EXPECT_DEATH(Slice(*l, half + 1, half, kNoLimit, &st), "invalid slice");
}

TEST_F(RaftLogTest, NextCommittedEnts) {
  // Entry 4 stable, 5 and 6 unstable; commit 5.
  struct Case {
    const char* name;
    uint64_t applied, applying;
    bool allow_unstable;
    bool snap;
    std::vector<Entry> want;
  };
  const Case cases[] = {
      {"from applied", 3, 3, true, false, Ents({{4, 1}, {5, 1}})},
      {"all applying", 3, 5, true, false, {}},
      {"applied 4", 4, 4, true, false, Ents({{5, 1}})},
      {"applied 5", 5, 5, true, false, {}},
      {"stable only", 3, 3, false, false, Ents({{4, 1}})},
      {"stable only, applying 4", 3, 4, false, false, {}},
      {"stable only, applied 4", 4, 4, false, false, {}},
      {"pending snapshot", 3, 3, true, true, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    MemoryStorage s;
    raftpb::Snapshot snap;
    snap.metadata.index = 3;
    snap.metadata.term = 1;
    ASSERT_TRUE(s.ApplySnapshot(snap).ok());
    ASSERT_TRUE(s.Append(Ents({{4, 1}})).ok());
    auto l = NewLog(&s);
    l->Append(Ents({{5, 1}, {6, 1}}));
    ASSERT_TRUE(l->MaybeCommit(5, 1));
    l->AppliedTo(c.applied, 0);
    if (c.applying > c.applied) l->AcceptApplying(c.applying, 0, true);
    if (c.snap) {
      raftpb::Snapshot newer = snap;
      newer.metadata.index = 6;
      l->Restore(newer);
    }
    std::vector<Entry> got;
    l->NextCommittedEnts(c.allow_unstable, &got);
    EXPECT_EQ(got, c.want);
    EXPECT_EQ(l->HasNextCommittedEnts(c.allow_unstable), !c.want.empty());
  }
}

TEST_F(RaftLogTest, NextCommittedEntsBoundedByBytes) {
  MemoryStorage s;
  std::vector<Entry> ents;
  for (uint64_t i = 1; i <= 5; ++i)
    ents.push_back(Ent(i, 1, std::string(100, 'x')));
  ASSERT_TRUE(s.Append(ents).ok());
  const uint64_t es = test::Size(ents[0]);
  // Room for two entries, not three.
  auto l = NewLog(&s, 2 * es + es / 2);
  l->CommitTo(5);
  std::vector<Entry> got;
  l->NextCommittedEnts(true, &got);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got.back().index, 2u);
  // Handed out but not applied: paused, since the budget stopped it short.
  l->AcceptApplying(2, 2 * es, true);
  EXPECT_FALSE(l->HasNextCommittedEnts(true));
  got.clear();
  l->NextCommittedEnts(true, &got);
  EXPECT_TRUE(got.empty());
  // Applying releases the budget.
  l->AppliedTo(2, 2 * es);
  EXPECT_TRUE(l->HasNextCommittedEnts(true));
  l->NextCommittedEnts(true, &got);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got.front().index, 3u);
  l->AcceptApplying(4, 2 * es, true);
  l->AppliedTo(4, 2 * es);
  got.clear();
  l->NextCommittedEnts(true, &got);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].index, 5u);
}

// A budget of 0 (max_size_per_msg = 0 and its default for
// max_committed_size_per_ready) hands out one entry at a time.
TEST_F(RaftLogTest, NextCommittedEntsWithZeroBudget) {
  MemoryStorage s;
  ASSERT_TRUE(s.Append(Ents({{1, 1}, {2, 1}, {3, 1}})).ok());
  auto l = NewLog(&s, 0);
  l->CommitTo(3);
  for (uint64_t i = 1; i <= 3; ++i) {
    SCOPED_TRACE(i);
    std::vector<Entry> got;
    l->NextCommittedEnts(true, &got);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].index, i);
    uint64_t size = test::Size(got[0]);
    l->AcceptApplying(i, size, true);
    EXPECT_FALSE(l->HasNextCommittedEnts(true));
    l->AppliedTo(i, size);
  }
  EXPECT_FALSE(l->HasNextCommittedEnts(true));
}

TEST_F(RaftLogTest, AppliedToOutOfRangeAborts) {
  MemoryStorage s;
  auto l = NewLog(&s);
  l->Append(Ents({{1, 1}, {2, 1}}));
  l->CommitTo(1);
  EXPECT_DEATH(l->AppliedTo(2, 0), "out of range");
}

TEST_F(RaftLogTest, CompactionSideEffects) {
  // Entries move from the unstable log to storage; a compaction of storage
  // keeps the log readable from the new first index.
  const uint64_t last = 1000, unstable_index = 750, last_term = last;
  MemoryStorage s;
  for (uint64_t i = 1; i <= unstable_index; ++i) {
    ASSERT_TRUE(s.Append(Ents({{i, i}})).ok());
  }
  auto l = NewLog(&s);
  for (uint64_t i = unstable_index; i < last; ++i) {
    l->Append(Ents({{i + 1, i + 1}}));
  }
  ASSERT_TRUE(l->MaybeCommit(last, last_term));
  l->AppliedTo(l->committed(), 0);
  const uint64_t offset = 500;
  ASSERT_TRUE(s.Compact(offset).ok());
  EXPECT_EQ(l->LastIndex(), last);
  for (uint64_t j = offset; j <= l->LastIndex(); ++j) {
    ASSERT_EQ(*l->Term(j), j);
    ASSERT_TRUE(l->MatchTerm(j, j));
  }
  auto unstable = l->NextUnstableEnts();
  ASSERT_EQ(unstable.size(), 250u);
  EXPECT_EQ(unstable[0].index, 751u);
  uint64_t prev = l->LastIndex();
  l->Append(Ents({{prev + 1, prev + 1}}));
  EXPECT_EQ(l->LastIndex(), prev + 1);
  std::vector<Entry> ents;
  ASSERT_TRUE(l->Entries(l->LastIndex(), kNoLimit, &ents).ok());
  EXPECT_EQ(ents.size(), 1u);
}

}  // namespace
}  // namespace raft
