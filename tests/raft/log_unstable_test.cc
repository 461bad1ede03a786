// Tests of Unstable (raft/log_unstable.h), after etcd's log_unstable_test.go.

#include "raft/log_unstable.h"

// Table cases leave trailing fields at their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <gtest/gtest.h>

#include <optional>

#include "tests/raft/core_test_util.h"

namespace raft {
namespace {

using raftpb::Entry;
using test::Ents;

std::optional<raftpb::Snapshot> Snap(uint64_t index, uint64_t term) {
  raftpb::Snapshot s;
  s.metadata.index = index;
  s.metadata.term = term;
  return s;
}

struct State {
  std::vector<Entry> entries;
  uint64_t offset = 0;
  uint64_t offset_in_progress = 0;
  std::optional<raftpb::Snapshot> snap;
  bool snapshot_in_progress = false;
};

class UnstableTest : public ::testing::Test {
 protected:
  Unstable Make(const State& s) {
    Unstable u(0, &logger_);
    u.SetStateForTest(
        s.snap, s.entries, s.offset,
        s.offset_in_progress != 0 ? s.offset_in_progress : s.offset,
        s.snapshot_in_progress);
    return u;
  }
  DiscardLogger logger_;
};

TEST_F(UnstableTest, MaybeFirstIndex) {
  struct Case {
    State s;
    std::optional<uint64_t> want;
  };
  const Case cases[] = {
      {{Ents({{5, 1}}), 5, 0, std::nullopt}, std::nullopt},
      {{{}, 0, 0, std::nullopt}, std::nullopt},
      {{Ents({{5, 1}}), 5, 0, Snap(4, 1)}, 5},
      {{{}, 5, 0, Snap(4, 1)}, 5},
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(Make(cases[i].s).MaybeFirstIndex(), cases[i].want);
  }
}

TEST_F(UnstableTest, MaybeLastIndex) {
  struct Case {
    State s;
    std::optional<uint64_t> want;
  };
  const Case cases[] = {
      {{Ents({{5, 1}}), 5, 0, std::nullopt}, 5},
      {{Ents({{5, 1}}), 5, 0, Snap(4, 1)}, 5},
      {{{}, 5, 0, Snap(4, 1)}, 4},
      {{{}, 0, 0, std::nullopt}, std::nullopt},
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(Make(cases[i].s).MaybeLastIndex(), cases[i].want);
  }
}

TEST_F(UnstableTest, MaybeTerm) {
  struct Case {
    State s;
    uint64_t index;
    std::optional<uint64_t> want;
  };
  const Case cases[] = {
      // Entries only.
      {{Ents({{5, 1}}), 5, 0, std::nullopt}, 5, 1},
      {{Ents({{5, 1}}), 5, 0, std::nullopt}, 6, std::nullopt},
      {{Ents({{5, 1}}), 5, 0, std::nullopt}, 4, std::nullopt},
      // Entries and a snapshot.
      {{Ents({{5, 1}}), 5, 0, Snap(4, 1)}, 5, 1},
      {{Ents({{5, 1}}), 5, 0, Snap(4, 1)}, 6, std::nullopt},
      {{Ents({{5, 1}}), 5, 0, Snap(4, 1)}, 4, 1},
      {{Ents({{5, 1}}), 5, 0, Snap(4, 1)}, 3, std::nullopt},
      // A snapshot only.
      {{{}, 5, 0, Snap(4, 1)}, 5, std::nullopt},
      {{{}, 5, 0, Snap(4, 1)}, 4, 1},
      {{{}, 0, 0, std::nullopt}, 5, std::nullopt},
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(Make(cases[i].s).MaybeTerm(cases[i].index), cases[i].want);
  }
}

TEST_F(UnstableTest, Restore) {
  Unstable u = Make({Ents({{5, 1}}), 5, 6, Snap(4, 1), true});
  raftpb::Snapshot s = *Snap(6, 2);
  u.Restore(s);
  EXPECT_EQ(u.offset(), 7u);
  EXPECT_EQ(u.offset_in_progress(), 7u);
  EXPECT_TRUE(u.entries().empty());
  EXPECT_EQ(u.snapshot(), s);
  EXPECT_FALSE(u.snapshot_in_progress());
}

TEST_F(UnstableTest, NextEntries) {
  struct Case {
    uint64_t offset_in_progress;
    std::vector<Entry> want;
  };
  const Case cases[] = {
      {5, Ents({{5, 1}, {6, 1}})},
      {6, Ents({{6, 1}})},
      {7, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.offset_in_progress);
    Unstable u = Make({Ents({{5, 1}, {6, 1}}), 5, c.offset_in_progress});
    auto got = u.NextEntries();
    EXPECT_EQ(std::vector<Entry>(got.begin(), got.end()), c.want);
  }
}

TEST_F(UnstableTest, NextSnapshot) {
  EXPECT_EQ(Make({{}, 5, 0, std::nullopt}).NextSnapshot(), nullptr);
  Unstable u = Make({{}, 5, 0, Snap(4, 1), false});
  ASSERT_NE(u.NextSnapshot(), nullptr);
  EXPECT_EQ(*u.NextSnapshot(), *Snap(4, 1));
  EXPECT_EQ(Make({{}, 5, 0, Snap(4, 1), true}).NextSnapshot(), nullptr);
}

TEST_F(UnstableTest, AcceptInProgress) {
  struct Case {
    State s;
    uint64_t woffset_in_progress;
    bool wsnapshot_in_progress;
  };
  const Case cases[] = {
      {{{}, 5, 5, std::nullopt}, 5, false},
      {{Ents({{5, 1}}), 5, 5, std::nullopt}, 6, false},
      {{Ents({{5, 1}, {6, 1}}), 5, 5, std::nullopt}, 7, false},
      {{Ents({{5, 1}, {6, 1}}), 5, 6, std::nullopt}, 7, false},
      {{Ents({{5, 1}, {6, 1}}), 5, 7, std::nullopt}, 7, false},
      {{{}, 5, 5, Snap(4, 1)}, 5, true},
      {{Ents({{5, 1}}), 5, 5, Snap(4, 1)}, 6, true},
      {{Ents({{5, 1}}), 5, 6, Snap(4, 1), true}, 6, true},
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    SCOPED_TRACE(i);
    Unstable u = Make(cases[i].s);
    u.AcceptInProgress();
    EXPECT_EQ(u.offset_in_progress(), cases[i].woffset_in_progress);
    EXPECT_EQ(u.snapshot_in_progress(), cases[i].wsnapshot_in_progress);
  }
}

TEST_F(UnstableTest, StableTo) {
  struct Case {
    const char* name;
    State s;
    uint64_t index, term;
    uint64_t woffset, woffset_in_progress;
    size_t wlen;
  };
  const Case cases[] = {
      {"empty", {{}, 0, 0, std::nullopt}, 5, 1, 0, 0, 0},
      {"all", {Ents({{5, 1}}), 5, 6, std::nullopt}, 5, 1, 6, 6, 0},
      {"prefix", {Ents({{5, 1}, {6, 1}}), 5, 6, std::nullopt}, 5, 1, 6, 6, 1},
      {"prefix, more in progress",
       {Ents({{5, 1}, {6, 1}}), 5, 7, std::nullopt},
       5,
       1,
       6,
       7,
       1},
      {"term mismatch", {Ents({{6, 2}}), 6, 7, std::nullopt}, 6, 1, 6, 7, 1},
      {"old entry", {Ents({{5, 1}}), 5, 6, std::nullopt}, 4, 1, 5, 6, 1},
      {"old entry, other term",
       {Ents({{5, 1}}), 5, 6, std::nullopt},
       4,
       2,
       5,
       6,
       1},
      {"with snapshot: all", {Ents({{5, 1}}), 5, 6, Snap(4, 1)}, 5, 1, 6, 6, 0},
      {"with snapshot: prefix",
       {Ents({{5, 1}, {6, 1}}), 5, 6, Snap(4, 1)},
       5,
       1,
       6,
       6,
       1},
      {"with snapshot: term mismatch",
       {Ents({{6, 2}}), 6, 7, Snap(5, 1)},
       6,
       1,
       6,
       7,
       1},
      {"stable to the snapshot",
       {Ents({{5, 1}}), 5, 6, Snap(4, 1)},
       4,
       1,
       5,
       6,
       1},
      {"stable to the snapshot, other term",
       {Ents({{5, 2}}), 5, 6, Snap(4, 2)},
       4,
       1,
       5,
       6,
       1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Unstable u = Make(c.s);
    u.StableTo(c.index, c.term);
    EXPECT_EQ(u.offset(), c.woffset);
    EXPECT_EQ(u.offset_in_progress(), c.woffset_in_progress);
    EXPECT_EQ(u.entries().size(), c.wlen);
  }
}

TEST_F(UnstableTest, StableToReleasesPayloads) {
  raftpb::Payload big(std::string(1 << 16, 'x'));
  Unstable u(5, &logger_);
  u.TruncateAndAppend(std::vector<Entry>{{1, 5, raftpb::kEntryNormal, big}});
  EXPECT_EQ(big.use_count(), 2u);
  u.AcceptInProgress();
  u.StableTo(5, 1);
  // The unstable log no longer holds the bytes.
  EXPECT_EQ(big.use_count(), 1u);
  EXPECT_TRUE(u.entries().empty());
}

TEST_F(UnstableTest, StableSnapTo) {
  Unstable u = Make({{}, 5, 5, Snap(4, 1), true});
  u.StableSnapTo(3);  // Not this snapshot: ignored.
  EXPECT_TRUE(u.snapshot().has_value());
  u.StableSnapTo(4);
  EXPECT_FALSE(u.snapshot().has_value());
  EXPECT_FALSE(u.snapshot_in_progress());
}

TEST_F(UnstableTest, TruncateAndAppend) {
  struct Case {
    const char* name;
    State s;
    std::vector<Entry> toappend;
    uint64_t woffset, woffset_in_progress;
    std::vector<Entry> wentries;
  };
  const Case cases[] = {
      {"append to the end",
       {Ents({{5, 1}}), 5, 5},
       Ents({{6, 1}, {7, 1}}),
       5,
       5,
       Ents({{5, 1}, {6, 1}, {7, 1}})},
      {"append to the end, in progress",
       {Ents({{5, 1}}), 5, 6},
       Ents({{6, 1}, {7, 1}}),
       5,
       6,
       Ents({{5, 1}, {6, 1}, {7, 1}})},
      {"replace",
       {Ents({{5, 1}}), 5, 5},
       Ents({{5, 2}, {6, 2}}),
       5,
       5,
       Ents({{5, 2}, {6, 2}})},
      {"replace from before",
       {Ents({{5, 1}}), 5, 5},
       Ents({{4, 2}, {5, 2}, {6, 2}}),
       4,
       4,
       Ents({{4, 2}, {5, 2}, {6, 2}})},
      {"replace in progress",
       {Ents({{5, 1}}), 5, 6},
       Ents({{5, 2}, {6, 2}}),
       5,
       5,
       Ents({{5, 2}, {6, 2}})},
      {"truncate and append",
       {Ents({{5, 1}, {6, 1}, {7, 1}}), 5, 5},
       Ents({{6, 2}}),
       5,
       5,
       Ents({{5, 1}, {6, 2}})},
      {"truncate the last and append",
       {Ents({{5, 1}, {6, 1}, {7, 1}}), 5, 5},
       Ents({{7, 2}, {8, 2}}),
       5,
       5,
       Ents({{5, 1}, {6, 1}, {7, 2}, {8, 2}})},
      {"truncate, in progress before",
       {Ents({{5, 1}, {6, 1}, {7, 1}}), 5, 6},
       Ents({{6, 2}}),
       5,
       6,
       Ents({{5, 1}, {6, 2}})},
      {"truncate in progress",
       {Ents({{5, 1}, {6, 1}, {7, 1}}), 5, 7},
       Ents({{6, 2}}),
       5,
       6,
       Ents({{5, 1}, {6, 2}})},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Unstable u = Make(c.s);
    u.TruncateAndAppend(c.toappend);
    EXPECT_EQ(u.offset(), c.woffset);
    EXPECT_EQ(u.offset_in_progress(), c.woffset_in_progress);
    EXPECT_EQ(u.entries(), c.wentries);
  }
}

}  // namespace
}  // namespace raft
